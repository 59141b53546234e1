import { describe, expect, it } from 'vitest';
import type { Digest } from '../digest.ts';
import type { ImageRecord, LayerRecord } from '../model.ts';
import { layerSharing, storeSizes } from './store-sizes.ts';

const d = (c: string): Digest => `sha256:${c.repeat(64).slice(0, 64)}`;

function layer(id: string, size: number, compressedSize: number, blob = id): LayerRecord {
  return {
    digest: d(`b${blob}`),
    diffId: d(`d${id}`),
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    compressedSize,
    uncompressedSize: size + 1024,
    size,
  };
}

function image(id: string, layers: LayerRecord[]): ImageRecord {
  return {
    id: d(id),
    manifestDigest: d(`m${id}`),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    repoDigests: [],
    platform: { os: 'linux', architecture: 'amd64' },
    layers,
    created: '',
    size: layers.reduce((n, l) => n + l.size, 0),
    downloadSize: layers.reduce((n, l) => n + l.compressedSize, 0),
    configMediaType: 'application/vnd.oci.image.config.v1+json',
    storedAt: 0,
  };
}

// base (1000/400) shared by a, b and c; mid (300/100) shared by a and b; own layers unique.
// c's base layer is the same content compressed differently (another blob digest).
const base = layer('1', 1000, 400);
const mid = layer('2', 300, 100);
const a = image('a', [base, mid, layer('3', 50, 20)]);
const b = image('b', [base, mid, layer('4', 70, 30)]);
const c = image('c', [layer('1', 1000, 420, '9'), layer('5', 5, 5)]);
const e = image('e', [layer('6', 8, 4)]);

describe('storeSizes', () => {
  it('shared and unique size per image, as docker system df -v', () => {
    const s = storeSizes([a, b, c, e]);
    expect(s.images).toEqual([
      { id: a.id, size: 1350, sharedSize: 1300, uniqueSize: 50, downloadSize: 520, layerCount: 3, sharedLayerCount: 2 },
      { id: b.id, size: 1370, sharedSize: 1300, uniqueSize: 70, downloadSize: 530, layerCount: 3, sharedLayerCount: 2 },
      { id: c.id, size: 1005, sharedSize: 1000, uniqueSize: 5, downloadSize: 425, layerCount: 2, sharedLayerCount: 1 },
      { id: e.id, size: 8, sharedSize: 0, uniqueSize: 8, downloadSize: 4, layerCount: 1, sharedLayerCount: 0 },
    ]);
  });

  it('logical total vs content after dedup, and stored blob bytes', () => {
    const s = storeSizes([a, b, c, e]);
    expect(s.logicalSize).toBe(1350 + 1370 + 1005 + 8);
    // Distinct diffIds: 1 (1000), 2 (300), 3 (50), 4 (70), 5 (5), 6 (8).
    expect(s.uniqueContentSize).toBe(1433);
    expect(s.savedSize).toBe(3733 - 1433);
    expect(s.logicalDownloadSize).toBe(520 + 530 + 425 + 4);
    // Distinct blobs: b1 400, b2 100, b3 20, b4 30, b9 420, b5 5, b6 4.
    expect(s.storedBytes).toBe(979);
    expect(s.savedDownloadBytes).toBe(1479 - 979);
  });

  it('one image alone shares nothing; a duplicate record counts once; empty store is zero', () => {
    expect(storeSizes([a]).images[0]).toMatchObject({ sharedSize: 0, uniqueSize: 1350 });
    expect(storeSizes([a, a]).images).toHaveLength(1);
    expect(storeSizes([a, a]).images[0]!.sharedSize).toBe(0);
    expect(storeSizes([])).toEqual({
      images: [],
      logicalSize: 0,
      uniqueContentSize: 0,
      savedSize: 0,
      logicalDownloadSize: 0,
      storedBytes: 0,
      savedDownloadBytes: 0,
    });
  });
});

describe('layerSharing', () => {
  it('which images share which layers, and pairs by shared bytes', () => {
    const s = layerSharing([a, b, c, e]);
    expect(s.layers.map((l) => [l.diffId.slice(7, 9), l.images.length, l.digests.length, l.compressedSize])).toEqual([
      ['d1', 3, 2, 420],
      ['d2', 2, 1, 100],
      ['d4', 1, 1, 30],
      ['d3', 1, 1, 20],
      ['d6', 1, 1, 4],
      ['d5', 1, 1, 5],
    ]);
    expect(s.pairs).toEqual([
      { a: a.id, b: b.id, sharedLayers: 2, sharedSize: 1300 },
      { a: a.id, b: c.id, sharedLayers: 1, sharedSize: 1000 },
      { a: b.id, b: c.id, sharedLayers: 1, sharedSize: 1000 },
    ]);
  });
});
