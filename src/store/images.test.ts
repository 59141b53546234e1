import { describe, expect, it } from 'vitest';
import { hexOf } from '../core/digest.ts';
import { holdLock } from './locks.ts';
import { STORE_LOCK } from './store.ts';
import { bytesOf, env, fakeImage, ok, pull, sha, writeBlob } from './test-helpers.ts';

const UBUNTU = 'docker.io/library/ubuntu:latest';
const UBUNTU_22 = 'docker.io/library/ubuntu:22.04';

describe('commitImage', () => {
  it('refuses while a blob or manifest is missing, and writes nothing', async () => {
    const e = env(1000);
    const store = await e.open();
    const f = fakeImage('a', [bytesOf(2500, 1), bytesOf(1200, 2)]);

    // Nothing stored: the manifest is reported first.
    await expect(store.commitImage(f.image, [UBUNTU])).rejects.toMatchObject({
      code: 'MANIFEST_MISSING',
      details: { missing: [f.image.manifestDigest] },
    });
    await store.putManifest(f.image.manifestDigest, f.manifest, f.image.manifestMediaType);
    await store.putBlob(f.image.id, f.config, f.image.configMediaType);
    await writeBlob(store, f.layers[0]!);
    // Second layer only partly written.
    const w = await store.beginBlob(f.image.layers[1]!.digest, { size: 1200, mediaType: 'x' });
    await w.write(f.layers[1]!.subarray(0, 1000));
    w.release();
    const err = await store.commitImage(f.image, [UBUNTU]).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'BLOB_INCOMPLETE', details: { missing: [f.image.layers[1]!.digest] } });
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ name: 'StoreError', code: 'BLOB_INCOMPLETE' });
    expect(await store.listImages()).toEqual([]);
    expect(await store.listTags()).toEqual([]);
    await ok(store);

    // An index digest that is not stored is refused too.
    await writeBlob(store, f.layers[1]!);
    const withIndex = { ...f.image, indexDigest: sha(new Uint8Array([9])) };
    await expect(store.commitImage(withIndex, [UBUNTU])).rejects.toMatchObject({ code: 'MANIFEST_MISSING' });
    expect(await store.listImages()).toEqual([]);

    const r = await store.commitImage(f.image, [UBUNTU]);
    expect(r).toEqual({ imageId: f.image.id, newImage: true, moved: [], added: [UBUNTU], unchanged: [] });
    expect(await store.getImage(f.image.id)).toEqual(f.image);
    await ok(store);
    store.close();
  });

  it('refuses malformed records and tag names', async () => {
    const e = env();
    const store = await e.open();
    const f = fakeImage('a', [bytesOf(10)]);
    await expect(store.commitImage({ ...f.image, id: 'sha256:nothex' as never }, [UBUNTU])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    for (const bad of ['', 'ubuntu', 'docker.io/library/ubuntu', 'a b:c', 'x@sha256:00:1', 'a:b/c']) {
      await expect(store.commitImage(f.image, [bad])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    store.close();
  });
});

describe('tags', () => {
  it('a tag moves to the newer image; the older one stays, dangling', async () => {
    const e = env(1000);
    const store = await e.open();
    const base = bytesOf(2000, 1);
    const v1 = fakeImage('v1', [base]);
    const v2 = fakeImage('v2', [base, bytesOf(500, 2)]);

    expect(await pull(store, v1, [UBUNTU, UBUNTU_22])).toMatchObject({ newImage: true, added: [UBUNTU, UBUNTU_22] });
    await ok(store);
    // Same image again: up to date.
    expect(await pull(store, v1, [UBUNTU])).toEqual({
      imageId: v1.image.id,
      newImage: false,
      moved: [],
      added: [],
      unchanged: [UBUNTU],
    });
    await ok(store);

    const r = await pull(store, v2, [UBUNTU]);
    expect(r).toEqual({
      imageId: v2.image.id,
      newImage: true,
      moved: [{ name: UBUNTU, from: v1.image.id }],
      added: [],
      unchanged: [],
    });
    expect(await store.tagsOf(v1.image.id)).toEqual([UBUNTU_22]);
    expect(await store.tagsOf(v2.image.id)).toEqual([UBUNTU]);
    await ok(store);

    // Moving the last tag leaves v1 dangling but present.
    expect(await store.tag(v2.image.id, UBUNTU_22)).toEqual({ previous: v1.image.id });
    expect(await store.tagsOf(v1.image.id)).toEqual([]);
    expect(await store.getImage(v1.image.id)).toBeDefined();
    expect(await store.tag(v2.image.id, UBUNTU_22)).toEqual({});
    await ok(store);

    expect(await store.untag(UBUNTU_22)).toBe(v2.image.id);
    await expect(store.untag(UBUNTU_22)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.tag(sha(new Uint8Array([7])), 'docker.io/x/y:z')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await store.listTags()).map((t) => t.name)).toEqual([UBUNTU]);
    await ok(store);
    store.close();
  });

  it('a recommit merges repoDigests and keeps the first storedAt', async () => {
    const e = env(1000);
    const store = await e.open();
    const f = fakeImage('m', [bytesOf(100)]);
    await pull(store, f, [UBUNTU]);
    const again = {
      ...f.image,
      repoDigests: ['ghcr.io/o/m@' + f.image.manifestDigest],
      storedAt: f.image.storedAt + 5000,
    };
    await store.commitImage(again, ['ghcr.io/o/m:latest']);
    const got = await store.getImage(f.image.id);
    expect(got?.repoDigests).toEqual([...f.image.repoDigests, 'ghcr.io/o/m@' + f.image.manifestDigest]);
    expect(got?.storedAt).toBe(f.image.storedAt);
    store.close();
  });
});

