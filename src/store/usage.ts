/**
 * How much the store holds (counted from its own records, each blob once) and what the
 * browser says about the origin's storage (`navigator.storage`: usage, quota, persistence).
 */
import type { StoreKernel } from './kernel.ts';

export interface Usage {
  /** Bytes of complete blobs, each stored once (after dedup). */
  blobBytes: number;
  blobCount: number;
  partialBytes: number;
  partialCount: number;
  manifestBytes: number;
  manifestCount: number;
  layerIndexCount: number;
  imageCount: number;
  tagCount: number;
}

/** The subset of StorageManager the store uses. */
export interface StorageLike {
  estimate?(): Promise<{ usage?: number; quota?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

export function usage(k: StoreKernel): Promise<Usage> {
  return k.read(['blobs', 'manifests', 'layerIndex', 'images', 'tags'], 'measure storage', async (tx) => {
    const u: Usage = {
      blobBytes: 0,
      blobCount: 0,
      partialBytes: 0,
      partialCount: 0,
      manifestBytes: 0,
      manifestCount: 0,
      layerIndexCount: 0,
      imageCount: 0,
      tagCount: 0,
    };
    for (const b of await tx.objectStore('blobs').getAll()) {
      if (b.complete) {
        u.blobBytes += b.size;
        u.blobCount++;
      } else {
        u.partialBytes += b.bytesWritten;
        u.partialCount++;
      }
    }
    for (const m of await tx.objectStore('manifests').getAll()) {
      u.manifestBytes += m.bytes.byteLength;
      u.manifestCount++;
    }
    u.layerIndexCount = await tx.objectStore('layerIndex').count();
    u.imageCount = await tx.objectStore('images').count();
    u.tagCount = await tx.objectStore('tags').count();
    return u;
  });
}

export async function estimate(
  storage: StorageLike | null,
): Promise<{ usage?: number; quota?: number; persisted?: boolean } | undefined> {
  if (!storage?.estimate) return undefined;
  const e = await storage.estimate();
  const persisted = storage.persisted ? await storage.persisted() : undefined;
  return {
    ...(e.usage !== undefined && { usage: e.usage }),
    ...(e.quota !== undefined && { quota: e.quota }),
    ...(persisted !== undefined && { persisted }),
  };
}

export async function persist(storage: StorageLike | null): Promise<boolean | undefined> {
  return storage?.persist ? storage.persist() : undefined;
}

/** `navigator.storage` when present. */
export function defaultStorage(): StorageLike | null {
  return (globalThis as { navigator?: { storage?: StorageLike } }).navigator?.storage ?? null;
}
