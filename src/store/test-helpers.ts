/**
 * Shared fixtures for the store tests (Node only). `fake-indexeddb/auto` installs the IDB*
 * globals that idb and IDBKeyRange need; each test still gets its own fresh IDBFactory.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { IDBFactory } from 'fake-indexeddb';
import { expect } from 'vitest';
import type { Digest } from '../core/digest.ts';
import type { ImageRecord } from '../core/model.ts';
import { memoryLocks, type LockProvider } from './locks.ts';
import { openStore, type ChangeChannel, type Store, type StoreChange, type StoreOptions } from './store.ts';

export function sha(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function bytesOf(n: number, seed = 1): Uint8Array {
  // Deterministic, not all-equal, so chunk order mistakes show.
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A hub of in-memory channels: what one posts, the others receive (like BroadcastChannel). */
export function channelHub() {
  const members: { listeners: ((e: { data: unknown }) => void)[] }[] = [];
  const posted: StoreChange[] = [];
  const make = (): ChangeChannel => {
    const me = { listeners: [] as ((e: { data: unknown }) => void)[] };
    members.push(me);
    return {
      postMessage(message) {
        posted.push(message as StoreChange);
        const data = structuredClone(message);
        for (const m of members) if (m !== me) for (const l of m.listeners) l({ data });
      },
      addEventListener(_type, listener) {
        me.listeners.push(listener);
      },
    };
  };
  return { make, posted };
}

export interface Env {
  factory: IDBFactory;
  locks: LockProvider;
  hub: ReturnType<typeof channelHub>;
  clock: { now: number };
  /** Opens (another "tab" on) the same database. */
  open(extra?: Partial<StoreOptions>): Promise<Store>;
}

export function env(chunkSize = 1000): Env {
  const factory = new IDBFactory();
  const locks = memoryLocks();
  const hub = channelHub();
  const clock = { now: 1_700_000_000_000 };
  return {
    factory,
    locks,
    hub,
    clock,
    open: (extra = {}) =>
      openStore({
        indexedDB: factory,
        locks,
        channel: hub.make(),
        storage: null,
        chunkSize,
        now: () => clock.now,
        ...extra,
      }),
  };
}

export async function ok(store: Store, afterGc = false): Promise<void> {
  expect(await store.checkInvariants({ afterGc })).toEqual([]);
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ bytes: Uint8Array; pieces: number[] }> {
  const pieces: number[] = [];
  const parts: Uint8Array[] = [];
  for await (const p of stream as unknown as AsyncIterable<Uint8Array>) {
    pieces.push(p.byteLength);
    parts.push(p);
  }
  const bytes = new Uint8Array(pieces.reduce((a, b) => a + b, 0));
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.byteLength;
  }
  return { bytes, pieces };
}

export async function writeBlob(store: Store, bytes: Uint8Array, piece = 777): Promise<Digest> {
  const digest = sha(bytes);
  const w = await store.beginBlob(digest, {
    size: bytes.byteLength,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  });
  try {
    for (let off = w.offset; off < bytes.byteLength; off += piece) await w.write(bytes.subarray(off, off + piece));
    await w.complete();
  } catch (e) {
    await w.abort();
    throw e;
  }
  return digest;
}

export interface FakeImage {
  image: ImageRecord;
  manifest: Uint8Array;
  config: Uint8Array;
  layers: Uint8Array[];
}

/** Builds an image from layer contents; `label` makes the config (hence the ID) unique. */
export function fakeImage(label: string, layers: Uint8Array[]): FakeImage {
  const config = new TextEncoder().encode(
    JSON.stringify({ label, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l)) } }),
  );
  const id = sha(config);
  const layerRecs = layers.map((l) => ({
    digest: sha(l),
    // The fixture's "uncompressed" form: the digest of the bytes with a suffix.
    diffId: sha(new Uint8Array([...l.subarray(0, 64), 0xff])),
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    compressedSize: l.byteLength,
    uncompressedSize: l.byteLength,
    size: l.byteLength,
  }));
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      config: { digest: id, size: config.byteLength },
      layers: layerRecs.map((l) => ({ digest: l.digest, size: l.compressedSize })),
    }),
  );
  const image: ImageRecord = {
    id,
    manifestDigest: sha(manifest),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    repoDigests: [`docker.io/library/${label}@${sha(manifest)}`],
    platform: { os: 'linux', architecture: 'amd64' },
    layers: layerRecs,
    created: '2024-01-01T00:00:00Z',
    size: layers.reduce((a, l) => a + l.byteLength, 0),
    downloadSize: layers.reduce((a, l) => a + l.byteLength, 0),
    configMediaType: 'application/vnd.oci.image.config.v1+json',
    storedAt: 1_700_000_000_000,
  };
  return { image, manifest, config, layers };
}

/** What a pull does: blobs (skipping stored ones), manifest, layer indexes, then commit. */
export async function pull(store: Store, f: FakeImage, tags: string[]) {
  for (const l of f.layers) if ((await store.hasBlob(sha(l))) !== 'complete') await writeBlob(store, l);
  await store.putBlob(f.image.id, f.config, f.image.configMediaType);
  await store.putManifest(f.image.manifestDigest, f.manifest, f.image.manifestMediaType);
  for (const l of f.image.layers) await store.putLayerIndex(l.diffId, { entries: l.size });
  return store.commitImage(f.image, tags);
}
