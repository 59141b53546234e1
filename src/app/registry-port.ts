/**
 * The engine's side of the registry: the proxy's URL scheme, the credential key of a registry,
 * and the RegistryPort the pull orchestration (src/core/pull.ts) runs against.
 */
import type { Digest } from '../core/digest.ts';
import type { RegistryPort } from '../core/pull.ts';
import type { RegistryClient } from '../core/registry/client.ts';
import { fetchBlob } from '../core/registry/blobs.ts';
import { parsePlatform } from '../core/registry/platform.ts';
import { resolveImage } from '../core/registry/resolve.ts';
import { schema1ToConfig } from '../core/registry/schema1.ts';

/** `https://host/path?q` → `${proxy}host/path?q`: the proxy's path scheme (proxy/README.md). */
export function proxyMapper(proxyUrl: string): (url: URL) => string {
  return (url) => `${proxyUrl}${url.host}${url.pathname}${url.search}`;
}

/** Docker Hub files its credentials under `docker.io`, whatever host name served it. */
export function credentialKey(registry: string): string {
  return registry === 'index.docker.io' || registry === 'registry-1.docker.io' ? 'docker.io' : registry;
}

export function registryPort(client: RegistryClient): RegistryPort {
  return {
    async resolve(ref, platform, signal) {
      const r = await resolveImage(client, ref, {
        ...(platform ? { platform: parsePlatform(platform) } : {}),
        ...(signal ? { signal } : {}),
      });
      const schema1 = r.schema1;
      return {
        manifestDigest: r.manifestDigest,
        manifestBytes: r.manifestBytes,
        manifestMediaType: r.manifestMediaType,
        ...(r.indexDigest && r.indexBytes && r.indexMediaType
          ? { index: { digest: r.indexDigest, bytes: r.indexBytes, mediaType: r.indexMediaType } }
          : {}),
        ...(r.configDigest && r.configBytes && r.configMediaType
          ? { config: { digest: r.configDigest, bytes: r.configBytes, mediaType: r.configMediaType } }
          : {}),
        layers: r.layers.map((l) => ({
          digest: l.digest,
          mediaType: l.mediaType,
          ...(l.size !== undefined ? { size: l.size } : {}),
        })),
        warnings: r.warnings,
        ...(schema1
          ? {
              schema1Config: async (diffIds: Digest[]) => {
                const c = await schema1ToConfig(schema1.manifest, diffIds);
                return { bytes: c.configBytes, digest: c.configDigest };
              },
            }
          : {}),
      };
    },
    fetchBlob: (ref, digest, opts) => fetchBlob(client, ref, digest, opts),
  };
}
