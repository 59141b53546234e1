/**
 * Opening the database with an injectable `IDBFactory` (the browser's `indexedDB`, or
 * fake-indexeddb's in Node tests). `idb` itself relies on the `IDB*` globals (it checks
 * `instanceof IDBObjectStore` …), which the browser has and which `fake-indexeddb/auto`
 * installs in Node.
 */
import { wrap, type IDBPDatabase } from 'idb';
import { DB_NAME, MIGRATIONS, upgrade, type LayerscopeDB, type Migration } from './schema.ts';
import { toStoreError } from './errors.ts';

export interface OpenDatabaseOptions {
  name?: string;
  indexedDB?: IDBFactory;
  /** Upgrade steps; the version opened is `migrations.length`. Tests pass a longer list. */
  migrations?: readonly Migration[];
  /**
   * Another tab wants to upgrade the schema. Default: close this connection so the upgrade
   * can proceed (this tab's store then fails with code CLOSED and should reload).
   */
  onVersionChange?: (db: IDBPDatabase<LayerscopeDB>) => void;
  /** An older connection elsewhere has not closed yet. */
  onBlocked?: () => void;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<IDBPDatabase<LayerscopeDB>> {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  if (!factory) throw toStoreError(new Error('IndexedDB is not available in this context'), 'open the store');
  const migrations = options.migrations ?? MIGRATIONS;
  let request: IDBOpenDBRequest;
  try {
    request = factory.open(options.name ?? DB_NAME, migrations.length);
  } catch (e) {
    throw toStoreError(e, 'open the store');
  }
  request.addEventListener('upgradeneeded', (event) => {
    const tx = request.transaction;
    if (!tx) return;
    const wrappedTx = wrap(tx);
    // The open request reports an aborted upgrade; this promise must not go unhandled.
    wrappedTx.done.catch(() => {});
    try {
      upgrade(
        wrap(request.result) as IDBPDatabase<unknown>,
        event.oldVersion,
        event.newVersion,
        wrappedTx as never,
        migrations,
      );
    } catch (e) {
      // Aborting the versionchange transaction fails the open and keeps the old data intact.
      console.error('layerscope store: schema upgrade failed', e);
      tx.abort();
    }
  });
  request.addEventListener('blocked', () => options.onBlocked?.());
  let db: IDBPDatabase<LayerscopeDB>;
  try {
    db = (await wrap(request)) as unknown as IDBPDatabase<LayerscopeDB>;
  } catch (e) {
    throw toStoreError(e, 'open the store');
  }
  db.addEventListener('versionchange', () => {
    if (options.onVersionChange) options.onVersionChange(db);
    else db.close();
  });
  return db;
}
