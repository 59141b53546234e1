/**
 * Sizes across the whole store: what is shared between images and what deduplication saves.
 *
 * Shared / unique follow `docker system df -v`: a layer used by two or more stored images is
 * shared; an image's SHARED SIZE is the sum of its shared layers' sizes and its UNIQUE SIZE the
 * rest of its SIZE. Layers are identified by diffId (the uncompressed content, what the store
 * indexes once). Docker keys its layer store by chain ID; the two differ only when the same
 * diffId sits on different parents, where Docker stores it twice and we store it once.
 */
import type { Digest } from '../digest.ts';
import type { ImageRecord } from '../model.ts';

export interface ImageSizes {
  id: Digest;
  /** Docker's SIZE (ImageRecord.size). */
  size: number;
  /** Bytes of this image's layers that another stored image uses too. */
  sharedSize: number;
  /** size − sharedSize. */
  uniqueSize: number;
  /** What pulling it downloads (compressed). */
  downloadSize: number;
  layerCount: number;
  sharedLayerCount: number;
}

export interface StoreSizes {
  images: ImageSizes[];
  /** Σ image SIZE: what the images would take without sharing. */
  logicalSize: number;
  /** Σ size of each distinct diffId: the same content counted once. */
  uniqueContentSize: number;
  /** logicalSize − uniqueContentSize: what sharing layers saves. */
  savedSize: number;
  /** Σ download size of the images. */
  logicalDownloadSize: number;
  /** Σ compressedSize of each distinct blob digest: the bytes the store actually keeps. */
  storedBytes: number;
  /** logicalDownloadSize − storedBytes: blobs kept once for several images. */
  savedDownloadBytes: number;
}

/** diffId → ids of the distinct images using it. */
function usersByDiffId(images: readonly ImageRecord[]): Map<Digest, Set<Digest>> {
  const users = new Map<Digest, Set<Digest>>();
  for (const img of images) {
    for (const l of img.layers) {
      let s = users.get(l.diffId);
      if (!s) users.set(l.diffId, (s = new Set()));
      s.add(img.id);
    }
  }
  return users;
}

export function storeSizes(images: readonly ImageRecord[]): StoreSizes {
  // The same image recorded twice (it should not be) counts once.
  const unique = [...new Map(images.map((i) => [i.id, i])).values()];
  const users = usersByDiffId(unique);
  const out: ImageSizes[] = [];
  let logicalSize = 0;
  let logicalDownloadSize = 0;
  for (const img of unique) {
    let sharedSize = 0;
    let sharedLayerCount = 0;
    for (const l of img.layers) {
      if (users.get(l.diffId)!.size >= 2) {
        sharedSize += l.size;
        sharedLayerCount++;
      }
    }
    out.push({
      id: img.id,
      size: img.size,
      sharedSize,
      uniqueSize: img.size - sharedSize,
      downloadSize: img.downloadSize,
      layerCount: img.layers.length,
      sharedLayerCount,
    });
    logicalSize += img.size;
    logicalDownloadSize += img.downloadSize;
  }
  const contentByDiffId = new Map<Digest, number>();
  const blobByDigest = new Map<Digest, number>();
  for (const img of unique) {
    for (const l of img.layers) {
      contentByDiffId.set(l.diffId, l.size);
      blobByDigest.set(l.digest, l.compressedSize);
    }
  }
  let uniqueContentSize = 0;
  for (const s of contentByDiffId.values()) uniqueContentSize += s;
  let storedBytes = 0;
  for (const s of blobByDigest.values()) storedBytes += s;
  return {
    images: out,
    logicalSize,
    uniqueContentSize,
    savedSize: logicalSize - uniqueContentSize,
    logicalDownloadSize,
    storedBytes,
    savedDownloadBytes: logicalDownloadSize - storedBytes,
  };
}

export interface SharedLayer {
  diffId: Digest;
  /** Blob digests seen for this content (the same tar may be compressed differently). */
  digests: Digest[];
  /** Docker's layer size. */
  size: number;
  /** Largest compressed size among its blobs. */
  compressedSize: number;
  /** Ids of the images using it, in input order. */
  images: Digest[];
}

export interface ImagePair {
  a: Digest;
  b: Digest;
  /** Distinct layers both use. */
  sharedLayers: number;
  /** Σ size of those layers: what keeping both costs less than twice. */
  sharedSize: number;
}

export interface LayerSharing {
  /** Every distinct layer, the most widely used first, then the largest. */
  layers: SharedLayer[];
  /** Each pair of images with at least one layer in common, most shared bytes first. */
  pairs: ImagePair[];
}

/**
 * Every distinct layer with the images that use it, most used first: layerSharing's `layers`
 * without its image pairs (which grow with the square of the images sharing a base: 500,000
 * pairs for a thousand images on one base).
 */
export function sharedLayers(images: readonly ImageRecord[]): SharedLayer[] {
  const byDiffId = new Map<Digest, SharedLayer>();
  const seen = new Map<Digest, { digests: Set<string>; images: Set<string> }>();
  for (const img of images) {
    for (const l of img.layers) {
      let s = byDiffId.get(l.diffId);
      let u = seen.get(l.diffId);
      if (!s || !u) {
        byDiffId.set(l.diffId, (s = { diffId: l.diffId, digests: [], size: l.size, compressedSize: 0, images: [] }));
        seen.set(l.diffId, (u = { digests: new Set(), images: new Set() }));
      }
      if (!u.digests.has(l.digest)) {
        u.digests.add(l.digest);
        s.digests.push(l.digest);
      }
      if (!u.images.has(img.id)) {
        u.images.add(img.id);
        s.images.push(img.id);
      }
      if (l.compressedSize > s.compressedSize) s.compressedSize = l.compressedSize;
    }
  }
  return [...byDiffId.values()].sort(
    (x, y) => y.images.length - x.images.length || y.size - x.size || (x.diffId < y.diffId ? -1 : 1),
  );
}

export function layerSharing(images: readonly ImageRecord[]): LayerSharing {
  const layers = sharedLayers(images);
  const pairs = new Map<string, ImagePair>();
  for (const l of layers) {
    if (l.images.length < 2) continue;
    for (let i = 0; i < l.images.length; i++) {
      for (let j = i + 1; j < l.images.length; j++) {
        const [a, b] = l.images[i]! < l.images[j]! ? [l.images[i]!, l.images[j]!] : [l.images[j]!, l.images[i]!];
        const k = `${a} ${b}`;
        let p = pairs.get(k);
        if (!p) pairs.set(k, (p = { a, b, sharedLayers: 0, sharedSize: 0 }));
        p.sharedLayers++;
        p.sharedSize += l.size;
      }
    }
  }
  return {
    layers,
    pairs: [...pairs.values()].sort((x, y) => y.sharedSize - x.sharedSize || (x.a + x.b < y.a + y.b ? -1 : 1)),
  };
}
