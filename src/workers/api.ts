/**
 * The contract between the UI (main thread) and the engine worker. Plain, structured-clonable
 * data only: results cross `postMessage` through comlink. Callbacks are comlink proxies.
 */
import type { PullEvent } from '../core/pull-events.ts';

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

/** Errors cross postMessage as plain data with a stable code. */
export interface EngineError {
  code: string;
  message: string;
  status?: number;
  detail?: string;
}

export type PullOutcome =
  | { ok: true; reference: string; imageId: string; upToDate: boolean }
  | { ok: false; cancelled: boolean; error: EngineError };

export interface CommandSink {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface EngineApi {
  configure(settings: EngineSettings): Promise<void>;
  images(): Promise<ImagesSnapshot>;
  pull(jobId: string, reference: string, platform: string | undefined, onEvent: (e: PullEvent) => void): Promise<PullOutcome>;
  run(jobId: string, line: string, sink: CommandSink): Promise<number>;
  cancel(jobId: string): Promise<void>;
  /** Checks the store's invariants (every tag → image, every image's blobs complete, …). */
  checkStore(): Promise<StoreCheck>;
}

export interface StoreCheck {
  problems: string[];
  images: number;
  blobs: number;
  partialBlobs: number;
}
