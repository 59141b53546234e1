/**
 * Manifests: fetch with the full `Accept` list, read with a cap, hash the exact bytes and check
 * them against the digest asked for or `Docker-Content-Digest`, then parse and validate the
 * shape (OCI image-spec manifest.md / image-index.md; Docker manifest v2 schema 2 and list;
 * schema 1, whose digest is over the payload without signatures).
 */
import { LIMITS } from '../limits.ts';
import { isDigest, type Digest } from '../digest.ts';
import {
  baseMediaType,
  DOCKER_MANIFEST_V1,
  DOCKER_MANIFEST_V1_SIGNED,
  isIndex,
  isManifest,
  isSchema1,
  MANIFEST_ACCEPT,
  OCI_INDEX,
  OCI_MANIFEST,
} from '../media-types.ts';
import type { Platform } from '../model.ts';
import { isValidTag } from '../reference.ts';
import type { RegistryClient, RepositoryRef } from './client.ts';
import { readCapped, RegistryError } from './errors.ts';
import { schema1Payload } from './schema1.ts';

const REPOSITORY_RE = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$/;

/** Repository names go into URL paths: only the grammar of distribution/reference passes. */
export function assertRepository(repository: string): void {
  if (repository.length > 255 || !REPOSITORY_RE.test(repository)) {
    throw new RegistryError('NAME_INVALID', `invalid repository name ${JSON.stringify(repository.slice(0, 140))}`);
  }
}

/** distribution's default limit for a manifest body. */
export const MANIFEST_CAP = LIMITS.manifestBytes;
/** Bounds on counts in a manifest: far above any real image, far below harm. */
const MAX_LAYERS = LIMITS.layers;
const MAX_INDEX_ENTRIES = LIMITS.indexEntries;
const MAX_STRING = LIMITS.stringLength;
const MAX_URLS = 16;

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export interface Schema1Manifest {
  kind: 'schema1';
  mediaType: string;
  name: string;
  tag: string;
  architecture: string;
  /** Top layer first, as the format lists them. */
  fsLayers: { blobSum: Digest }[];
  /** Parallel to fsLayers: the v1 image JSON of each layer, top first. */
  history: { v1Compatibility: string }[];
  signed: boolean;
}

export type Manifest = ImageManifest | ImageIndex | Schema1Manifest;

export interface FetchedManifest {
  /** The exact bytes served: digests are over bytes. */
  bytes: Uint8Array;
  mediaType: string;
  /** sha256 of the bytes (of the signature-less payload for signed schema 1). */
  digest: Digest;
  manifest: Manifest;
}

export async function sha256Digest(bytes: Uint8Array): Promise<Digest> {
  const buf = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  let hex = '';
  for (const b of new Uint8Array(buf)) hex += b.toString(16).padStart(2, '0');
  return `sha256:${hex}`;
}

/** The digest a registry gives this manifest: schema 1 signed ones hash their payload. */
export async function manifestDigest(bytes: Uint8Array, mediaType: string): Promise<Digest> {
  if (mediaType === DOCKER_MANIFEST_V1_SIGNED) return sha256Digest(schema1Payload(bytes));
  return sha256Digest(bytes);
}

const invalid = (why: string) =>
  new RegistryError('MANIFEST_INVALID', `manifest invalid: ${why}`, { retryable: false });

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown, what: string): string {
  if (typeof x !== 'string') throw invalid(`${what} is not a string`);
  if (x.length > MAX_STRING) throw invalid(`${what} is longer than ${MAX_STRING} characters`);
  return x;
}

function stringMap(x: unknown, what: string): Record<string, string> | undefined {
  if (x === undefined || x === null) return undefined;
  if (!isObject(x)) throw invalid(`${what} is not an object`);
  const out: Record<string, string> = {};
  const entries = Object.entries(x);
  if (entries.length > 1000) throw invalid(`${what} has too many entries`);
  for (const [k, v] of entries) out[k] = str(v, `${what}.${k}`);
  return out;
}

function platformOf(x: unknown, what: string): Platform | undefined {
  if (x === undefined || x === null) return undefined;
  if (!isObject(x)) throw invalid(`${what} is not an object`);
  const p: Platform = { os: str(x.os, `${what}.os`), architecture: str(x.architecture, `${what}.architecture`) };
  if (x.variant !== undefined) p.variant = str(x.variant, `${what}.variant`);
  if (x['os.version'] !== undefined) p['os.version'] = str(x['os.version'], `${what}.os.version`);
  return p;
}

