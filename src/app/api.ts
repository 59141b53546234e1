/**
 * The contract between the UI (main thread) and the engine worker. Plain, structured-clonable
 * data only: results cross `postMessage` through comlink. Callbacks are comlink proxies.
 */
import type { PullEvent } from '../core/pull-events.ts';
import type { ImageSizes, StoreSizes } from '../core/analysis/store-sizes.ts';
import type { ErrorData } from '../core/errors.ts';
import type { PackagesApi } from './packages.ts';
import type { PeekApi } from './peek.ts';
import type {
  CompareRequest,
  CompareRowsQuery,
  CompareRowsWindow,
  ComparisonResult,
  FileDiffResult,
} from './compare-api.ts';

export interface EngineSettings {
  proxyUrl: string;
  defaultPlatform: string;
  credentials: Record<string, { username: string; password: string }>;
}

/** One row of the images table: Docker's values, plus raw numbers to sort by. */
export interface ImageRow {
  repository: string;
  tag: string;
  /** Full image ID (`sha256:…`); the table shows the first 12 hex digits. */
  id: string;
  shortId: string;
  created: string;
  createdSince: string;
  createdMs: number;
  size: number;
  sizeText: string;
  /** What the row names: `repo:tag`, or `repo@sha256:…` for an image known by digest only
   * (its tag is `<none>`); absent for a dangling image. */
  reference?: string;
  dangling: boolean;
}

export interface StoreSummary {
  images: number;
  /** Sum of image sizes as Docker reports them. */
  logicalBytes: number;
  /** Bytes actually held in IndexedDB (every blob once). */
  storedBytes: number;
  /** Bytes the same images would take if no layer were shared. */
  unsharedBytes: number;
  quota?: { usage: number; quota: number; persisted: boolean };
}

export interface ImagesSnapshot {
  rows: ImageRow[];
  summary: StoreSummary;
}

/**
 * Errors cross postMessage as the plain data of the one error model (src/core/errors.ts):
 * `code` is one of the closed `ErrorCode` union, plus the fields of the error's class.
 */
export type EngineError = ErrorData;

export type PullOutcome =
  | { ok: true; reference: string; imageId: string; upToDate: boolean }
  | { ok: false; cancelled: boolean; error: EngineError };

export interface CommandSink {
  stdout(text: string): void;
  stderr(text: string): void;
  /** `docker save`: the archive, handed to the page to save as a download. */
  download?(name: string, data: Blob): void;
}

export interface ExportRequest {
  imageIds: string[];
  format: 'docker-archive' | 'oci-archive';
  /** docker-archive: keep the registry's compressed blobs (manifest digests unchanged). */
  asPulled: boolean;
  gzip: boolean;
}

export interface ImportResult {
  lines: string[];
  imageIds: string[];
}

export interface EngineApi extends PackagesApi, PeekApi {
  configure(settings: EngineSettings): Promise<void>;
  /** `change`: a store change the page heard from another tab (see Engine.images). */
  images(change?: unknown): Promise<ImagesSnapshot>;
  pull(
    jobId: string,
    reference: string,
    platform: string | undefined,
    onEvent: (e: PullEvent) => void,
  ): Promise<PullOutcome>;
  /** `files`: what the person picked for `docker load`. */
  run(jobId: string, line: string, sink: CommandSink, files?: File[]): Promise<number>;
  exportImages(
    jobId: string,
    req: ExportRequest,
    target: FileSystemFileHandle | null,
    onProgress: (done: number, total: number) => void,
  ): Promise<Blob | null>;
  importArchive(jobId: string, file: Blob, onProgress: (bytesRead: number) => void): Promise<ImportResult>;
  importFolder(jobId: string, files: { path: string; file: Blob }[]): Promise<ImportResult>;
  /** Loads the sample archive the app ships (public/sample/), for first runs offline. */
  loadSample(): Promise<ImportResult>;
  cancel(jobId: string): Promise<void>;
  previewRemove(args: string[], force: boolean): Promise<RemovePreview>;
  previewPrune(all: boolean): Promise<{ records: string[]; reclaim: number }>;
  /** Checks the store's invariants (every tag → image, every image's blobs complete, …). */
  checkStore(): Promise<StoreCheck>;
  // The explorer (src/app/explore.ts)
  imageDetail(id: string, ref?: string): Promise<ImageDetail>;
  files(id: string, query: FileQuery): Promise<FileRowsWindow>;
  readFile(id: string, path: string): Promise<FileContent>;
  sharing(): Promise<SharingSnapshot>;
  children(id: string, path: string): Promise<{ path: string; name: string; size: number; isDir: boolean }[]>;
  /** Writes one file, or the merged filesystem as a tar, to a file the person chose. */
  downloadFile(id: string, path: string, target: FileSystemFileHandle | null): Promise<Blob | null>;
  downloadFilesystem(id: string, target: FileSystemFileHandle | null): Promise<Blob | null>;
  // The comparison (src/app/compare.ts): the last one is kept for its rows and file diffs.
  compare(req: CompareRequest): Promise<ComparisonResult>;
  compareRows(query: CompareRowsQuery): CompareRowsWindow;
  compareFile(path: string): Promise<FileDiffResult>;
  /** Every stored image's layers (diff_ids, bottom first), to find an image's base. */
  imageLayers(): Promise<{ id: string; diffIds: string[] }[]>;
}

