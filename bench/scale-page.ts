/**
 * The scale benchmark's in-page half (bench/scale.ts bundles it with esbuild and evaluates it in
 * the app's own page, so it opens the same IndexedDB database the app's engine worker uses).
 * Everything is written through the app's store API (src/store: putBlob, putManifest,
 * putLayerIndex, commitImage), with layer indexes made by the app's own ingestLayer, so the
 * records are exactly what a pull writes.
 */
import { sha256Digest } from '../src/core/sha256.ts';
import { ingestLayer } from '../src/core/layer/ingest.ts';
import { encodeLayerIndex } from '../src/core/layer/entry.ts';
import { tarBuilder } from '../src/core/tar/builder.ts';
import type { Digest } from '../src/core/digest.ts';
import type { ImageRecord, LayerRecord } from '../src/core/model.ts';
import { openStore, type Store } from '../src/store/index.ts';

const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar';
const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const enc = new TextEncoder();

export interface ScaleSpec {
  images: number;
  layers: number;
  /** Images 0..multiTagged-1 get `tagsEach` tags; the last `dangling` images get none. */
  multiTagged: number;
  tagsEach: number;
  dangling: number;
}

export interface Generated {
  images: number;
  tags: number;
  layers: number;
  blobs: number;
  ms: number;
  /** The records, for the Node baseline (the same listing over the same records). */
  records: { images: ImageRecord[]; tags: { name: string; imageId: string }[] };
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let store: Store | undefined;
async function theStore(): Promise<Store> {
  store ??= await openStore();
  return store;
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export async function generate(spec: ScaleSpec): Promise<Generated> {
  const t0 = performance.now();
  const s = await theStore();
  // Layers: small real tars, indexed by the app's ingest, stored as a pull stores them.
  const layers: LayerRecord[] = [];
  await pool(
    Array.from({ length: spec.layers }, (_, i) => i),
    8,
    async (i) => {
      const b = tarBuilder().dir(`opt/l${i}`);
      for (let f = 0; f < 5; f++)
        b.file(`opt/l${i}/f${f}.bin`, new Uint8Array(500 + ((i * 7919 + f * 104729) % 20000)));
      const bytes = b.bytes();
      const ing = await ingestLayer(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream());
      await s.putBlob(ing.digest, bytes, LAYER_TYPE);
      await s.putLayerIndex(ing.diffId, {
        summary: {
          diffId: ing.diffId,
          digest: ing.digest,
          compression: ing.compression,
          compressedSize: ing.compressedSize,
          uncompressedSize: ing.uncompressedSize,
          size: ing.size,
        },
        index: encodeLayerIndex(ing.entries),
      });
      layers[i] = {
        digest: ing.digest,
        diffId: ing.diffId,
        mediaType: LAYER_TYPE,
        compressedSize: ing.compressedSize,
        uncompressedSize: ing.uncompressedSize,
        size: ing.size,
      };
    },
  );
  const rnd = prng(42);
  const bases = Math.max(1, Math.floor(spec.layers / 10));
  const plans = Array.from({ length: spec.images }, (_, i) => {
    // A base layer shared by many images, then 1–4 layers of the upper ones.
    const own = new Set<number>([i % bases]);
    const n = 1 + Math.floor(rnd() * 4);
    while (own.size < n + 1) own.add(bases + Math.floor(rnd() * (spec.layers - bases)));
    return [...own];
  });
  const images: ImageRecord[] = [];
  const tags: { name: string; imageId: string }[] = [];
  const t1 = Date.UTC(2026, 0, 1);
  await pool(plans, 8, async (plan, i) => {
    const ls = plan.map((j) => layers[j]!);
    const created = new Date(t1 + i * 3_600_000).toISOString().replace('.000Z', 'Z');
    const config = enc.encode(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created,
        config: { Cmd: ['/bin/sh'], Labels: { 'bench.image': String(i) } },
        rootfs: { type: 'layers', diff_ids: ls.map((l) => l.diffId) },
        history: ls.map((_, k) => ({ created, created_by: `/bin/sh -c #(nop) layer ${plan[k]}` })),
      }),
    );
    const id = sha256Digest(config);
    await s.putBlob(id, config, CONFIG_TYPE);
    const manifest = enc.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_TYPE,
        config: { mediaType: CONFIG_TYPE, digest: id, size: config.length },
        layers: ls.map((l) => ({ mediaType: LAYER_TYPE, digest: l.digest, size: l.compressedSize })),
      }),
    );
    const manifestDigest = sha256Digest(manifest);
    await s.putManifest(manifestDigest, manifest, MANIFEST_TYPE);
    const dangling = i >= spec.images - spec.dangling;
    const repo = `registry.example/team${i % 37}/app${i}`;
    const names = dangling
      ? []
      : Array.from({ length: i < spec.multiTagged ? spec.tagsEach : 1 }, (_, k) => `${repo}:v${k}`);
    const record: ImageRecord = {
      id,
      manifestDigest,
      manifestMediaType: MANIFEST_TYPE,
      repoDigests: dangling ? [] : [`${repo}@${manifestDigest}`],
      platform: { os: 'linux', architecture: 'amd64' },
      layers: ls,
      created,
      size: ls.reduce((n, l) => n + l.size, 0),
      downloadSize: ls.reduce((n, l) => n + l.compressedSize, 0),
      configMediaType: CONFIG_TYPE,
      storedAt: Date.now(),
    };
    await s.commitImage(record, names);
    images.push(record);
    for (const name of names) tags.push({ name, imageId: id });
  });
  const u = await s.usage();
  return {
    images: u.imageCount,
    tags: u.tagCount,
    layers: u.layerIndexCount,
    blobs: u.blobCount,
    ms: performance.now() - t0,
    records: { images, tags },
  };
}

/** `n` complete blobs no image references (what `docker rmi`/prune leave to the gc). */
export async function orphans(n: number, salt: string): Promise<number> {
  const s = await theStore();
  const t0 = performance.now();
  await pool(
    Array.from({ length: n }, (_, i) => i),
    16,
    async (i) => {
      const bytes = enc.encode(`orphan ${salt} ${i}\n`);
      await s.putBlob(sha256Digest(bytes), bytes, 'application/octet-stream');
    },
  );
  return performance.now() - t0;
}

export async function gc(): Promise<{ ms: number; deletedBlobs: number }> {
  const s = await theStore();
  const t0 = performance.now();
  const r = await s.gc();
  return { ms: performance.now() - t0, deletedBlobs: r.deletedBlobs };
}

export async function check(deep: boolean): Promise<{ ms: number; problems: string[] }> {
  const s = await theStore();
  const t0 = performance.now();
  const problems = await s.checkInvariants({ deep });
  return { ms: performance.now() - t0, problems };
}

/** Points a new tag at an image (broadcast to the app like any other tab's change). */
export async function tag(imageId: string, name: string): Promise<void> {
  await (await theStore()).tag(imageId as Digest, name);
}

export async function untag(name: string): Promise<void> {
  await (await theStore()).untag(name);
}

export function close(): void {
  store?.close();
  store = undefined;
}