export function parseDescriptor(x: unknown, what: string): Descriptor {
  if (!isObject(x)) throw invalid(`${what} is not an object`);
  const mediaType = str(x.mediaType, `${what}.mediaType`);
  const digest = str(x.digest, `${what}.digest`);
  if (!isDigest(digest)) throw invalid(`${what}.digest ${JSON.stringify(digest.slice(0, 80))} is not a sha256 digest`);
  const size = x.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${what}.size is not a non-negative integer`);
  }
  const d: Descriptor = { mediaType, digest, size };
  const platform = platformOf(x.platform, `${what}.platform`);
  if (platform) d.platform = platform;
  const annotations = stringMap(x.annotations, `${what}.annotations`);
  if (annotations) d.annotations = annotations;
  if (x.urls !== undefined) {
    if (!Array.isArray(x.urls)) throw invalid(`${what}.urls is not a list`);
    if (x.urls.length > MAX_URLS) throw invalid(`${what}.urls lists more than ${MAX_URLS} URLs`);
    d.urls = x.urls.map((u, i) => str(u, `${what}.urls[${i}]`));
  }
  return d;
}

/**
 * Decide the media type: the body's own `mediaType`, else a manifest Content-Type, else the
 * shape (schema 1 has `schemaVersion: 1`; an index has `manifests`).
 */
function detectMediaType(j: Record<string, unknown>, contentType: string): string {
  if (typeof j.mediaType === 'string' && j.mediaType) return j.mediaType;
  const ct = baseMediaType(contentType);
  if (j.schemaVersion === 1) {
    return Array.isArray(j.signatures) ? DOCKER_MANIFEST_V1_SIGNED : DOCKER_MANIFEST_V1;
  }
  if (MANIFEST_ACCEPT.includes(ct) && !isSchema1(ct)) return ct;
  if (Array.isArray(j.manifests)) return OCI_INDEX;
  if (isObject(j.config)) return OCI_MANIFEST;
  return ct;
}

/** Parse and validate a manifest's bytes. `contentType` is the response's header. */
export function parseManifest(bytes: Uint8Array, contentType = ''): { manifest: Manifest; mediaType: string } {
  let j: unknown;
  try {
    j = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid('not JSON');
  }
  if (!isObject(j)) throw invalid('not a JSON object');
  const mediaType = detectMediaType(j, contentType);
  if (isIndex(mediaType)) {
    if (j.schemaVersion !== 2) throw invalid('schemaVersion is not 2');
    if (!Array.isArray(j.manifests)) throw invalid('manifests is not a list');
    if (j.manifests.length > MAX_INDEX_ENTRIES) throw invalid(`more than ${MAX_INDEX_ENTRIES} manifests`);
    const manifests = j.manifests.map((m, i) => parseDescriptor(m, `manifests[${i}]`));
    return { manifest: { kind: 'index', mediaType, manifests }, mediaType };
  }
  if (isManifest(mediaType)) {
    if (j.schemaVersion !== 2) throw invalid('schemaVersion is not 2');
    const config = parseDescriptor(j.config, 'config');
    if (!Array.isArray(j.layers)) throw invalid('layers is not a list');
    if (j.layers.length > MAX_LAYERS) throw invalid(`more than ${MAX_LAYERS} layers`);
    const layers = j.layers.map((l, i) => parseDescriptor(l, `layers[${i}]`));
    const m: ImageManifest = { kind: 'manifest', mediaType, config, layers };
    const annotations = stringMap(j.annotations, 'annotations');
    if (annotations) m.annotations = annotations;
    return { manifest: m, mediaType };
  }
  if (isSchema1(mediaType)) {
    if (j.schemaVersion !== 1) throw invalid('schemaVersion is not 1');
    if (!Array.isArray(j.fsLayers) || !Array.isArray(j.history)) {
      throw invalid('fsLayers or history is not a list');
    }
    if (j.fsLayers.length > MAX_LAYERS) throw invalid(`more than ${MAX_LAYERS} layers`);
    if (j.fsLayers.length !== j.history.length || j.fsLayers.length === 0) {
      throw invalid('fsLayers and history differ in length');
    }
    const fsLayers = j.fsLayers.map((l, i) => {
      if (!isObject(l)) throw invalid(`fsLayers[${i}] is not an object`);
      const blobSum = str(l.blobSum, `fsLayers[${i}].blobSum`);
      if (!isDigest(blobSum)) throw invalid(`fsLayers[${i}].blobSum is not a sha256 digest`);
      return { blobSum };
    });
    const history = j.history.map((h, i) => {
      if (!isObject(h) || typeof h.v1Compatibility !== 'string') {
        throw invalid(`history[${i}].v1Compatibility is not a string`);
      }
      if (h.v1Compatibility.length > MANIFEST_CAP) {
        throw invalid(`history[${i}].v1Compatibility is longer than ${MANIFEST_CAP} characters`);
      }
      return { v1Compatibility: h.v1Compatibility };
    });
    return {
      manifest: {
        kind: 'schema1',
        mediaType,
        name: typeof j.name === 'string' ? j.name : '',
        tag: typeof j.tag === 'string' ? j.tag : '',
        architecture: typeof j.architecture === 'string' ? j.architecture : '',
        fsLayers,
        history,
        signed: mediaType === DOCKER_MANIFEST_V1_SIGNED,
      },
      mediaType,
    };
  }
  throw new RegistryError(
    'UNSUPPORTED_MEDIA_TYPE',
    `unsupported manifest media type ${JSON.stringify(mediaType.slice(0, 200))}`,
    { retryable: false },
  );
}

/**
 * GET `/v2/<name>/manifests/<tag|digest>`. The bytes are hashed; a digest reference must match
 * them, and so must `Docker-Content-Digest` when the registry sends one.
 */
export async function fetchManifest(
  client: RegistryClient,
  repo: RepositoryRef,
  reference: string,
  opts: { signal?: AbortSignal } = {},
): Promise<FetchedManifest> {
  if (!isDigest(reference) && !isValidTag(reference)) {
    throw new RegistryError('NAME_INVALID', `invalid tag or digest ${JSON.stringify(reference.slice(0, 140))}`);
  }
  assertRepository(repo.repository);
  const path = `/v2/${repo.repository}/manifests/${reference}`;
  const what = `manifest for ${repo.repository}:${reference}`.replace(':sha256:', '@sha256:');
  const reqOpts: Parameters<RegistryClient['request']>[2] = {
    headers: { Accept: MANIFEST_ACCEPT.join(', ') },
    what,
  };
  if (opts.signal) reqOpts.signal = opts.signal;
  const res = await client.request(repo, path, reqOpts);
  if (!res.ok) {
    const err = await client.fail(res, what);
    if (res.status === 404 && err.code === 'HTTP_ERROR') {
      throw new RegistryError('MANIFEST_UNKNOWN', `manifest unknown: ${what} not found`, { status: 404 });
    }
    throw err;
  }
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (length > MANIFEST_CAP) {
    await res.body?.cancel().catch(() => {});
    throw new RegistryError('TOO_LARGE', `${what} is larger than ${MANIFEST_CAP} bytes`);
  }
  const { bytes, truncated } = await readCapped(res.body, MANIFEST_CAP);
  if (truncated) throw new RegistryError('TOO_LARGE', `${what} is larger than ${MANIFEST_CAP} bytes`);
  const { manifest, mediaType } = parseManifest(bytes, res.headers.get('content-type') ?? '');
  const digest = await manifestDigest(bytes, mediaType);
  const asked = reference.startsWith('sha256:') ? reference : undefined;
  if (asked !== undefined && asked !== digest) {
    throw new RegistryError('DIGEST_MISMATCH', `${what}: content digest ${digest} does not match ${asked}`, {
      retryable: false,
    });
  }
  const announced = res.headers.get('docker-content-digest')?.trim();
  if (announced && announced.startsWith('sha256:') && announced !== digest) {
    throw new RegistryError(
      'DIGEST_MISMATCH',
      `${what}: content digest ${digest} does not match Docker-Content-Digest ${announced.slice(0, 80)}`,
      { retryable: false },
    );
  }
  return { bytes, mediaType, digest, manifest };
}
