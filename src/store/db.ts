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
  const db = await openOnce(options);
  // A database with none of our object stores holds nothing of ours: something else opened it
  // first without a version (a console's `indexedDB.open('layerscope')`, a script reading it
  // before the app did), which creates it empty at version 1, so no upgrade would ever run and
  // every read would fail with NotFoundError. Delete it and create it properly.
  if (db.objectStoreNames.length > 0 || (options.migrations ?? MIGRATIONS).length === 0) return db;
  db.close();
  const factory = options.indexedDB ?? globalThis.indexedDB;
  await new Promise<void>((resolve, reject) => {
    const del = factory.deleteDatabase(options.name ?? DB_NAME);
    del.onsuccess = () => resolve();
    del.onerror = () => reject(toStoreError(del.error, 'recreate the empty store'));
  });
  return openOnce(options);
}

async function openOnce(options: OpenDatabaseOptions): Promise<IDBPDatabase<LayerscopeDB>> {
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
