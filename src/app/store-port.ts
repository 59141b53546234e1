/**
 * Binds the IndexedDB store to the pull's StorePort. Layer indexes are kept under their
 * diff_id together with the layer's summary (sizes, compression), so `Already exists` needs
 * one read and no decompression.
 */
import type { Digest } from '../core/digest.ts';
import { encodeLayerIndex, decodeLayerIndex, type EncodedLayerIndex, type LayerEntry } from '../core/layer/entry.ts';
import type { CapturedFile } from '../core/packages/locate.ts';
import type { LayerSummary, StorePort } from '../core/pull.ts';
import type { Store } from '../store/index.ts';

export interface StoredLayer {
  summary: LayerSummary;
  index: EncodedLayerIndex;
  /** The package database (and os-release) files' bytes, kept at ingest (LIMITS.packageCapture):
   * the Packages tab reads these instead of decompressing the blob. Absent for layers
   * ingested before it existed; [] when the layer holds none. */
  packageFiles?: CapturedFile[];
}

export function storePort(store: Store): StorePort {
  return {
    blobState: (d) => store.hasBlob(d),
    async beginBlob(digest, info) {
      const w = await store.beginBlob(digest, info);
      return {
        offset: w.alreadyComplete ? 0 : w.offset,
        write: (chunk) => (w.alreadyComplete ? Promise.resolve() : w.write(chunk)),
        complete: () => w.complete(),
        abort: () => w.abort(),
        release: () => w.release(),
        alreadyComplete: w.alreadyComplete,
      };
    },
    readBlob: (d) => store.readBlob(d, { allowPartial: true }),
    putBlob: (d, bytes, mediaType) => store.putBlob(d, bytes, mediaType),
    putManifest: (d, bytes, mediaType) => store.putManifest(d, bytes, mediaType),
    async getLayerSummary(diffId) {
      return (await store.getLayerIndex<StoredLayer>(diffId))?.summary;
    },
    async putLayer(summary, entries, captured) {
      const value: StoredLayer = {
        summary,
        index: encodeLayerIndex(entries as LayerEntry[]),
        ...(captured ? { packageFiles: [...captured] } : {}),
      };
      await store.putLayerIndex(summary.diffId, value);
    },
    getLayerEntries: (diffId) => layerEntries(store, diffId),
    getImage: (id) => store.getImage(id),
    async tagTarget(name) {
      return (await store.getTag(name))?.imageId;
    },
    async commitImage(image, tags) {
      await store.commitImage(image, tags);
    },
    lease: (digests: Digest[]) => store.lease(digests),
  };
}

export async function layerEntries(store: Store, diffId: Digest): Promise<LayerEntry[] | undefined> {
  const v = await store.getLayerIndex<StoredLayer>(diffId);
  return v ? decodeLayerIndex(v.index) : undefined;
}
