import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, storeErrorFrom } from './errors.ts';
import { memoryLocks, holdLock } from './locks.ts';
import { bytesOf, env, fakeImage, ok, pull, sha, writeBlob } from './test-helpers.ts';

type PutFn = (this: IDBObjectStore, value: unknown, key?: IDBValidKey) => IDBRequest;
const originalPut: PutFn = IDBObjectStore.prototype.put;

/**
 * Makes puts into `storeName` fail once `after` more of them succeeded, like a full disk:
 * 'request' throws QuotaExceededError from put(); 'commit' lets the put through but aborts
 * the transaction with a QuotaExceededError (Chromium reports quota at commit time).
 */
function injectQuota(storeName: string, after: number, style: 'request' | 'commit'): void {
  let left = after;
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (this.name === storeName && left-- <= 0) {
      if (style === 'request') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      const req = originalPut.call(this, value, key);
      (this.transaction as unknown as { _abort(name: string): void })._abort('QuotaExceededError');
      return req;
    }
    return originalPut.call(this, value, key);
  } as PutFn;
}

afterEach(() => {
  IDBObjectStore.prototype.put = originalPut;
});

describe('quota exceeded', () => {
  for (const style of ['request', 'commit'] as const) {
    it(`mid-blob (${style}): typed error, partial never complete, nothing committed`, async () => {
      const e = env(1000);
      const store = await e.open();
      const f = fakeImage('q', [bytesOf(3500, 1)]);
      await store.putBlob(f.image.id, f.config, 'c');
      await store.putManifest(f.image.manifestDigest, f.manifest, 'm');
      const w = await store.beginBlob(f.image.layers[0]!.digest, { size: 3500, mediaType: 'l' });
      injectQuota('chunks', 2, style);
      const err = await w.write(f.layers[0]!).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: 'QUOTA_EXCEEDED' });
      expect((err as Error).message).toMatch(/^The browser's storage quota is full: could not store blob sha256:/);
      IDBObjectStore.prototype.put = originalPut;

      expect(await store.hasBlob(f.image.layers[0]!.digest)).toEqual({ partial: 2000 });
      await ok(store);
      await expect(store.commitImage(f.image, ['docker.io/library/q:latest'])).rejects.toMatchObject({
        code: 'BLOB_INCOMPLETE',
      });
      expect(await store.listImages()).toEqual([]);
      await w.abort();
      expect(await store.hasBlob(f.image.layers[0]!.digest)).toBe('absent');
      await ok(store);
      store.close();
    });

    it(`on commitImage (${style}): no image, no tag, store consistent`, async () => {
      const e = env(1000);
      const store = await e.open();
      const f = fakeImage('qc', [bytesOf(1500, 2)]);
      await pull(store, f, []);
      await store.deleteImage(f.image.id); // blobs stay until gc
      injectQuota('tags', 0, style);
      await expect(store.commitImage(f.image, ['docker.io/library/qc:latest'])).rejects.toMatchObject({
        code: 'QUOTA_EXCEEDED',
      });
      IDBObjectStore.prototype.put = originalPut;
      expect(await store.listImages()).toEqual([]);
      expect(await store.listTags()).toEqual([]);
      await ok(store);
      store.close();
    });
  }

  it('on putBlob: nothing stored for that digest', async () => {
    const e = env(1000);
    const store = await e.open();
    const cfg = bytesOf(2500, 3);
    injectQuota('chunks', 1, 'commit');
    await expect(store.putBlob(sha(cfg), cfg, 'c')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    IDBObjectStore.prototype.put = originalPut;
    expect(await store.hasBlob(sha(cfg))).toBe('absent');
    await ok(store);
    // The lock was released: the same write now succeeds.
    await store.putBlob(sha(cfg), cfg, 'c');
    expect(await store.hasBlob(sha(cfg))).toBe('complete');
    store.close();
  });

  it('other IndexedDB failures become IDB_ERROR with the cause named', async () => {
    const e = env(1000);
    const store = await e.open();
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('disk on fire', 'UnknownError');
    } as PutFn;
    const err = await store.putManifest(sha(new Uint8Array([1])), new Uint8Array([1]), 'm').catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'IDB_ERROR' });
    expect((err as Error).message).toContain('UnknownError: disk on fire');
    IDBObjectStore.prototype.put = originalPut;
    await ok(store);
    store.close();
  });
});

describe('errors survive postMessage', () => {
  it('as plain data, revived with their code and details', () => {
    const e = new StoreError('AMBIGUOUS_ID', 'prefix a matches 2 images', {
      prefix: 'a',
      matches: ['sha256:a1', 'sha256:a2'],
    });
    const cloned = structuredClone(e.toJSON());
    const back = storeErrorFrom(cloned);
    expect(back).toBeInstanceOf(StoreError);
    expect(back).toMatchObject({
      code: 'AMBIGUOUS_ID',
      message: 'prefix a matches 2 images',
      details: { prefix: 'a' },
    });
    expect(storeErrorFrom({ name: 'Error', message: 'x' })).toBeUndefined();
    expect(storeErrorFrom(null)).toBeUndefined();
  });
});

describe('memory locks', () => {
  it('exclusive waits for shared, shared ones run together, FIFO', async () => {
    const locks = memoryLocks();
    const log: string[] = [];
    const r1 = await holdLock(locks, 'n', 'shared');
    const r2 = await holdLock(locks, 'n', 'shared');
    const ex = holdLock(locks, 'n', 'exclusive').then((r) => (log.push('ex'), r));
    const late = holdLock(locks, 'n', 'shared').then((r) => (log.push('late-shared'), r));
    expect((await locks.query()).held).toHaveLength(2);
    r1();
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual([]);
    r2();
    (await ex)();
    (await late)();
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['ex', 'late-shared']);
    expect((await locks.query()).held).toEqual([]);
  });

  it('a throwing callback releases the lock', async () => {
    const locks = memoryLocks();
    await expect(
      locks.request('n', { mode: 'exclusive' }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await locks.request('n', { mode: 'exclusive' }, async () => 7)).toBe(7);
  });
});

describe('a closed tab mid-pull', () => {
  it('leaves no image, and the next pull resumes and commits', async () => {
    const e = env(1000);
    let store = await e.open();
    const f = fakeImage('r', [bytesOf(2200, 4), bytesOf(3100, 5)]);
    await writeBlob(store, f.layers[0]!);
    const w = await store.beginBlob(f.image.layers[1]!.digest, { size: 3100, mediaType: 'l' });
    await w.write(f.layers[1]!.subarray(0, 2500));
    w.release();
    store.close();

    store = await e.open();
    expect(await store.listImages()).toEqual([]);
    await ok(store);
    const again = await store.beginBlob(f.image.layers[1]!.digest, { size: 3100, mediaType: 'l' });
    expect(again.offset).toBe(2000);
    await again.write(f.layers[1]!.subarray(again.offset));
    await again.complete();
    expect(await pull(store, f, ['docker.io/library/r:latest'])).toMatchObject({ newImage: true });
    await ok(store);
    expect(await store.gc()).toMatchObject({ deletedBlobs: 0 });
    await ok(store, true);
    store.close();
  });
});
