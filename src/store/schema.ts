/**
 * The IndexedDB schema (object stores and record types; src/store/README.md) and its versioned upgrade path.
 *
 * Upgrade pattern: `MIGRATIONS[v]` takes a database from version v to v + 1, so the database
 * version is `MIGRATIONS.length`. A step is written once and never edited after it ships:
 * a user may open the app with any older version on disk, and `upgrade()` replays every
 * missing step in order inside the one `versionchange` transaction (all or nothing — a failed
 * step aborts the upgrade and the old data stays as it was). To change the schema, append a
 * step (v1 → v2: `(db, tx) => { tx.objectStore('tags').createIndex(...) }`), bump nothing else,
 * update the record types below, and add a test that opens the previous version with data in
 * it and upgrades (see db.test.ts). Steps may read and rewrite records through `tx`, but must
 * be synchronous in spirit: only IndexedDB requests may be awaited inside them.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { Digest } from '../core/digest.ts';
import type { ImageRecord, TagRecord } from '../core/model.ts';

export const DB_NAME = 'layerscope';

/** Chunk size for blob bytes: large enough for few records, small enough for bounded memory. */
export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

/** `blobs`: one record per content digest; its bytes live in `chunks`. */
export interface BlobRecord {
  digest: Digest;
  /** Declared size in bytes (from the descriptor). */
  size: number;
  mediaType: string;
  /** Size of every chunk but the last (which is shorter or equal). */
  chunkSize: number;
  /** Chunks stored so far: keys [digest, 0 … chunkCount - 1]. */
  chunkCount: number;
  /** Bytes stored so far (sum of stored chunk lengths); a resumed pull continues here. */
  bytesWritten: number;
  /** Set only after the caller verified the digest over all `size` bytes. */
  complete: boolean;
  /** ms since the epoch. */
  createdAt: number;
  /** Last chunk write (ms since the epoch); gc's grace period for partial blobs counts from it. */
  updatedAt: number;
}

/** `chunks`: key [digest, n]. */
export interface ChunkRecord {
  digest: Digest;
  n: number;
  bytes: Uint8Array;
}

/** `manifests`: the exact bytes as served (digests are computed over bytes). */
export interface ManifestRecord {
  digest: Digest;
  mediaType: string;
  bytes: Uint8Array;
  storedAt: number;
}

/** `layerIndex`: the file index of one layer, opaque to the store (structured-clonable). */
export interface LayerIndexRecord<T = unknown> {
  diffId: Digest;
  index: T;
  storedAt: number;
}

/** `peekLayers`: a layer indexed without storing its blob (src/core/peek/encode.ts), by blob digest. */
export interface PeekLayerRecord {
  digest: Digest;
  /** StoredPeekLayer, opaque to the store. */
  layer: unknown;
  /** Bytes of the packed index (what it costs on disk, about). */
  bytes: number;
  storedAt: number;
}

/** `peekImages`: an image seen without pulling it: its manifest and config bytes, its layers. */
export interface PeekImageRecord {
  /** Image ID: the config digest. */
  id: Digest;
  /** Normalized reference it was peeked by (`registry/repo:tag` or `@digest`). */
  reference: string;
  manifestDigest: Digest;
  manifestMediaType: string;
  manifestBytes: Uint8Array;
  configBytes: Uint8Array;
  layers: { digest: Digest; size: number; mediaType: string }[];
  peekedAt: number;
}

export interface LayerscopeDB extends DBSchema {
  blobs: { key: string; value: BlobRecord };
  chunks: { key: [string, number]; value: ChunkRecord };
  manifests: { key: string; value: ManifestRecord };
  images: { key: string; value: ImageRecord };
  tags: { key: string; value: TagRecord; indexes: { imageId: string } };
  layerIndex: { key: string; value: LayerIndexRecord };
  peekImages: { key: string; value: PeekImageRecord };
  peekLayers: { key: string; value: PeekLayerRecord };
}

export type StoreName = StoreNames<LayerscopeDB>;

export const STORE_NAMES: readonly StoreName[] = [
  'blobs',
  'chunks',
  'manifests',
  'images',
  'tags',
  'layerIndex',
  'peekImages',
  'peekLayers',
];

/**
 * One upgrade step. Typed loosely on purpose: a step targets the schema of its own version,
 * not today's `LayerscopeDB`.
 */
export type Migration = (
  db: IDBPDatabase<unknown>,
  tx: IDBPTransaction<unknown, ArrayLike<string>, 'versionchange'>,
) => void;

/** v0 → v1: blobs, chunks, manifests, images, tags (indexed by imageId) and layerIndex. */
const v1: Migration = (db) => {
  db.createObjectStore('blobs', { keyPath: 'digest' });
  db.createObjectStore('chunks', { keyPath: ['digest', 'n'] });
  db.createObjectStore('manifests', { keyPath: 'digest' });
  db.createObjectStore('images', { keyPath: 'id' });
  const tags = db.createObjectStore('tags', { keyPath: 'name' });
  tags.createIndex('imageId', 'imageId', { unique: false });
  db.createObjectStore('layerIndex', { keyPath: 'diffId' });
};

/** v1 → v2: peeked images and their layer indexes (additive: nothing else changes). */
const v2: Migration = (db) => {
  db.createObjectStore('peekImages', { keyPath: 'id' });
  db.createObjectStore('peekLayers', { keyPath: 'digest' });
};

/** Append only. `MIGRATIONS.length` is the schema version. */
export const MIGRATIONS: readonly Migration[] = [v1, v2];

export const DB_VERSION = MIGRATIONS.length;

/**
 * Runs every step from `oldVersion` up to `newVersion` (the `upgradeneeded` callback).
 * `migrations` is a parameter so tests can upgrade to a test-only next version.
 */
export function upgrade(
  db: IDBPDatabase<unknown>,
  oldVersion: number,
  newVersion: number | null,
  tx: IDBPTransaction<unknown, ArrayLike<string>, 'versionchange'>,
  migrations: readonly Migration[] = MIGRATIONS,
): void {
  const target = newVersion ?? migrations.length;
  if (target > migrations.length) throw new Error(`no upgrade step to schema version ${target}`);
  // A database someone opened without a version (created empty at version 1, see db.ts) has
  // none of our stores: every step applies, the first one included.
  const from = oldVersion > 0 && db.objectStoreNames.length === 0 ? 0 : oldVersion;
  for (let v = from; v < target; v++) migrations[v]!(db, tx);
}
