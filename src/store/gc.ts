/**
 * Leases and garbage collection. Deleting an image only drops its record; the blobs,
 * manifests and layer indexes no image needs any more go in the next gc, a mark and sweep in
 * one transaction under the store lock. What a pull in some tab is still writing or about to
 * commit is protected by its blob locks and its lease (see kernel.ts and README.md).
 */
import type { Digest } from '../core/digest.ts';
import { manifestDigestsOf } from '../core/image-refs.ts';
import { chunkRange, quiet, type StoreKernel } from './kernel.ts';
import { checkDigest } from './validate.ts';

export interface GcResult {
  deletedBlobs: number;
  /** Bytes of the deleted blobs (complete: size; partial: bytes written). */
  reclaimedBytes: number;
  deletedDigests: Digest[];
  deletedManifests: number;
  deletedLayerIndexes: number;
  deletedOrphanChunks: number;
  /** Unreferenced partial blobs kept: younger than the grace period, or being written. */
  keptPartials: number;
}

export interface Lease {
  release(): void;
}

export async function lease(k: StoreKernel, digests: Digest[]): Promise<Lease> {
  digests.forEach((d, i) => checkDigest(d, `lease digest ${i}`));
  return { release: await k.lockLease(digests) };
}

export function gc(k: StoreKernel): Promise<GcResult> {
  return k.write(
    ['images', 'blobs', 'chunks', 'manifests', 'layerIndex'],
    'collect garbage',
    async (tx, { held, now }) => {
      const marked = new Set<string>(held);
      for (const img of await tx.objectStore('images').getAll()) {
        marked.add(img.id);
        for (const m of manifestDigestsOf(img)) marked.add(m);
        for (const l of img.layers) {
          marked.add(l.digest);
          marked.add(l.diffId);
        }
      }
      const r: GcResult = {
        deletedBlobs: 0,
        reclaimedBytes: 0,
        deletedDigests: [],
        deletedManifests: 0,
        deletedLayerIndexes: 0,
        deletedOrphanChunks: 0,
        keptPartials: 0,
      };
      const blobs = tx.objectStore('blobs');
      const chunks = tx.objectStore('chunks');
      const ops: Promise<unknown>[] = [];
      const surviving = new Map<string, number>();
      for (const b of await blobs.getAll()) {
        if (marked.has(b.digest)) {
          if (!b.complete) r.keptPartials++; // held by a writer's lock or a lease
          surviving.set(b.digest, b.chunkCount);
          continue;
        }
        if (!b.complete && now - b.updatedAt < k.partialGraceMs) {
          r.keptPartials++;
          surviving.set(b.digest, b.chunkCount);
          continue;
        }
        r.deletedBlobs++;
        r.reclaimedBytes += b.complete ? b.size : b.bytesWritten;
        r.deletedDigests.push(b.digest);
        ops.push(quiet(blobs.delete(b.digest)), quiet(chunks.delete(chunkRange(b.digest))));
      }
      for (const key of await tx.objectStore('manifests').getAllKeys()) {
        if (marked.has(key)) continue;
        r.deletedManifests++;
        ops.push(quiet(tx.objectStore('manifests').delete(key)));
      }
      for (const key of await tx.objectStore('layerIndex').getAllKeys()) {
        if (marked.has(key)) continue;
        r.deletedLayerIndexes++;
        ops.push(quiet(tx.objectStore('layerIndex').delete(key)));
      }
      await Promise.all(ops);
      // Orphan chunks (no record, or beyond the record's count): only a bug or an old
      // schema could leave them, but they would otherwise hold space forever.
      let cursor = await chunks.openKeyCursor();
      while (cursor) {
        const [digest, n] = cursor.key;
        const count = surviving.get(digest);
        if (count === undefined || n >= count) {
          r.deletedOrphanChunks++;
          await chunks.delete(cursor.key);
        }
        cursor = await cursor.continue();
      }
      return r;
    },
    {
      lock: 'store',
      // Under the lock, before the transaction: an await on the lock manager inside it would commit it.
      prepare: async () => ({ held: await k.protectedDigests(), now: k.now() }),
      announce: (r) =>
        r.deletedBlobs || r.deletedManifests || r.deletedLayerIndexes || r.deletedOrphanChunks
          ? { op: 'gc' }
          : undefined,
    },
  );
}
