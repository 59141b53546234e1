import type { IDBPDatabase } from 'idb';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from './db.ts';
import { DB_NAME, DB_VERSION, MIGRATIONS, STORE_NAMES, type Migration } from './schema.ts';
import { openStore } from './store.ts';
import { bytesOf, env, fakeImage, ok, pull, readAll, sha } from './test-helpers.ts';

/** A test-only next version: an index of blobs by media type, and a field backfilled. */
const v2: Migration = (_db, tx) => {
  const blobs = tx.objectStore('blobs');
  blobs.createIndex('mediaType', 'mediaType');
  // Steps may rewrite records through the versionchange transaction.
  void (async () => {
    let c = await blobs.openCursor();
    while (c) {
      await c.update({ ...(c.value as object), schema2: true });
      c = await c.continue();
    }
  })();
};

describe('schema and upgrades', () => {
  it('v2 has the object stores of docs/ARCHITECTURE.md (v1 and the peek stores)', async () => {
    const e = env();
    const db = await openDatabase({ indexedDB: e.factory });
    expect(db.version).toBe(DB_VERSION);
    expect(DB_VERSION).toBe(2);
    expect([...db.objectStoreNames].sort()).toEqual([...STORE_NAMES].sort());
    const tx = db.transaction(['tags', 'chunks'], 'readonly');
    expect([...tx.objectStore('tags').indexNames]).toEqual(['imageId']);
    expect(tx.objectStore('chunks').keyPath).toEqual(['digest', 'n']);
    db.close();
  });

  it('upgrades a v1 database with data in it to v2: data intact, the peek stores added', async () => {
    const e = env(1000);
    const s1 = await e.open({ migrations: MIGRATIONS.slice(0, 1) });
    const f = fakeImage('w', [bytesOf(2500, 5)]);
    await pull(s1, f, ['docker.io/library/w:latest']);
    s1.close();
    const s2 = await e.open();
    expect(await s2.getImage(f.image.id)).toEqual(f.image);
    expect(await s2.listTags()).toEqual([{ name: 'docker.io/library/w:latest', imageId: f.image.id }]);
    expect(await s2.listPeekImages()).toEqual([]);
    await ok(s2);
    s2.close();
  });

  it('upgrades the current version with data in it to a test-only next one; data intact, the new index works', async () => {
    const e = env(1000);
    const s1 = await e.open();
    const f = fakeImage('u', [bytesOf(2500, 1), bytesOf(700, 2)]);
    await pull(s1, f, ['docker.io/library/u:latest']);
    const partial = bytesOf(1500, 3);
    const w = await s1.beginBlob(sha(partial), { size: 3000, mediaType: 'application/x-partial' });
    await w.write(partial);
    w.release();
    await ok(s1);
    s1.close();

    const s2 = await e.open({ migrations: [...MIGRATIONS, v2] });
    expect(await s2.listTags()).toEqual([{ name: 'docker.io/library/u:latest', imageId: f.image.id }]);
    expect(await s2.getImage(f.image.id)).toEqual(f.image);
    expect(
      Buffer.from((await readAll(s2.readBlob(f.image.layers[0]!.digest))).bytes).equals(Buffer.from(f.layers[0]!)),
    ).toBe(true);
    expect(await s2.hasBlob(sha(partial))).toEqual({ partial: 1000 });
    expect(await s2.getLayerIndex(f.image.layers[1]!.diffId)).toEqual({ entries: 700 });
    await ok(s2);
    s2.close();

    const raw = await openDatabase({ indexedDB: e.factory, migrations: [...MIGRATIONS, v2] });
    expect(raw.version).toBe(MIGRATIONS.length + 1);
    const byType = await (raw as unknown as IDBPDatabase).getAllKeysFromIndex(
      'blobs',
      'mediaType',
      'application/x-partial',
    );
    expect(byType).toEqual([sha(partial)]);
    const rec = (await raw.get('blobs', f.image.id)) as unknown as { schema2?: boolean };
    expect(rec.schema2).toBe(true);
    raw.close();
  });

  it('a failing step aborts the upgrade and leaves the old version and data as they were', async () => {
    const e = env(1000);
    const s1 = await e.open();
    const f = fakeImage('k', [bytesOf(100, 4)]);
    await pull(s1, f, ['docker.io/library/k:latest']);
    s1.close();
    const broken: Migration = () => {
      throw new Error('step failed');
    };
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(e.open({ migrations: [...MIGRATIONS, broken] })).rejects.toMatchObject({ name: 'StoreError' });
    spy.mockRestore();
    const again = await e.open();
    expect((await again.listImages()).map((i) => i.id)).toEqual([f.image.id]);
    await ok(again);
    again.close();
  });

  it('an older app on a newer database gets VERSION_TOO_NEW', async () => {
    const e = env();
    (await openDatabase({ indexedDB: e.factory, migrations: [...MIGRATIONS, v2] })).close();
    await expect(
      openStore({ indexedDB: e.factory, locks: e.locks, channel: null, storage: null }),
    ).rejects.toMatchObject({ code: 'VERSION_TOO_NEW' });
  });

  it('an open older connection steps aside for an upgrade in another tab, then reports CLOSED', async () => {
    const e = env();
    const old = await e.open();
    const newer = await e.open({ migrations: [...MIGRATIONS, v2] });
    await expect(old.listImages()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(await newer.listImages()).toEqual([]);
    newer.close();
  });

  it('the upgrade function refuses a version it has no step for', async () => {
    const e = env();
    const req = e.factory.open('layerscope', 1);
    await new Promise((r) => (req.onsuccess = r));
    req.result.close();
    const { upgrade } = await import('./schema.ts');
    expect(() => upgrade({} as never, 1, 5, {} as never)).toThrow('no upgrade step to schema version 5');
  });
});

describe('a database created empty by someone else', () => {
  it('is recreated with the schema instead of failing every read', async () => {
    const e = env();
    // What `indexedDB.open('layerscope')` without a version does before the app ever ran.
    await new Promise<void>((resolve, reject) => {
      const r = e.factory.open(DB_NAME);
      r.onsuccess = () => {
        r.result.close();
        resolve();
      };
      r.onerror = () => reject(r.error);
    });
    const db = await openDatabase({ indexedDB: e.factory });
    expect([...db.objectStoreNames].sort()).toEqual([...STORE_NAMES].sort());
    db.close();
  });
});
