/**
 * Bounds on what Layerscope reads from outside (registries, archives, the store). One object,
 * used by every reader, so an image that one path accepts is accepted by all the others: an
 * image whose config pulls also saves, and its own archive loads back. Far above any real
 * image, far below what could exhaust a browser tab.
 */
export const LIMITS = {
  /** An image config blob (pull, save, load, inspect, the explorer). The registry client's
   * cap; larger configs are refused before parsing. */
  configBytes: 8 << 20,
  /** A manifest or index body (distribution's default), and the archive files that play that
   * role: `manifest.json`, `index.json`, `repositories`. */
  manifestBytes: 4 << 20,
  /** Layers in one manifest or config (`rootfs.diff_ids`). */
  layers: 1000,
  /** Entries of an image index; images listed in one archive's `manifest.json`. */
  indexEntries: 1000,
  /** One string field of a manifest, config or archive metadata file. */
  stringLength: 4096,
  /** Rows of one image's history in a config. */
  historyEntries: 10_000,
  /** Package database files (src/core/packages/locate.ts, CAPTURED_PATHS) whose bytes a layer
   * ingest keeps beside the layer's index, so listing packages reads no layer blob. A larger
   * file is not kept (the Packages tab then reads it from the blob, as for layers ingested
   * before this existed). A 500-package dpkg status is ~0.5 MB; a UBI 9 rpmdb.sqlite ~10 MB. */
  packageCapture: {
    /** One file. */
    fileBytes: 32 << 20,
    /** All files kept from one layer. */
    layerBytes: 64 << 20,
  },
  archive: {
    /** Members of one archive (tar entries). */
    members: 100_000,
    /** All members kept in memory together while an archive is read. */
    inMemoryBytes: 64 << 20,
    /** `blobs/sha256/*` members up to this size are kept in memory (configs, manifests);
     * larger ones stream into the store. */
    inlineBlobBytes: 1 << 20,
    /** Other small members kept in memory (`VERSION`, `<id>/json`). */
    inlineOtherBytes: 64 << 10,
    /** Symbolic links followed from one member name. */
    linkHops: 8,
  },
} as const;