describe('deleteImage and gc', () => {
  it('keeps shared layers, drops unshared ones (exact counts and bytes)', async () => {
    const e = env(1000);
    const store = await e.open();
    const shared = bytesOf(2500, 1);
    const a = fakeImage('a', [shared, bytesOf(1200, 2)]);
    const b = fakeImage('b', [shared, bytesOf(900, 3)]);
    await pull(store, a, ['docker.io/library/a:latest']);
    await pull(store, b, ['docker.io/library/b:latest']);
    await ok(store);
    expect(await store.usage()).toMatchObject({
      blobCount: 5,
      blobBytes: 2500 + 1200 + 900 + a.config.byteLength + b.config.byteLength,
      imageCount: 2,
      tagCount: 2,
      manifestCount: 2,
      layerIndexCount: 3,
    });
    // Nothing unreferenced yet.
    expect(await store.gc()).toMatchObject({
      deletedBlobs: 0,
      reclaimedBytes: 0,
      deletedManifests: 0,
      deletedLayerIndexes: 0,
    });
    await ok(store, true);

    await expect(store.deleteImage(a.image.id)).rejects.toMatchObject({
      code: 'IMAGE_REFERENCED',
      details: { tags: ['docker.io/library/a:latest'] },
    });
    expect(await store.deleteImage(a.image.id, { force: true })).toEqual({ untagged: ['docker.io/library/a:latest'] });
    await ok(store);
    await expect(store.deleteImage(a.image.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const r = await store.gc();
    expect(r).toMatchObject({
      deletedBlobs: 2,
      reclaimedBytes: 1200 + a.config.byteLength,
      deletedManifests: 1,
      deletedLayerIndexes: 1,
      deletedOrphanChunks: 0,
    });
    expect(new Set(r.deletedDigests)).toEqual(new Set([a.image.id, a.image.layers[1]!.digest]));
    await ok(store, true);
    expect(await store.hasBlob(sha(shared))).toBe('complete');
    expect(await store.getLayerIndex(a.image.layers[0]!.diffId)).toEqual({ entries: 2500 });
    expect(await store.getLayerIndex(a.image.layers[1]!.diffId)).toBeUndefined();
    expect(await store.getManifest(a.image.manifestDigest)).toBeUndefined();
    expect(await store.usage()).toMatchObject({
      blobCount: 3,
      blobBytes: 2500 + 900 + b.config.byteLength,
      imageCount: 1,
    });

    // Untag + delete the last image: everything goes.
    await store.untag('docker.io/library/b:latest');
    await store.deleteImage(b.image.id);
    await ok(store);
    const r2 = await store.gc();
    expect(r2).toMatchObject({ deletedBlobs: 3, reclaimedBytes: 2500 + 900 + b.config.byteLength });
    await ok(store, true);
    expect(await store.usage()).toEqual({
      blobBytes: 0,
      blobCount: 0,
      partialBytes: 0,
      partialCount: 0,
      manifestBytes: 0,
      manifestCount: 0,
      layerIndexCount: 0,
      imageCount: 0,
      tagCount: 0,
    });
    store.close();
  });

  it('keeps partial blobs younger than the grace period, then sweeps them', async () => {
    const e = env(1000);
    const store = await e.open({ partialGraceMs: 60_000 });
    const bytes = bytesOf(3000, 4);
    const w = await store.beginBlob(sha(bytes), { size: 3000, mediaType: 'x' });
    await w.write(bytes.subarray(0, 2000));
    // While the writer holds the blob, even an old partial stays.
    e.clock.now += 10 * 60_000;
    expect(await store.gc()).toMatchObject({ deletedBlobs: 0, keptPartials: 1 });
    w.release(); // interrupted
    e.clock.now = (await store.getBlobRecord(sha(bytes)))!.updatedAt + 59_999;
    expect(await store.gc()).toMatchObject({ deletedBlobs: 0, keptPartials: 1 });
    expect(await store.hasBlob(sha(bytes))).toEqual({ partial: 2000 });
    await ok(store, true);
    e.clock.now += 1;
    expect(await store.gc()).toMatchObject({ deletedBlobs: 1, reclaimedBytes: 2000, keptPartials: 0 });
    expect(await store.hasBlob(sha(bytes))).toBe('absent');
    await ok(store, true);
    store.close();
  });

  it('a lease in another tab protects blobs, manifests and indexes of an uncommitted pull', async () => {
    const e = env(1000);
    const tabA = await e.open();
    const tabB = await e.open();
    const f = fakeImage('p', [bytesOf(1500, 5)]);
    const lease = await tabA.lease([
      f.image.id,
      f.image.manifestDigest,
      ...f.image.layers.flatMap((l) => [l.digest, l.diffId]),
    ]);
    await writeBlob(tabA, f.layers[0]!);
    await tabA.putBlob(f.image.id, f.config, 'c');
    await tabA.putManifest(f.image.manifestDigest, f.manifest, 'm');
    await tabA.putLayerIndex(f.image.layers[0]!.diffId, { x: 1 });
    expect(await tabB.gc()).toMatchObject({ deletedBlobs: 0, deletedManifests: 0, deletedLayerIndexes: 0 });
    await ok(tabB, true);
    await tabA.commitImage(f.image, ['docker.io/library/p:latest']);
    lease.release();
    await ok(tabB, true);

    // Without a lease, unreferenced complete blobs go at once (no grace for complete blobs).
    const loose = await writeBlob(tabA, bytesOf(700, 6));
    expect(await tabB.checkInvariants({ afterGc: true })).toEqual([
      expect.stringContaining('unreferenced, survived gc'),
    ]);
    expect(await tabB.gc()).toMatchObject({ deletedBlobs: 1, reclaimedBytes: 700, deletedDigests: [loose] });
    await ok(tabB, true);
    tabA.close();
    tabB.close();
  });
});

describe('lookup', () => {
  it('resolves full IDs, tags, digest references and unique ID prefixes; ambiguity is an error', async () => {
    const e = env(1000);
    const store = await e.open();
    // 17 configs: two IDs must share their first hex digit.
    const imgs = Array.from({ length: 17 }, (_, i) => fakeImage(`img${i}`, []));
    const byFirst = new Map<string, typeof imgs>();
    for (const f of imgs) byFirst.set(hexOf(f.image.id)[0]!, [...(byFirst.get(hexOf(f.image.id)[0]!) ?? []), f]);
    const pair = [...byFirst.values()].find((g) => g.length >= 2)!;
    const [x, y] = pair as [(typeof imgs)[0], (typeof imgs)[0]];
    await pull(store, x, ['docker.io/library/x:latest']);
    await pull(store, y, []);
    await ok(store);

    const c = hexOf(x.image.id)[0]!;
    const amb = await store.lookup(c).catch((err: unknown) => err);
    expect(amb).toMatchObject({ code: 'AMBIGUOUS_ID', details: { prefix: c } });
    expect(new Set((amb as { details: { matches: string[] } }).details.matches)).toEqual(
      new Set([x.image.id, y.image.id]),
    );
    await expect(store.lookup(`sha256:${c}`)).rejects.toMatchObject({ code: 'AMBIGUOUS_ID' });

    expect((await store.lookup(hexOf(x.image.id).slice(0, 12)))?.id).toBe(x.image.id);
    expect((await store.lookup(`sha256:${hexOf(y.image.id).slice(0, 12)}`))?.id).toBe(y.image.id);
    expect((await store.lookup(hexOf(y.image.id)))?.id).toBe(y.image.id);
    expect((await store.lookup(y.image.id))?.id).toBe(y.image.id);
    expect((await store.lookup('x', { name: 'docker.io/library/x:latest' }))?.id).toBe(x.image.id);
    expect((await store.lookup('docker.io/library/x:latest'))?.id).toBe(x.image.id);
    expect((await store.lookup(x.image.repoDigests[0]!))?.id).toBe(x.image.id);
    expect(await store.lookup('x')).toBeUndefined();
    expect(await store.lookup('g')).toBeUndefined();
    const absent = [...'0123456789abcdef'].find(
      (h) => !byFirst.has(h) || ![x, y].some((f) => hexOf(f.image.id)[0] === h),
    );
    expect(await store.lookup(absent!)).toBeUndefined();
    expect(await store.lookup('')).toBeUndefined();
    store.close();
  });
});

describe('serialization and notifications', () => {
  it('writers wait for the store lock held by another tab; readers do not', async () => {
    const e = env(1000);
    const tabA = await e.open();
    const tabB = await e.open();
    const f = fakeImage('s', [bytesOf(300, 7)]);
    await pull(tabA, f, []);
    const release = await holdLock(e.locks, STORE_LOCK, 'exclusive');
    let committed = false;
    const p = tabB.commitImage(f.image, ['docker.io/library/s:latest']).then(() => (committed = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(committed).toBe(false);
    expect(await tabB.listTags()).toEqual([]); // reads go on
    release();
    await p;
    expect(await tabA.tagsOf(f.image.id)).toEqual(['docker.io/library/s:latest']);
    tabA.close();
    tabB.close();
  });

  it('concurrent commits, tags and gc never interleave inside the lock', async () => {
    const e = env(1000);
    const events: string[] = [];
    const traced = {
      query: () => e.locks.query(),
      request<T>(name: string, options: { mode: 'exclusive' | 'shared' }, cb: () => Promise<T>): Promise<T> {
        return e.locks.request(name, options, async () => {
          if (name === STORE_LOCK) events.push('enter');
          try {
            return await cb();
          } finally {
            if (name === STORE_LOCK) events.push('exit');
          }
        });
      },
    };
    const tabA = await e.open({ locks: traced });
    const tabB = await e.open({ locks: traced });
    const fa = fakeImage('ca', [bytesOf(1100, 8)]);
    const fb = fakeImage('cb', [bytesOf(1100, 9)]);
    await Promise.all([pull(tabA, fa, ['docker.io/library/c:a']), pull(tabB, fb, ['docker.io/library/c:b'])]);
    events.length = 0;
    await Promise.all([
      tabA.commitImage(fa.image, ['docker.io/library/c:latest']),
      tabB.commitImage(fb.image, ['docker.io/library/c:latest']),
      tabA.gc(),
      tabB.tag(fa.image.id, 'docker.io/library/c:x'),
    ]);
    expect(events).toEqual(['enter', 'exit', 'enter', 'exit', 'enter', 'exit', 'enter', 'exit']);
    const winner = (await tabA.getTag('docker.io/library/c:latest'))!.imageId;
    expect([fa.image.id, fb.image.id]).toContain(winner);
    await ok(tabA, true);
    tabA.close();
    tabB.close();
  });

  it('announces committed changes to this tab and to the others', async () => {
    const e = env(1000);
    const tabA = await e.open();
    const tabB = await e.open();
    const seenA: string[] = [];
    const seenB: string[] = [];
    tabA.onChange((c) => seenA.push(c.op));
    const off = tabB.onChange((c) => seenB.push(`${c.op}:${c.names?.join(',') ?? ''}`));
    const f = fakeImage('n', [bytesOf(10)]);
    await pull(tabA, f, ['docker.io/library/n:latest']);
    await expect(tabA.commitImage({ ...f.image, id: sha(new Uint8Array([1])) }, [])).rejects.toBeDefined();
    await tabA.untag('docker.io/library/n:latest');
    off();
    await tabA.deleteImage(f.image.id);
    expect(seenA).toEqual(['blob', 'blob', 'manifest', 'layerIndex', 'commitImage', 'untag', 'deleteImage']);
    expect(seenB).toEqual([
      'blob:',
      'blob:',
      'manifest:',
      'layerIndex:',
      'commitImage:docker.io/library/n:latest',
      'untag:docker.io/library/n:latest',
    ]);
    tabA.close();
    tabB.close();
  });
});

describe('space', () => {
  it('estimate() and persist() wrap navigator.storage, and are undefined without it', async () => {
    const e = env();
    const calls: string[] = [];
    const store = await e.open({
      storage: {
        estimate: async () => (calls.push('estimate'), { usage: 1234, quota: 5678 }),
        persisted: async () => false,
        persist: async () => (calls.push('persist'), true),
      },
    });
    expect(await store.estimate()).toEqual({ usage: 1234, quota: 5678, persisted: false });
    expect(await store.persist()).toBe(true);
    expect(calls).toEqual(['estimate', 'persist']);
    store.close();
    const bare = await e.open({ storage: null });
    expect(await bare.estimate()).toBeUndefined();
    expect(await bare.persist()).toBeUndefined();
    bare.close();
  });

  it('checkInvariants catches a tampered store (deep and shallow)', async () => {
    const e = env(1000);
    const store = await e.open();
    const f = fakeImage('t', [bytesOf(2500, 11)]);
    await pull(store, f, ['docker.io/library/t:latest']);
    await ok(store);
    // Tamper through a raw connection: drop a chunk, truncate another, dangle a tag.
    const req = e.factory.open('layerscope');
    await new Promise((r) => (req.onsuccess = r));
    const raw = req.result;
    const tx = raw.transaction(['chunks', 'tags', 'images'], 'readwrite');
    const layer = f.image.layers[0]!.digest;
    tx.objectStore('chunks').delete([layer, 1]);
    tx.objectStore('chunks').put({ digest: layer, n: 2, bytes: new Uint8Array(10) });
    tx.objectStore('chunks').put({ digest: sha(new Uint8Array([5])), n: 0, bytes: new Uint8Array(1) });
    tx.objectStore('tags').put({ name: 'docker.io/library/gone:latest', imageId: sha(new Uint8Array([6])) });
    await new Promise((r) => (tx.oncomplete = r));
    raw.close();
    const deep = await store.checkInvariants();
    expect(deep).toEqual(
      expect.arrayContaining([
        expect.stringContaining('tag docker.io/library/gone:latest points to missing image'),
        expect.stringMatching(/chunk 0 of sha256:.* has no blob record/),
        expect.stringMatching(/chunks \[0,2\] stored, record says 3/),
        expect.stringMatching(/chunks \[2\] have the wrong length/),
      ]),
    );
    const shallow = await store.checkInvariants({ deep: false });
    expect(shallow.some((p) => p.includes('wrong length'))).toBe(false);
    expect(shallow.some((p) => p.includes('record says 3'))).toBe(true);
    // gc removes the orphan chunk; the missing one cannot be repaired, and is still reported.
    expect(await store.gc()).toMatchObject({ deletedOrphanChunks: 1 });
    expect((await store.checkInvariants()).some((p) => p.includes('has no blob record'))).toBe(false);
    store.close();
  });
});

describe('per-reference manifests and digest references', () => {
  it('keeps the manifest each reference names; a moved or removed tag takes its record along', async () => {
    const e = env();
    const store = await e.open();
    const a = fakeImage('a', [bytesOf(300, 1)]);
    const b = fakeImage('b', [bytesOf(300, 2)]);
    const other = new TextEncoder().encode('{"schemaVersion":2,"other":true}');
    await store.putManifest(sha(other), other, 'application/vnd.oci.image.manifest.v1+json');
    const ref = (m: string) => ({ manifestDigest: m as `sha256:${string}`, manifestMediaType: 'x' });
    const digestRef = `docker.io/library/ubuntu@${sha(new Uint8Array([1]))}`;
    await pull(
      store,
      {
        ...a,
        image: {
          ...a.image,
          repoDigests: [digestRef],
          refManifests: { [UBUNTU]: ref(sha(other)), [UBUNTU_22]: ref(a.image.manifestDigest) },
        },
      },
      [UBUNTU, UBUNTU_22],
    );
    // gc keeps the other manifest while a tag names it.
    await store.gc();
    expect(await store.getManifest(sha(other))).toBeDefined();
    await ok(store, true);
    // The digest reference stays with the first image: b does not get it.
    await pull(store, { ...b, image: { ...b.image, repoDigests: [digestRef] } }, [UBUNTU]);
    expect((await store.getImage(b.image.id))!.repoDigests).toEqual([]);
    expect((await store.getImage(a.image.id))!.repoDigests).toEqual([digestRef]);
    // ubuntu:latest moved to b: a no longer records its manifest, and gc may sweep it.
    expect(Object.keys((await store.getImage(a.image.id))!.refManifests!)).toEqual([UBUNTU_22]);
    await store.gc();
    expect(await store.getManifest(sha(other))).toBeUndefined();
    await store.untag(UBUNTU_22);
    expect((await store.getImage(a.image.id))!.refManifests).toEqual({});
    await ok(store, true);
    store.close();
  });
});

describe('gc at scale', () => {
  it('sweeps many loose blobs by key ranges, keeping every referenced or young one between them', async () => {
    const e = env(100);
    const store = await e.open();
    const a = fakeImage('a', [bytesOf(250, 1), bytesOf(120, 2)]);
    const b = fakeImage('b', [bytesOf(310, 3)]);
    await pull(store, a, [UBUNTU]);
    await pull(store, b, [UBUNTU_22]);
    // 300 loose complete blobs (1–3 chunks each): their digests fall between the kept ones.
    const loose: string[] = [];
    let bytes = 0;
    for (let i = 0; i < 300; i++) {
      const data = bytesOf(50 + ((i * 37) % 200), 100 + i);
      loose.push(await writeBlob(store, data));
      bytes += data.length;
    }
    // A young partial blob and a lease: both survive, wherever their digests sort.
    const partial = bytesOf(500, 999);
    const w = await store.beginBlob(sha(partial), { size: 500, mediaType: 'x' });
    await w.write(partial.subarray(0, 200));
    w.release();
    const leased = await writeBlob(store, bytesOf(90, 998));
    const lease = await store.lease([leased]);
    const r = await store.gc();
    expect(r).toMatchObject({ deletedBlobs: 300, reclaimedBytes: bytes, keptPartials: 1, deletedOrphanChunks: 0 });
    expect([...r.deletedDigests].sort()).toEqual([...loose].sort());
    for (const d of [...a.image.layers, ...b.image.layers].map((l) => l.digest))
      expect(await store.hasBlob(d)).toBe('complete');
    expect(await store.hasBlob(leased)).toBe('complete');
    expect(await store.hasBlob(sha(partial))).toEqual({ partial: 200 });
    for (const d of loose.slice(0, 20)) expect(await store.hasBlob(d as `sha256:${string}`)).toBe('absent');
    await ok(store, true);
    lease.release();
    store.close();
  });
});
