/**
 * The OCI image manifest Layerscope writes when it has none to keep: `docker save` with
 * uncompressed layers, a schema 1 image saved as pulled, a `docker save` archive without an
 * OCI layout loaded. One builder, so every such manifest (and so its digest) is the same for
 * the same image: Docker 25+'s form (json.Marshal of ocispec.Manifest, the config descriptor
 * carrying the image's platform when it has one).
 */
import type { Digest } from '../digest.ts';
import { OCI_CONFIG, OCI_MANIFEST } from '../media-types.ts';
import type { Platform } from '../model.ts';
import { sha256Digest } from '../sha256.ts';
import { ociManifestJson, utf8Bytes, type DescriptorOut } from './format.ts';

export interface BuiltManifest {
  bytes: Uint8Array;
  digest: Digest;
  mediaType: string;
}

/** The platform a config descriptor carries: none when the config names neither OS nor architecture. */
export function descriptorPlatform(p: Platform): Platform | undefined {
  return p.os || p.architecture ? p : undefined;
}

export function buildImageManifest(
  config: { digest: Digest; size: number; platform: Platform },
  layers: readonly { mediaType: string; digest: Digest; size: number }[],
): BuiltManifest {
  const platform = descriptorPlatform(config.platform);
  const configDesc: DescriptorOut = {
    mediaType: OCI_CONFIG,
    digest: config.digest,
    size: config.size,
    ...(platform ? { platform } : {}),
  };
  const bytes = utf8Bytes(
    ociManifestJson(
      configDesc,
      layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ),
  );
  return { bytes, digest: sha256Digest(bytes), mediaType: OCI_MANIFEST };
}
