/**
 * The ports `docker pull` runs against (src/core/pull.ts): a registry that resolves a
 * reference (platform already chosen) and streams blobs, and a content-addressed store. The
 * engine binds them to the registry client and IndexedDB; tests bind them to a real registry
 * and fake-indexeddb.
 */
import type { Digest } from './digest.ts';
import type { LayerEntry } from './layer/entry.ts';
import type { ImageRecord } from './model.ts';
import type { PullEvent } from './pull-events.ts';
import type { CapturedFile } from './packages/locate.ts';
import type { Reference } from './reference.ts';

export interface BlobDescriptor {
  digest: Digest;
  /** Unknown for schema 1 layers. */
  size?: number;
  mediaType: string;
}

/** What a registry port answers for a reference, platform already chosen. */
export interface ResolvedImage {
  manifestDigest: Digest;
  manifestBytes: Uint8Array;
  manifestMediaType: string;
  /** The index / manifest list the platform manifest was chosen from. */
  index?: { digest: Digest; bytes: Uint8Array; mediaType: string };
  /** The config blob; absent for schema 1, whose config is synthesized after the pull. */
  config?: { digest: Digest; bytes: Uint8Array; mediaType: string };
  /** Layers bottom-up, as the manifest lists them. */
  layers: BlobDescriptor[];
  /** Warnings Docker prints (schema 1 deprecation). */
  warnings: string[];
  /** Schema 1 only: builds the config once the diff_ids are known. */
  schema1Config?: (diffIds: Digest[]) => Promise<{ bytes: Uint8Array; digest: Digest }>;
}

export interface RegistryPort {
  resolve(ref: Reference, platform: string | undefined, signal?: AbortSignal): Promise<ResolvedImage>;
  /** A blob's bytes from `rangeStart` on; `rangeHonoured` false means the stream starts at 0. */
  fetchBlob(
    ref: Reference,
    digest: Digest,
    opts: { rangeStart?: number; signal?: AbortSignal },
  ): Promise<{ stream: ReadableStream<Uint8Array>; rangeHonoured: boolean; size?: number }>;
}

export interface BlobWriterPort {
  /** Bytes already stored from an interrupted attempt (0 for a fresh blob). */
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Called only after the digest was verified. */
  complete(): Promise<void>;
  /** Deletes what was written (a blob that failed verification is never kept). */
  abort(): Promise<void>;
  /** Stops writing and keeps what is stored, for a later pull to resume. */
  release(): void;
  /**
   * The blob was complete when the writer was granted (another tab wrote it while this one
   * waited for its lock): nothing to fetch.
   */
  readonly alreadyComplete?: boolean;
}

/** What the pull keeps per layer beside the blob: its file index and Docker's size figures. */
export interface LayerSummary {
  diffId: Digest;
  digest: Digest;
  compression: string;
  compressedSize: number;
  uncompressedSize: number;
  size: number;
}

export interface StorePort {
  blobState(digest: Digest): Promise<'complete' | 'absent' | { partial: number }>;
  beginBlob(digest: Digest, info: { size: number; mediaType: string }): Promise<BlobWriterPort>;
  readBlob(digest: Digest): ReadableStream<Uint8Array>;
  putBlob(digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void>;
  putManifest(digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void>;
  getLayerSummary(diffId: Digest): Promise<LayerSummary | undefined>;
  /** A layer's file index (what `putLayer` stored), to size hard links into lower layers. */
  getLayerEntries?(diffId: Digest): Promise<readonly LayerEntry[] | undefined>;
  /** Stores the layer's summary and its file index under its diff_id; with `captured`, the
   * package database bytes ingest kept (so listing packages reads no blob). */
  putLayer(summary: LayerSummary, entries: readonly unknown[], captured?: readonly CapturedFile[]): Promise<void>;
  getImage(id: Digest): Promise<ImageRecord | undefined>;
  /** The image a tag (normalized `registry/repo:tag`) points to. */
  tagTarget(name: string): Promise<Digest | undefined>;
  /** One transaction: the image record and its tags. */
  commitImage(image: ImageRecord, tags: string[]): Promise<void>;
  /**
   * Protects blobs from a garbage collection in another tab between their completion and the
   * commit that makes them referenced.
   */
  lease(digests: Digest[]): Promise<{ release(): void }>;
}

/** One streaming pass over a layer blob (src/core/layer/ingest.ts). */
export type IngestFn = (
  blob: ReadableStream<Uint8Array>,
  opts: {
    expectedDigest?: Digest;
    expectedDiffId?: Digest;
    expectedSize?: number;
    onChunk?: (chunk: Uint8Array) => void | Promise<void>;
    onProgress?: (compressedBytes: number) => void;
    signal?: AbortSignal;
    /**
     * The whole blob again, called only after every byte went through `onChunk` and the
     * digest was verified (a platform gzip decoder that stops at the first member of a
     * multi-member layer is then retried from the stored copy).
     */
    reread?: () => ReadableStream<Uint8Array>;
  },
) => Promise<{
  digest: Digest;
  diffId: Digest;
  compression: string;
  compressedSize: number;
  uncompressedSize: number;
  size: number;
  entries: readonly unknown[];
  captured?: readonly CapturedFile[];
}>;

export interface PullOptions {
  platform?: string;
  signal?: AbortSignal;
  onEvent?: (e: PullEvent) => void;
  /** Layers fetched at once (Docker's default `max-concurrent-downloads` is 3). */
  concurrency?: number;
  /**
   * Bytes the store can still take (quota minus usage), undefined when unknown. Checked against
   * the manifest's sizes of the layers still to fetch before any is fetched.
   */
  freeSpace?: () => Promise<number | undefined>;
  now?: () => number;
}

export interface PullResult {
  image: ImageRecord;
  reference: string;
  upToDate: boolean;
}

export { PullError } from './pull-error.ts';
