/**
 * What the command bar needs from the outside world. The lead implements DockerContext over
 * the IndexedDB store and the pull worker; the tests implement it over arrays. Everything that
 * decides Docker's semantics (which references go, what is printed) lives in core and works
 * on the plain records this interface returns.
 */
import type { Digest } from '../digest.ts';
import type { ImageRecord, Platform, RemovalStep, TagRecord } from '../model.ts';
import type { PackageHistory } from '../packages/history.ts';
import type { PeekPort } from '../peek/command.ts';
import type { PullEvent } from '../pull-events.ts';
import type { Reference } from '../reference.ts';

export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface SaveRequest {
  /** Images in the order asked, each with the normalized tags to record in the archive. */
  images: { imageId: Digest; repoTags: string[] }[];
  /** The download's file name (`-o`), or one Layerscope chose. */
  fileName: string;
  format: 'docker-archive';
}

export interface LoadRequest {
  /** `-i FILE`: the name of the file the person picked or dropped; absent: ask for one. */
  fileName?: string;
  /** `--platform`: load only images for these (parsed as containerd does). */
  platforms?: Platform[];
}

export interface LoadedImage {
  imageId: Digest;
  /** Normalized tags restored from the archive (`docker.io/library/x:tag`). */
  repoTags: string[];
  /** Tags that pointed at another image before (Docker prints a rename notice). */
  replaced?: { name: string; previousImageId: Digest }[];
}

/**
 * A registry failure as the pull worker reports it. `code` is the distribution spec error code
 * when there is one (`MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `UNAUTHORIZED`, `DENIED`,
 * `TOOMANYREQUESTS`) or `NO_MATCHING_PLATFORM`; `message` is shown when no Docker text applies.
 */
export interface PullFailure {
  code?: string;
  message: string;
}

export interface DockerContext {
  /** Milliseconds since the epoch (ages are relative to it). */
  now(): number;
  listImages(): Promise<ImageRecord[]>;
  listTags(): Promise<TagRecord[]>;
  /** The image's config JSON, parsed (labels, history, config); undefined when not stored. */
  getConfig(imageId: Digest): Promise<unknown>;
  /**
   * Pull `ref` (normalized; tag defaulted). Reports progress through `onEvent`, resolves when
   * the image and its tags are committed, rejects with a PullFailure-shaped error otherwise.
   */
  pull(
    ref: Reference,
    opts: { platform?: string },
    onEvent: (e: PullEvent) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Point the normalized tag `name` at `imageId`, moving it when it pointed elsewhere. */
  tag(imageId: Digest, name: string): Promise<void>;
  /** Apply the steps in one transaction, then sweep blobs nothing references. */
  remove(steps: readonly RemovalStep[]): Promise<void>;
  /** Write a `docker save` archive as a download. */
  save(request: SaveRequest, signal?: AbortSignal): Promise<void>;
  /** Read an archive the person picked; returns what was loaded. */
  load(request: LoadRequest, signal?: AbortSignal): Promise<{ images: LoadedImage[] }>;
  /**
   * Ask the person (the GUI's confirm dialog) — `docker image prune` without `-f`. Absent:
   * behave as Docker does with no terminal to answer, i.e. treat it as "no".
   */
  confirm?(prompt: string): Promise<boolean>;
  /**
   * Compare two stored images and return the text container-diff prints for `types` (its
   * JSON with `json`; with `filename`, that file's unified diff after the sections).
   */
  compare?(
    request: {
      a: Digest;
      b: Digest;
      aName: string;
      bName: string;
      types: readonly ('file' | 'size' | 'history' | 'metadata')[];
      json: boolean;
      orderBySize: boolean;
      filename?: string;
    },
    signal?: AbortSignal,
  ): Promise<string>;
  /** The image's OS packages and the layer of each (the command bar's `packages`). */
  packages?(imageId: Digest): Promise<PackageHistory>;
  /** The command bar's `peek` (src/core/peek/command.ts). */
  peek?: PeekPort;
  /** Layerscope's version for `docker version`. */
  readonly version?: string;
}
