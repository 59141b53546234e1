/**
 * Leases and garbage collection. Deleting an image only drops its record; the blobs,
 * manifests and layer indexes no image needs any more go in the next gc, a mark and sweep in
 * one transaction under the store lock. What a pull in some tab is still writing or about to
 * commit is protected by its blob locks and its lease (see kernel.ts and README.md).
 */
import type { Digest } from '../core/digest.ts';
import { manifestDigestsOf } from '../core/image-refs.ts';
import { quiet, type StoreKernel } from './kernel.ts';
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

/** Maximal runs [first, last] of consecutive `keys` (sorted) for which `drop` holds. */
function runs(keys: readonly string[], drop: (key: string) => boolean): [string, string][] {
  const out: [string, string][] = [];
  let start: string | undefined;
  let prev: string | undefined;
  for (const key of keys) {
    if (drop(key)) start ??= key;
    else if (start !== undefined) {
      out.push([start, prev!]);
      start = undefined;
    }
    prev = key;
  }
  if (start !== undefined) out.push([start, prev!]);
  return out;
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
      const surviving = new Map<string, number>();
      const gone = new Set<string>();
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
        gone.add(b.digest);
      }
      // Orphan chunks (no record, or beyond the record's count): only a bug or an old schema
      // could leave them, but they would otherwise hold space forever. Keys only, all in one
      // request: a cursor would cost a round trip per chunk.
      const ops: Promise<unknown>[] = [];
      const chunkDigests = new Set<string>();
      for (const key of await chunks.getAllKeys()) {
        const [digest, n] = key;
        if (gone.has(digest)) continue;
        const count = surviving.get(digest);
        if (count === undefined) {
          r.deletedOrphanChunks++;
          chunkDigests.add(digest); // all of this digest's chunks go
        } else if (n >= count) {
          r.deletedOrphanChunks++;
          ops.push(quiet(chunks.delete(key)));
        }
      }
      // Whole digests go by key ranges: a run of digests that all go, consecutive in key order
      // among every digest with a record or a chunk, is one delete per store instead of one per
      // blob (10,000 blobs: ~1,000 requests instead of 20,000).
      const doomed = new Set([...gone, ...chunkDigests]);
      const all = [...new Set([...surviving.keys(), ...doomed])].sort(); // code-unit order, as IndexedDB's
      for (const [first, last] of runs(all, (d) => doomed.has(d))) {
        ops.push(quiet(chunks.delete(IDBKeyRange.bound([first, 0], [last, Infinity]))));
        ops.push(quiet(blobs.delete(first === last ? first : IDBKeyRange.bound(first, last))));
      }
      for (const name of ['manifests', 'layerIndex'] as const) {
        const keys = (await tx.objectStore(name).getAllKeys()).map(String);
        const drop = (key: string) => !marked.has(key);
        for (const key of keys) if (drop(key)) r[name === 'manifests' ? 'deletedManifests' : 'deletedLayerIndexes']++;
        for (const [first, last] of runs(keys, drop))
          ops.push(quiet(tx.objectStore(name).delete(first === last ? first : IDBKeyRange.bound(first, last))));
      }
      await Promise.all(ops);
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
