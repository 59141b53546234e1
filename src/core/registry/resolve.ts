/**
 * From a reference to one image: manifest (through an index when there is one, choosing the
 * platform), its config, and its layer list; schema 1 converted to a config-like view.
 */
import type { Digest } from '../digest.ts';
import { parseConfigObject, platformOfConfig } from '../image-config.ts';
import { isConfig, isLayer } from '../media-types.ts';
import type { Platform } from '../model.ts';
import type { Reference } from '../reference.ts';
import { fetchBlobBytes } from './blobs.ts';
import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { fetchManifest, type ImageManifest, type Schema1Manifest } from './manifests.ts';
import { DEFAULT_PLATFORM, formatPlatform, normalizePlatform, selectManifest } from './platform.ts';
import { schema1DeprecationMessage, schema1View, type Schema1View } from './schema1.ts';

export interface ResolvedLayer {
  digest: Digest;
  /** Unknown for schema 1 layers. */
  size?: number;
  mediaType: string;
}

export interface ResolvedImage {
  reference: Reference;
  /** The single-platform manifest. */
  manifestDigest: Digest;
  manifestBytes: Uint8Array;
  manifestMediaType: string;
  /** The index / manifest list the manifest was chosen from. */
  indexDigest?: Digest;
  indexBytes?: Uint8Array;
  indexMediaType?: string;
  /** The platform of the image (config, else index entry, else schema 1 fields). */
  platform: Platform;
  /** Absent for schema 1 until `schema1ToConfig` is given the diff_ids. */
  configDigest?: Digest;
  configBytes?: Uint8Array;
  configMediaType?: string;
  /** Bottom layer first. */
  layers: ResolvedLayer[];
  schema1?: { manifest: Schema1Manifest; view: Schema1View };
  /** Lines to show as Docker would (schema 1 deprecation, platform mismatch). */
  warnings: string[];
}

export interface ResolveOptions {
  /** Platform to choose from an index; default linux/amd64. */
  platform?: Platform;
  signal?: AbortSignal;
}

function configPlatform(bytes: Uint8Array): Platform | undefined {
  const c = parseConfigObject(bytes, (problem, text) =>
    problem === 'too-large'
      ? new RegistryError('TOO_LARGE', `image config ${text}`)
      : new RegistryError('MANIFEST_INVALID', 'image config is not JSON', { retryable: false }),
  );
  return typeof c.os === 'string' && typeof c.architecture === 'string' ? platformOfConfig(c) : undefined;
}

/**
 * A manifest whose layers are not filesystems is not an image to unpack: BuildKit's attestation
 * manifests carry `application/vnd.in-toto+json` layers under an image config media type
 * (moby buildkit docs/attestations/attestation-storage.md). Refused before any blob is fetched,
 * naming the layer: a JSON (`+json`) layer, or no filesystem layer at all (containerd's
 * `isImageManifest`, which moby's image list applies).
 */
function checkFilesystemLayers(digest: Digest, im: ImageManifest): void {
  const i = im.layers.findIndex((l) => !isLayer(l.mediaType) && /\+json$/i.test(l.mediaType));
  const j = i >= 0 ? i : im.layers.length > 0 && !im.layers.some((l) => isLayer(l.mediaType)) ? 0 : -1;
  if (j < 0) return;
  const mt = JSON.stringify(im.layers[j]!.mediaType.slice(0, 200));
  throw new RegistryError(
    'UNSUPPORTED_MEDIA_TYPE',
    `not a container image: layer ${j + 1} of manifest ${digest} is ${mt}, not a filesystem layer` +
      (/in-toto/i.test(mt) ? ' (an attestation manifest)' : ''),
    { retryable: false },
  );
}

export async function resolveImage(
  client: RegistryClient,
  ref: Reference,
  opts: ResolveOptions = {},
): Promise<ResolvedImage> {
  const signalOpt = opts.signal ? { signal: opts.signal } : {};
  const wanted = opts.platform ?? DEFAULT_PLATFORM;
  const top = await fetchManifest(client, ref, ref.digest ?? ref.tag ?? 'latest', signalOpt);
  let m = top;
  let entryPlatform: Platform | undefined;
  const out: Partial<ResolvedImage> & { warnings: string[] } = { reference: ref, warnings: [] };
  if (top.manifest.kind === 'index') {
    const chosen = selectManifest(top.manifest.manifests, wanted);
    entryPlatform = chosen.platform;
    m = await fetchManifest(client, ref, chosen.digest, signalOpt);
    if (m.manifest.kind === 'index') {
      throw new RegistryError('UNSUPPORTED_MEDIA_TYPE', 'nested image indexes are not supported', {
        retryable: false,
      });
    }
    out.indexDigest = top.digest;
    out.indexBytes = top.bytes;
    out.indexMediaType = top.mediaType;
  }
  out.manifestDigest = m.digest;
  out.manifestBytes = m.bytes;
  out.manifestMediaType = m.mediaType;

  if (m.manifest.kind === 'schema1') {
    const view = schema1View(m.manifest);
    out.schema1 = { manifest: m.manifest, view };
    out.layers = view.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType }));
    out.platform = { os: view.os, architecture: view.architecture };
    out.warnings.push(schema1DeprecationMessage(ref));
  } else {
    const im = m.manifest as ImageManifest;
    if (!isConfig(im.config.mediaType)) {
      throw new RegistryError(
        'UNSUPPORTED_MEDIA_TYPE',
        `not a container image: config media type ${JSON.stringify(im.config.mediaType.slice(0, 200))}`,
        { retryable: false },
      );
    }
    const configBytes = await fetchBlobBytes(client, ref, im.config.digest, signalOpt);
    if (configBytes.length !== im.config.size) {
      throw new RegistryError(
        'SIZE_INVALID',
        `config ${im.config.digest} has ${configBytes.length} bytes, manifest says ${im.config.size}`,
      );
    }
    out.configDigest = im.config.digest;
    out.configBytes = configBytes;
    out.configMediaType = im.config.mediaType;
    checkFilesystemLayers(m.digest, im);
    out.layers = im.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType }));
    out.platform = configPlatform(configBytes) ?? entryPlatform ?? { os: '', architecture: '' };
  }
  if (opts.platform && out.platform.architecture) {
    const a = normalizePlatform(out.platform);
    const b = normalizePlatform(opts.platform);
    if (a.os !== b.os || a.architecture !== b.architecture) {
      out.warnings.push(
        `image platform ${formatPlatform(out.platform)} does not match the requested platform ${formatPlatform(opts.platform)}`,
      );
    }
  }
  return out as ResolvedImage;
}
