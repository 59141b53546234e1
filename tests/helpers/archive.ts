/**
 * Test helpers for image archives: an in-memory store, streams from bytes, and a hand-built
 * `docker save` archive in the pre-25 layout (`<id>/layer.tar`, `<id>/json`, `<id>/VERSION`,
 * `<config hex>.json`, `manifest.json`, `repositories`), which no tool installed here writes.
 * The layout follows moby image/tarexport (save.go before Docker 25) and its load.go reader.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { createHash } from 'node:crypto';
import { tarBuilder } from '../../src/core/tar/builder.ts';
import { memoryLocks, openStore, type Store } from '../../src/store/index.ts';
import { chunkedStream } from '../../src/core/layer/test-streams.ts';

export const sha = (b: Uint8Array | string): `sha256:${string}` =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const hex = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

export function memStore(): Promise<Store> {
  return openStore({ indexedDB: new IDBFactory(), locks: memoryLocks(), channel: null, storage: null });
}

/** Odd-sized chunks, so members straddle chunk boundaries. */
export const bytesStream = (bytes: Uint8Array, chunk = 7919): ReadableStream<Uint8Array> => chunkedStream(bytes, chunk);

export async function collectBytes(rs: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const r = rs.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) break;
    parts.push(value);
  }
  return Buffer.concat(parts);
}

/** Counts that must not change when a load fails. */
export async function storeCounts(store: Store) {
  const u = await store.usage();
  return {
    blobs: u.blobCount,
    partials: u.partialCount,
    manifests: u.manifestCount,
    indexes: u.layerIndexCount,
    images: u.imageCount,
    tags: u.tagCount,
  };
}

/** A layer tar; `null` content makes a whiteout of that path. */
export function layerTar(files: Record<string, string | null>): Uint8Array {
  const b = tarBuilder();
  const dirs = new Set<string>();
  for (const path of Object.keys(files).sort()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        b.dir(d, { mtime: 1_700_000_000 });
      }
    }
    const content = files[path];
    if (content === null) b.whiteout(parts.slice(0, -1).join('/'), parts.at(-1)!);
    else b.file(path, content!, { mtime: 1_700_000_000, mode: path.endsWith('.sh') ? 0o755 : 0o644 });
  }
  return b.bytes();
}

export interface LegacyImage {
  tags: string[];
  layers: Uint8Array[];
  created?: string;
}

export function imageConfig(
  layers: Uint8Array[],
  created = '2024-01-01T00:00:00Z',
  extra: Record<string, unknown> = {},
): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created,
      config: { Env: ['PATH=/usr/bin:/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l)) },
      history: layers.map(() => ({ created, created_by: 'test' })),
      ...extra,
    }),
  );
}

/** A pre-25 `docker save` archive. Options make it hostile for refusal tests. */
export function legacyDockerSave(
  images: LegacyImage[],
  opts: {
    configOverride?: (i: number, c: Uint8Array) => Uint8Array;
    manifestOverride?: (m: unknown[]) => unknown[];
  } = {},
): Uint8Array {
  const b = tarBuilder();
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const written = new Set<string>();
  for (const [i, img] of images.entries()) {
    let config = imageConfig(img.layers, img.created);
    if (opts.configOverride) config = opts.configOverride(i, config);
    const layerPaths: string[] = [];
    let parent = '';
    for (const layer of img.layers) {
      // v1 ids chain the layer's diff_id with its parent's id, as Docker's v1.CreateID does.
      const id = hex(`${parent}\n${sha(layer)}`);
      if (!written.has(id)) {
        written.add(id);
        b.dir(id, { mtime: 0 });
        b.file(`${id}/VERSION`, '1.0', { mtime: 0 });
        b.file(`${id}/json`, JSON.stringify({ id, ...(parent ? { parent } : {}), created: '1970-01-01T00:00:00Z' }), {
          mtime: 0,
        });
        b.file(`${id}/layer.tar`, layer, { mtime: 0 });
      }
      layerPaths.push(`${id}/layer.tar`);
      parent = id;
    }
    const cfgName = `${hex(config)}.json`;
    if (!written.has(cfgName)) {
      written.add(cfgName);
      b.file(cfgName, config, { mtime: 0 });
    }
    manifest.push({ Config: cfgName, RepoTags: img.tags.length ? img.tags : null, Layers: layerPaths });
    for (const t of img.tags) {
      const at = t.lastIndexOf(':');
      (repositories[t.slice(0, at)] ??= {})[t.slice(at + 1)] = parent;
    }
  }
  const m = opts.manifestOverride ? opts.manifestOverride(manifest) : manifest;
  b.file('manifest.json', `${JSON.stringify(m)}\n`, { mtime: 0 });
  b.file('repositories', `${JSON.stringify(repositories)}\n`, { mtime: 0 });
  return b.bytes();
}
