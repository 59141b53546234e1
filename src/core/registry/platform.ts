/**
 * Choosing one manifest from a registry's index. The platform rules themselves (containerd's
 * Parse, Normalize and Only) live in ../platform.ts, shared with `docker load`, `save`,
 * `history` and `inspect`; this file only adds the registry's typed error.
 */
import type { Platform } from '../model.ts';
import { choosePlatform, DEFAULT_PLATFORM, noMatchingManifestMessage } from '../platform.ts';
import { RegistryError } from './errors.ts';
import type { Descriptor } from './manifests.ts';

export { DEFAULT_PLATFORM, formatPlatform, normalizePlatform, parsePlatform } from '../platform.ts';

/**
 * Choose the manifest for `wanted` (default linux/amd64) from an index's entries. Throws
 * Docker's `no matching manifest for linux/amd64 in the manifest list entries`.
 */
export function selectManifest(manifests: readonly Descriptor[], wanted: Platform = DEFAULT_PLATFORM): Descriptor {
  const best = choosePlatform(manifests, wanted);
  if (!best) {
    throw new RegistryError('NO_MATCHING_MANIFEST', noMatchingManifestMessage(wanted), {
      status: 404,
      retryable: false,
    });
  }
  return best;
}
