/**
 * Blobs: content-addressed, stored once per digest, their bytes in chunks of `chunkSize`.
 * Written first, chunk by chunk; each chunk and the record's progress are one transaction, so
 * a closed tab leaves a resumable partial blob, never a torn one. `complete` is set only by the
 * caller, after it verified the digest. Writers hold the blob's lock (see kernel.ts).
 */
import type { Digest } from '../core/digest.ts';
import { ChunkedBlobWriter, type BlobWriter } from './blob-writer.ts';
import { StoreError } from './errors.ts';
import { chunkRange, quiet, type StoreKernel } from './kernel.ts';
import type { BlobRecord } from './schema.ts';
import { checkBytes, checkDigest, checkMediaType, checkSize, MAX_PUT_BLOB_BYTES, short } from './validate.ts';

export type BlobState = 'complete' | 'absent' | { partial: number };

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const buf = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function getBlobRecord(k: StoreKernel, digest: Digest): Promise<BlobRecord | undefined> {
  checkDigest(digest, 'blob digest');
  return k.read(['blobs'], 'read a blob record', (tx) => tx.objectStore('blobs').get(digest));
}

/** Several blob records in one transaction (absent ones undefined), in the order asked. */
export async function getBlobRecords(k: StoreKernel, digests: readonly Digest[]): Promise<(BlobRecord | undefined)[]> {
  digests.forEach((d, i) => checkDigest(d, `blob digest ${i}`));
  return k.read(['blobs'], 'read blob records', (tx) => {
    const blobs = tx.objectStore('blobs');
    return Promise.all(digests.map((d) => blobs.get(d)));
  });
}

export function listBlobRecords(k: StoreKernel): Promise<BlobRecord[]> {
  return k.read(['blobs'], 'list blob records', (tx) => tx.objectStore('blobs').getAll());
}

export async function hasBlob(k: StoreKernel, digest: Digest): Promise<BlobState> {
  const rec = await getBlobRecord(k, digest);
  if (!rec) return 'absent';
  return rec.complete ? 'complete' : { partial: rec.bytesWritten };
}

export async function beginBlob(
  k: StoreKernel,
  digest: Digest,
  opts: { size: number; mediaType: string },
): Promise<BlobWriter> {
  checkDigest(digest, 'blob digest');
  checkSize(opts.size, 'blob size');
  checkMediaType(opts.mediaType);
  const release = await k.lockBlob(digest, 'write');
  try {
    const chunkSize = k.chunkSize;
    const rec = await k.write(['blobs', 'chunks'], `start storing blob ${short(digest)}`, async (tx) => {
      const blobs = tx.objectStore('blobs');
      const existing = await blobs.get(digest);
      if (existing?.complete) return existing;
      // Same digest, other declared size or chunking: the old bytes cannot be continued.
      if (existing && existing.size === opts.size && existing.chunkSize === chunkSize) return existing;
      if (existing) await tx.objectStore('chunks').delete(chunkRange(digest));
      const now = k.now();
      const fresh: BlobRecord = {
        digest,
        size: opts.size,
        mediaType: opts.mediaType,
        chunkSize,
        chunkCount: 0,
        bytesWritten: 0,
        complete: false,
        createdAt: now,
        updatedAt: now,
      };
      await blobs.put(fresh);
      return fresh;
    });
    if (rec.complete) release();
    return new ChunkedBlobWriter(digest, rec, release, {
      putChunk: (n, bytes) => putChunk(k, digest, n, bytes, chunkSize),
      markComplete: () => markComplete(k, digest),
      discard: () => discardLocked(k, digest),
    });
  } catch (e) {
    release();
    throw e;
  }
}

