/**
 * The records Layerscope keeps for each stored image. Shared by the store, the pull worker,
 * the command bar and the UI; plain data (structured-clonable), no behaviour.
 */
import type { Digest } from './digest.ts';

/** OCI image-index platform (image-index.md#image-index-property-descriptions). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

export interface LayerRecord {
  /** Digest of the blob as the registry serves it (compressed, or not). */
  digest: Digest;
  /** Digest of the uncompressed tar: the config's `rootfs.diff_ids` entry. */
  diffId: Digest;
  mediaType: string;
  /** Blob size in bytes (what a pull downloads). */
  compressedSize: number;
  /** Length of the uncompressed tar stream. */
  uncompressedSize: number;
  /**
   * Docker's layer size (classic graph drivers): regular-file bytes, each hard-linked inode
   * once, plus the length of every symlink target. Directories and whiteouts count 0.
   */
  size: number;
}

export interface ImageRecord {
  /** Image ID: the config digest. `docker images` shows the first 12 hex digits. */
  id: Digest;
  /** The single-platform manifest stored for this image (exact bytes in `manifests`). */
  manifestDigest: Digest;
  manifestMediaType: string;
  /** The index / manifest list the manifest was chosen from, when there was one. */
  indexDigest?: Digest;
  /** Normalized `registry/repository@sha256:…` references (Docker's RepoDigests). */
  repoDigests: string[];
  platform: Platform;
  layers: LayerRecord[];
  /** `created` from the config (RFC 3339), '' when absent. */
  created: string;
  /** Docker's SIZE: the sum of the layers' `size`. */
  size: number;
  /** Sum of the manifest's layer sizes (compressed). */
  downloadSize: number;
  configMediaType: string;
  /** Converted from a schema 1 manifest (deprecated format). */
  schema1?: boolean;
  /**
   * Per reference, the manifest it names: a tag (`registry/repo:tag`) the image was pulled by,
   * or a digest reference it was pulled by (`registry/repo@sha256:…`, which is then one of its
   * names, as in the containerd image store; a digest recorded by a tag pull is not). Two tags
   * of one image ID may name different manifests (other compression, other registry). Added to
   * schema v1 without a migration: records stored before it have none, and read as the image's
   * own `manifestDigest`.
   */
  refManifests?: Record<string, RefManifest>;
  /** When this store first recorded the image (ms since the epoch). */
  storedAt: number;
}

/** The manifest (and index) one reference of an image names. */
export interface RefManifest {
  manifestDigest: Digest;
  manifestMediaType: string;
  indexDigest?: Digest;
}

/** A tag: normalized `registry/repository:tag` → image ID. */
export interface TagRecord {
  name: string;
  imageId: Digest;
}

/**
 * One change to the stored images and tags, in the order Docker makes them: `docker rmi` and
 * `docker image prune` plan a list of these in core, and the store applies the list at once.
 */
export type RemovalStep =
  /** Delete the tag `registry/repository:tag` (normalized, as TagRecord.name). */
  | { kind: 'untag'; name: string }
  /** Remove one entry of `image.repoDigests` (`registry/repository@sha256:…`). */
  | { kind: 'untagDigest'; imageId: Digest; reference: string }
  /** Delete the image record; its blobs go in the garbage collection that follows. */
  | { kind: 'delete'; imageId: Digest };
