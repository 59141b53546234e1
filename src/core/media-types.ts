/**
 * Media types of the OCI image spec (media-types.md) and of Docker's image manifest formats
 * (distribution docs: manifest-v2-1, manifest-v2-2), with predicates over them.
 */

// OCI image-spec v1.1 media-types.md
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_TAR_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
/** Deprecated by image-spec v1.1 but still served. */
export const OCI_LAYER_NONDIST_TAR = 'application/vnd.oci.image.layer.nondistributable.v1.tar';
export const OCI_LAYER_NONDIST_TAR_GZIP = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
export const OCI_LAYER_NONDIST_TAR_ZSTD = 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd';

// Docker Image Manifest V2, Schema 2 (and the manifest list)
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_TAR_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** "Foreign" layers (Windows base layers) that registries may not redistribute. */
export const DOCKER_LAYER_FOREIGN_TAR_GZIP = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
/** Uncompressed Docker layer: not in the schema 2 spec text, but moby and containerd accept it. */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

// Docker Image Manifest V2, Schema 1 (deprecated)
export const DOCKER_MANIFEST_V1 = 'application/vnd.docker.distribution.manifest.v1+json';
export const DOCKER_MANIFEST_V1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/** Every manifest type Layerscope reads, in order of preference, for the `Accept` header. */
export const MANIFEST_ACCEPT: readonly string[] = [
  OCI_INDEX,
  OCI_MANIFEST,
  DOCKER_MANIFEST_LIST,
  DOCKER_MANIFEST_V2,
  DOCKER_MANIFEST_V1_SIGNED,
  DOCKER_MANIFEST_V1,
];

export type Compression = 'gzip' | 'zstd' | 'none';

/** OCI index or Docker manifest list: points to per-platform manifests. */
export function isIndex(mt: string): boolean {
  return mt === OCI_INDEX || mt === DOCKER_MANIFEST_LIST;
}

/** A single-image manifest with a config blob (OCI or Docker schema 2). */
export function isManifest(mt: string): boolean {
  return mt === OCI_MANIFEST || mt === DOCKER_MANIFEST_V2;
}

/** Docker schema 1, signed or not. */
export function isSchema1(mt: string): boolean {
  return mt === DOCKER_MANIFEST_V1 || mt === DOCKER_MANIFEST_V1_SIGNED;
}

export function isConfig(mt: string): boolean {
  return mt === OCI_CONFIG || mt === DOCKER_CONFIG;
}

const LAYERS = new Set([
  OCI_LAYER_TAR,
  OCI_LAYER_TAR_GZIP,
  OCI_LAYER_TAR_ZSTD,
  OCI_LAYER_NONDIST_TAR,
  OCI_LAYER_NONDIST_TAR_GZIP,
  OCI_LAYER_NONDIST_TAR_ZSTD,
  DOCKER_LAYER_TAR_GZIP,
  DOCKER_LAYER_FOREIGN_TAR_GZIP,
  DOCKER_LAYER_TAR,
]);

/** A filesystem layer (a tar, compressed or not) of any known flavour. */
export function isLayer(mt: string): boolean {
  return LAYERS.has(mt);
}

/**
 * The compression a layer media type declares; undefined for unknown types. The pull pipeline
 * still sniffs magic bytes, since registries mislabel layers.
 */
export function layerCompression(mt: string): Compression | undefined {
  if (!isLayer(mt)) return undefined;
  if (mt.endsWith('+zstd')) return 'zstd';
  if (mt.endsWith('+gzip') || mt.endsWith('.tar.gzip')) return 'gzip';
  return 'none';
}

/** Strip parameters (`; charset=utf-8`) and case from a Content-Type header value. */
export function baseMediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}