function putChunk(k: StoreKernel, digest: Digest, n: number, bytes: Uint8Array, chunkSize: number): Promise<void> {
  return k.write(['blobs', 'chunks'], `store blob ${short(digest)}`, async (tx) => {
    const blobs = tx.objectStore('blobs');
    const rec = await blobs.get(digest);
    if (!rec || rec.complete || rec.chunkCount !== n || rec.chunkSize !== chunkSize) {
      throw new StoreError(
        'BLOB_CONFLICT',
        `blob ${short(digest)} changed while it was being written (removed by another tab?)`,
        { digest },
      );
    }
    await tx.objectStore('chunks').put({ digest, n, bytes });
    rec.chunkCount = n + 1;
    rec.bytesWritten += bytes.byteLength;
    rec.updatedAt = k.now();
    await blobs.put(rec);
  });
}

function markComplete(k: StoreKernel, digest: Digest): Promise<void> {
  return k.write(
    ['blobs'],
    `complete blob ${short(digest)}`,
    async (tx) => {
      const blobs = tx.objectStore('blobs');
      const rec = await blobs.get(digest);
      if (!rec)
        throw new StoreError('BLOB_CONFLICT', `blob ${short(digest)} was removed while it was being written`, {
          digest,
        });
      if (rec.complete) return;
      const expected = Math.ceil(rec.size / rec.chunkSize);
      if (rec.bytesWritten !== rec.size || rec.chunkCount !== expected) {
        throw new StoreError(
          'BLOB_INCOMPLETE',
          `blob ${short(digest)}: ${rec.bytesWritten} of ${rec.size} bytes stored`,
          {
            digest,
          },
        );
      }
      rec.complete = true;
      rec.updatedAt = k.now();
      await blobs.put(rec);
    },
    { announce: () => ({ op: 'blob', digest }) },
  );
}

/** Deletes a partial blob; a complete one stays. Caller holds the blob lock. */
function discardLocked(k: StoreKernel, digest: Digest): Promise<boolean> {
  return k.write(
    ['blobs', 'chunks'],
    `discard blob ${short(digest)}`,
    async (tx) => {
      const blobs = tx.objectStore('blobs');
      const rec = await blobs.get(digest);
      if (rec?.complete) return false;
      await Promise.all([quiet(blobs.delete(digest)), quiet(tx.objectStore('chunks').delete(chunkRange(digest)))]);
      return rec !== undefined;
    },
    { announce: (deleted) => (deleted ? { op: 'blob', digest } : undefined) },
  );
}

export async function discardPartial(k: StoreKernel, digest: Digest): Promise<boolean> {
  checkDigest(digest, 'blob digest');
  const release = await k.lockBlob(digest, 'delete');
  try {
    return await discardLocked(k, digest);
  } finally {
    release();
  }
}

