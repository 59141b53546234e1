import { describe, expect, it } from 'vitest';
import { isStoreError, StoreError } from './errors.ts';
import { bytesOf, env, ok, readAll, sha, writeBlob } from './test-helpers.ts';

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

describe('blob writing and reading', () => {
  it('streams a multi-chunk blob in odd pieces and reads it back byte-exact, chunk by chunk', async () => {
    const e = env(1000);
    const store = await e.open();
    const bytes = bytesOf(3500);
    const digest = await writeBlob(store, bytes, 333);
    await ok(store);
    expect(await store.hasBlob(digest)).toBe('complete');
    const rec = await store.getBlobRecord(digest);
    expect(rec).toMatchObject({ size: 3500, chunkSize: 1000, chunkCount: 4, bytesWritten: 3500, complete: true });

    const all = await readAll(store.readBlob(digest));
    expect(all.pieces).toEqual([1000, 1000, 1000, 500]);
    expect(Buffer.from(all.bytes).equals(Buffer.from(bytes))).toBe(true);

    const tail = await readAll(store.readBlob(digest, { start: 2500 }));
    expect(tail.pieces).toEqual([500, 500]);
    expect(Buffer.from(tail.bytes).equals(Buffer.from(bytes.subarray(2500)))).toBe(true);
    expect((await readAll(store.readBlob(digest, { start: 3500 }))).pieces).toEqual([]);
    await expect(readAll(store.readBlob(digest, { start: 3501 }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

    expect(Buffer.from(await store.readBlobBytes(digest, 4000)).equals(Buffer.from(bytes))).toBe(true);
    await expect(store.readBlobBytes(digest, 3499)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    store.close();
  });

  it('handles an exact multiple of the chunk size and an empty blob', async () => {
    const e = env(1000);
    const store = await e.open();
    const two = bytesOf(2000, 2);
    const d2 = await writeBlob(store, two, 2000);
    expect((await readAll(store.readBlob(d2))).pieces).toEqual([1000, 1000]);
    const empty = new Uint8Array(0);
    const d0 = await writeBlob(store, empty);
    expect(await store.getBlobRecord(d0)).toMatchObject({ size: 0, chunkCount: 0, complete: true });
    expect((await readAll(store.readBlob(d0))).bytes.byteLength).toBe(0);
    await ok(store);
    store.close();
  });

  it('resumes after an interrupted write: offset, stored prefix, then the rest', async () => {
    const e = env(1000);
    let store = await e.open();
    const bytes = bytesOf(3500, 3);
    const digest = sha(bytes);
    const w1 = await store.beginBlob(digest, { size: 3500, mediaType: LAYER });
    expect(w1.offset).toBe(0);
    await w1.write(bytes.subarray(0, 2600)); // two full chunks stored, 600 bytes buffered
    expect(w1.offset).toBe(2000);
    expect(w1.received).toBe(2600);
    w1.release(); // the tab goes away; the buffered tail is lost
    store.close();
    await expect(w1.write(bytes.subarray(2600))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

    store = await e.open();
    expect(await store.hasBlob(digest)).toEqual({ partial: 2000 });
    await ok(store);
    await expect(readAll(store.readBlob(digest))).rejects.toMatchObject({ code: 'BLOB_INCOMPLETE' });
    const prefix = await readAll(store.readBlob(digest, { allowPartial: true }));
    expect(Buffer.from(prefix.bytes).equals(Buffer.from(bytes.subarray(0, 2000)))).toBe(true);

    const w2 = await store.beginBlob(digest, { size: 3500, mediaType: LAYER });
    expect(w2.offset).toBe(2000);
    await w2.write(bytes.subarray(2000));
    await w2.complete();
    expect(Buffer.from((await readAll(store.readBlob(digest))).bytes).equals(Buffer.from(bytes))).toBe(true);
    await ok(store);
    store.close();
  });

  it('restarts from zero when an earlier partial declared another size', async () => {
    const e = env(1000);
    const store = await e.open();
    const bytes = bytesOf(2500, 4);
    const digest = sha(bytes);
    const w1 = await store.beginBlob(digest, { size: 9999, mediaType: LAYER });
    await w1.write(bytes.subarray(0, 1000));
    w1.release();
    const w2 = await store.beginBlob(digest, { size: 2500, mediaType: LAYER });
    expect(w2.offset).toBe(0);
    await w2.write(bytes);
    await w2.complete();
    await ok(store);
    store.close();
  });

  it('abort leaves nothing; a completed blob survives abort', async () => {
    const e = env(1000);
    const store = await e.open();
    const bytes = bytesOf(2500, 5);
    const digest = sha(bytes);
    const w = await store.beginBlob(digest, { size: 2500, mediaType: LAYER });
    await w.write(bytes.subarray(0, 2200));
    await w.abort();
    expect(await store.hasBlob(digest)).toBe('absent');
    expect(await store.usage()).toMatchObject({ blobCount: 0, partialCount: 0, partialBytes: 0 });
    await ok(store);

    await writeBlob(store, bytes);
    const again = await store.beginBlob(digest, { size: 2500, mediaType: LAYER });
    expect(again.alreadyComplete).toBe(true);
    expect(again.offset).toBe(2500);
    await again.abort();
    await expect(again.write(bytes)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await store.hasBlob(digest)).toBe('complete');
    expect(await store.discardPartial(digest)).toBe(false);
    expect(await store.hasBlob(digest)).toBe('complete');
    await ok(store);
    store.close();
  });

  it('refuses more bytes than declared and completing short; never marks complete', async () => {
    const e = env(1000);
    const store = await e.open();
    const bytes = bytesOf(1500, 6);
    const digest = sha(bytes);
    const w = await store.beginBlob(digest, { size: 1500, mediaType: LAYER });
    await w.write(bytes.subarray(0, 1200));
    await expect(w.complete()).rejects.toMatchObject({ code: 'BLOB_INCOMPLETE' });
    await expect(w.write(new Uint8Array(301))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await store.hasBlob(digest)).toEqual({ partial: 1000 });
    await w.abort();
    expect(await store.hasBlob(digest)).toBe('absent');
    await ok(store);
    store.close();
  });

  it('discardPartial removes a partial blob and its chunks', async () => {
    const e = env(1000);
    const store = await e.open();
    const bytes = bytesOf(3000, 7);
    const digest = sha(bytes);
    const w = await store.beginBlob(digest, { size: 3000, mediaType: LAYER });
    await w.write(bytes.subarray(0, 2000));
    w.release();
    expect(await store.discardPartial(digest)).toBe(true);
    expect(await store.hasBlob(digest)).toBe('absent');
    await ok(store);
    store.close();
  });

  it('putBlob checks the digest and stores small blobs in chunks', async () => {
    const e = env(1000);
    const store = await e.open();
    const cfg = bytesOf(2100, 8);
    await expect(store.putBlob(sha(new Uint8Array([1])), cfg, 'x')).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await store.hasBlob(sha(new Uint8Array([1])))).toBe('absent');
    await store.putBlob(sha(cfg), cfg, 'application/vnd.oci.image.config.v1+json');
    expect(await store.getBlobRecord(sha(cfg))).toMatchObject({ chunkCount: 3, complete: true, size: 2100 });
    expect(Buffer.from(await store.readBlobBytes(sha(cfg), 1 << 20)).equals(Buffer.from(cfg))).toBe(true);
    await ok(store);
    store.close();
  });

  it('refuses malformed digests and sizes with INVALID_ARGUMENT', async () => {
    const e = env();
    const store = await e.open();
    await expect(store.beginBlob('sha256:abc' as never, { size: 1, mediaType: LAYER })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.beginBlob(sha(new Uint8Array()), { size: -1, mediaType: LAYER })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.beginBlob(sha(new Uint8Array()), { size: 1.5, mediaType: LAYER })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.hasBlob('md5:00' as never)).rejects.toBeInstanceOf(StoreError);
    store.close();
  });

  it('one writer per blob across tabs: the second waits, then finds it complete', async () => {
    const e = env(1000);
    const tabA = await e.open();
    const tabB = await e.open();
    const bytes = bytesOf(2500, 9);
    const digest = sha(bytes);
    const wA = await tabA.beginBlob(digest, { size: 2500, mediaType: LAYER });
    let bStarted = false;
    const wBp = tabB.beginBlob(digest, { size: 2500, mediaType: LAYER }).then((w) => ((bStarted = true), w));
    await wA.write(bytes.subarray(0, 1500));
    await new Promise((r) => setTimeout(r, 20));
    expect(bStarted).toBe(false);
    await wA.write(bytes.subarray(1500));
    await wA.complete();
    const wB = await wBp;
    expect(wB.alreadyComplete).toBe(true);
    await ok(tabB);
    tabA.close();
    tabB.close();
  });

  it('a reader sees BLOB_CONFLICT, not wrong bytes, when the blob goes away mid-read', async () => {
    const e = env(1000);
    const store = await e.open();
    const bytes = bytesOf(3000, 10);
    const digest = sha(bytes);
    const w = await store.beginBlob(digest, { size: 3000, mediaType: LAYER });
    await w.write(bytes.subarray(0, 2000));
    w.release();
    const reader = store.readBlob(digest, { allowPartial: true }).getReader();
    expect((await reader.read()).value?.byteLength).toBe(1000);
    await store.discardPartial(digest);
    const err = await reader.read().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isStoreError(err, 'BLOB_CONFLICT')).toBe(true);
    store.close();
  });
});
