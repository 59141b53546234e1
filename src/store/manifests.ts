/**
 * Manifests (exact bytes, since digests are computed over bytes) and layer file indexes
 * (opaque to the store). Both are keyed by digest and written whole, without a lock: a put of
 * the same key writes the same content, and a pull protects what it is about to commit from
 * gc with a lease (see gc.ts).
 */
import type { Digest } from '../core/digest.ts';
import type { StoreKernel } from './kernel.ts';
import { checkBytes, checkDigest, checkMediaType, MAX_MANIFEST_BYTES, short } from './validate.ts';

export async function putManifest(k: StoreKernel, digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void> {
  checkDigest(digest, 'manifest digest');
  checkMediaType(mediaType);
  checkBytes(bytes, MAX_MANIFEST_BYTES, 'manifest', digest, `at most ${MAX_MANIFEST_BYTES} are accepted`);
  // Exactly these bytes: cloning a view of a larger buffer would store the whole buffer.
  const copy = bytes.slice();
  await k.write(
    ['manifests'],
    `store manifest ${short(digest)}`,
    async (tx) => {
      await tx.objectStore('manifests').put({ digest, mediaType, bytes: copy, storedAt: k.now() });
    },
    { announce: () => ({ op: 'manifest', digest }) },
  );
}

export async function getManifest(
  k: StoreKernel,
  digest: Digest,
): Promise<{ bytes: Uint8Array; mediaType: string } | undefined> {
  checkDigest(digest, 'manifest digest');
  const rec = await k.read(['manifests'], 'read a manifest', (tx) => tx.objectStore('manifests').get(digest));
  return rec ? { bytes: rec.bytes, mediaType: rec.mediaType } : undefined;
}

export async function putLayerIndex(k: StoreKernel, diffId: Digest, encoded: unknown): Promise<void> {
  checkDigest(diffId, 'diffId');
  await k.write(
    ['layerIndex'],
    `store the file index of layer ${short(diffId)}`,
    async (tx) => {
      await tx.objectStore('layerIndex').put({ diffId, index: encoded, storedAt: k.now() });
    },
    { announce: () => ({ op: 'layerIndex', digest: diffId }) },
  );
}

export async function getLayerIndex(k: StoreKernel, diffId: Digest): Promise<unknown> {
  checkDigest(diffId, 'diffId');
  const rec = await k.read(['layerIndex'], 'read a layer index', (tx) => tx.objectStore('layerIndex').get(diffId));
  return rec?.index;
}