export async function putBlob(k: StoreKernel, digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void> {
  checkDigest(digest, 'blob digest');
  checkMediaType(mediaType);
  checkBytes(
    bytes,
    MAX_PUT_BLOB_BYTES,
    'blob',
    digest,
    `putBlob takes at most ${MAX_PUT_BLOB_BYTES} (stream it with beginBlob)`,
  );
  // Hash before the transaction: awaiting crypto inside it would let it commit early.
  const hex = await sha256Hex(bytes);
  if (`sha256:${hex}` !== digest) {
    throw new StoreError('DIGEST_MISMATCH', `blob content does not match ${digest} (got sha256:${hex})`, {
      digest,
      actual: `sha256:${hex}`,
    });
  }
  const chunkSize = k.chunkSize;
  const release = await k.lockBlob(digest, 'write');
  try {
    await k.write(
      ['blobs', 'chunks'],
      `store blob ${short(digest)}`,
      async (tx) => {
        const blobs = tx.objectStore('blobs');
        const chunks = tx.objectStore('chunks');
        const existing = await blobs.get(digest);
        if (existing?.complete) return false;
        if (existing) await chunks.delete(chunkRange(digest));
        const ops: Promise<unknown>[] = [];
        let n = 0;
        for (let off = 0; off < bytes.byteLength; off += chunkSize, n++) {
          ops.push(quiet(chunks.put({ digest, n, bytes: bytes.slice(off, off + chunkSize) })));
        }
        const now = k.now();
        ops.push(
          quiet(
            blobs.put({
              digest,
              size: bytes.byteLength,
              mediaType,
              chunkSize,
              chunkCount: n,
              bytesWritten: bytes.byteLength,
              complete: true,
              createdAt: existing?.createdAt ?? now,
              updatedAt: now,
            }),
          ),
        );
        await Promise.all(ops);
        return true;
      },
      { announce: (wrote) => (wrote ? { op: 'blob', digest } : undefined) },
    );
  } finally {
    release();
  }
}

export function readBlob(
  k: StoreKernel,
  digest: Digest,
  opts: { start?: number; allowPartial?: boolean } = {},
): ReadableStream<Uint8Array> {
  checkDigest(digest, 'blob digest');
  const start = opts.start ?? 0;
  checkSize(start, 'start offset');
  let rec: BlobRecord;
  let n = 0;
  let skip = 0;
  let end = 0;
  return new ReadableStream<Uint8Array>(
    {
      start: async () => {
        const r = await getBlobRecord(k, digest);
        if (!r) throw new StoreError('NOT_FOUND', `blob ${digest} is not stored`, { digest });
        if (!r.complete && !opts.allowPartial)
          throw new StoreError('BLOB_INCOMPLETE', `blob ${digest} is not complete`, { digest });
        rec = r;
        end = r.complete ? r.size : r.bytesWritten;
        if (start > end)
          throw new StoreError(
            'INVALID_ARGUMENT',
            `start offset ${start} is past the ${end} stored bytes of ${short(digest)}`,
          );
        n = Math.floor(start / r.chunkSize);
        skip = start - n * r.chunkSize;
      },
      pull: async (controller) => {
        if (n * rec.chunkSize + skip >= end) {
          controller.close();
          return;
        }
        const c = await k.read(['chunks'], `read blob ${short(digest)}`, (tx) =>
          tx.objectStore('chunks').get([digest, n]),
        );
        const want = Math.min(rec.chunkSize, rec.size - n * rec.chunkSize);
        if (!c || c.bytes.byteLength !== want) {
          throw new StoreError(
            'BLOB_CONFLICT',
            `blob ${short(digest)}: chunk ${n} is ${c ? 'the wrong size' : 'missing'} (removed while reading?)`,
            { digest },
          );
        }
        const bytes = skip ? c.bytes.subarray(skip) : c.bytes;
        skip = 0;
        n++;
        controller.enqueue(bytes);
      },
    },
    { highWaterMark: 0 },
  );
}

export async function readBlobBytes(k: StoreKernel, digest: Digest, maxBytes: number): Promise<Uint8Array> {
  checkDigest(digest, 'blob digest');
  checkSize(maxBytes, 'maxBytes');
  return k.read(['blobs', 'chunks'], `read blob ${short(digest)}`, async (tx) => {
    const rec = await tx.objectStore('blobs').get(digest);
    if (!rec) throw new StoreError('NOT_FOUND', `blob ${digest} is not stored`, { digest });
    if (!rec.complete) throw new StoreError('BLOB_INCOMPLETE', `blob ${digest} is not complete`, { digest });
    if (rec.size > maxBytes)
      throw new StoreError(
        'TOO_LARGE',
        `blob ${short(digest)} is ${rec.size} bytes, more than the ${maxBytes} allowed here`,
        {
          digest,
        },
      );
    const chunks = await tx.objectStore('chunks').getAll(chunkRange(digest));
    const out = new Uint8Array(rec.size);
    let off = 0;
    for (const c of chunks) {
      if (off + c.bytes.byteLength > rec.size) break;
      out.set(c.bytes, off);
      off += c.bytes.byteLength;
    }
    if (off !== rec.size || chunks.length !== rec.chunkCount) {
      throw new StoreError('BLOB_CONFLICT', `blob ${short(digest)}: stored chunks do not add up to its size`, {
        digest,
      });
    }
    return out;
  });
}