export interface LayerInfo {
  /** Index among the image's layers; -1 for a metadata-only history entry. */
  index: number;
  createdBy: string;
  created: string;
  comment: string;
  /** A history entry that made no layer (ENV, CMD, …). */
  empty: boolean;
  digest?: string;
  diffId?: string;
  mediaType?: string;
  compressedSize?: number;
  uncompressedSize?: number;
  size?: number;
  added?: number;
  modified?: number;
  removed?: number;
}

export interface ImageDetail {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  platform: string;
  created: string;
  createdSince: string;
  /** The manifest of the reference the image was opened by (a tag pulled through another
   * manifest than the image's last pull shows its own), its media type and index. */
  manifestDigest: string;
  manifestMediaType: string;
  indexDigest?: string;
  schema1: boolean;
  size: number;
  downloadSize: number;
  sharedSize: number;
  uniqueSize: number;
  /** dive's wasted bytes and efficiency score (src/core/analysis/dive-efficiency.ts). */
  wastedBytes: number;
  efficiency: number;
  /** Layerscope's: file bytes in the layers that the final filesystem does not show. */
  reclaimableBytes: number;
  wastedPaths: { path: string; count: number; wastedSize: number }[];
  layers: LayerInfo[];
  layerErrors: string[];
  inspectJson: string;
  history: { id: string; created: number; createdSince: string; createdBy: string; size: number; comment: string }[];
  dockerfile: string;
  fileCount: number;
}

export interface FileQuery {
  /** Layer index to look at; undefined: the whole image. */
  layer?: number;
  /** `upto`: the filesystem as it is after that layer; `own`: only that layer's changes. */
  mode: 'upto' | 'own';
  sortBy: 'name' | 'size';
  expanded: string[];
  search: string;
  start: number;
  count: number;
}

export interface FileRow {
  path: string;
  name: string;
  depth: number;
  type: string;
  size: number;
  change?: 'added' | 'modified' | 'removed';
  removed?: true;
  linkname?: string;
  isDir: boolean;
  hasChildren: boolean;
  expanded: boolean;
}

export interface FileRowsWindow {
  total: number;
  start: number;
  rows: FileRow[];
  /** With a search: how many paths matched. */
  matches?: number;
}

export interface FileContent {
  path: string;
  /** After following symlinks (clamped at the image root). */
  resolved: string;
  linkTarget?: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  bytes: Uint8Array;
  truncated: boolean;
}

export interface SharingSnapshot {
  /** The store's sizes (core/analysis storeSizes), each image with a display name. */
  sizes: Omit<StoreSizes, 'images'> & { images: (ImageSizes & { name: string })[] };
  layers: { diffId: string; size: number; compressedSize: number; images: string[] }[];
}

export interface RemovePreview {
  /** `Untagged: …` / `Deleted: …` lines Docker would print. */
  lines: string[];
  errors: string[];
  /** An image referenced in several repositories, removed by ID: needs force. */
  conflict: boolean;
  reclaim: number;
}

export interface StoreCheck {
  problems: string[];
  images: number;
  blobs: number;
  partialBlobs: number;
}
