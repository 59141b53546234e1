/**
 * Peeked images: an image seen without pulling it (manifest and config bytes, its layers) and,
 * per layer blob, the peek index that lets files be read with Range requests
 * (src/core/peek). Kept apart from `images`/`blobs`: gc never sweeps them and a pull never
 * sees them; removing a peeked image drops the layer indexes no other peeked image uses.
 */
import type { Digest } from '../core/digest.ts';
import type { StoreKernel } from './kernel.ts';
import type { PeekImageRecord, PeekLayerRecord } from './schema.ts';
import { checkDigest } from './validate.ts';

export async function putPeekLayer(k: StoreKernel, digest: Digest, layer: unknown, bytes: number): Promise<void> {
  checkDigest(digest, 'layer digest');
  await k.write(
    ['peekLayers'],
    `store the peek index of layer ${digest.slice(0, 19)}`,
    async (tx) => {
      await tx.objectStore('peekLayers').put({ digest, layer, bytes, storedAt: k.now() });
    },
    { announce: () => ({ op: 'peek', digest }) },
  );
}

export function getPeekLayer(k: StoreKernel, digest: Digest): Promise<PeekLayerRecord | undefined> {
  checkDigest(digest, 'layer digest');
  return k.read(['peekLayers'], 'read a peek index', (tx) => tx.objectStore('peekLayers').get(digest));
}

/** Which of these layer digests have a peek index. */
export function peekLayersPresent(k: StoreKernel, digests: Digest[]): Promise<boolean[]> {
  return k.read(['peekLayers'], 'list peek indexes', async (tx) => {
    const s = tx.objectStore('peekLayers');
    return Promise.all(digests.map(async (d) => (await s.getKey(d)) !== undefined));
  });
}

export async function putPeekImage(k: StoreKernel, rec: PeekImageRecord): Promise<void> {
  checkDigest(rec.id, 'image ID');
  const copy: PeekImageRecord = {
    ...rec,
    manifestBytes: rec.manifestBytes.slice(),
    configBytes: rec.configBytes.slice(),
  };
  await k.write(
    ['peekImages'],
    `store peeked image ${rec.id.slice(0, 19)}`,
    async (tx) => {
      await tx.objectStore('peekImages').put(copy);
    },
    { announce: () => ({ op: 'peek', imageId: rec.id }) },
  );
}

export function getPeekImage(k: StoreKernel, id: Digest): Promise<PeekImageRecord | undefined> {
  return k.read(['peekImages'], 'read a peeked image', (tx) => tx.objectStore('peekImages').get(id));
}

export function listPeekImages(k: StoreKernel): Promise<PeekImageRecord[]> {
  return k.read(['peekImages'], 'list peeked images', (tx) => tx.objectStore('peekImages').getAll());
}

/** Removes a peeked image and the layer indexes that no other peeked image lists. */
export async function deletePeekImage(k: StoreKernel, id: Digest): Promise<{ removed: boolean; layers: number }> {
  return k.write(
    ['peekImages', 'peekLayers'],
    `remove peeked image ${id.slice(0, 19)}`,
    async (tx) => {
      const images = tx.objectStore('peekImages');
      const rec = await images.get(id);
      if (!rec) return { removed: false, layers: 0 };
      await images.delete(id);
      const still = new Set<string>();
      for (const other of await images.getAll()) for (const l of other.layers) still.add(l.digest);
      let layers = 0;
      const layerStore = tx.objectStore('peekLayers');
      for (const l of rec.layers) {
        if (still.has(l.digest) || (await layerStore.getKey(l.digest)) === undefined) continue;
        await layerStore.delete(l.digest);
        layers++;
      }
      return { removed: true, layers };
    },
    { lock: 'store', announce: (r) => (r.removed ? { op: 'peek', imageId: id } : undefined) },
  );
}

/** What peeked images hold: records and the packed index bytes. */
export function peekUsage(k: StoreKernel): Promise<{ images: number; layers: number; indexBytes: number }> {
  return k.read(['peekImages', 'peekLayers'], 'measure peek indexes', async (tx) => {
    let indexBytes = 0;
    const all = await tx.objectStore('peekLayers').getAll();
    for (const l of all) indexBytes += l.bytes;
    for (const i of await tx.objectStore('peekImages').getAll())
      indexBytes += i.manifestBytes.length + i.configBytes.length;
    return { images: await tx.objectStore('peekImages').count(), layers: all.length, indexBytes };
  });
}
