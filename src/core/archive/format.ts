/**
 * The metadata files of image archives, written as the tools write them and read as hostile
 * input:
 * - `manifest.json`, `repositories`: the `docker save` format (moby image/tarexport; the
 *   items `{Config, RepoTags, Layers, LayerSources?}` and `{"name": {"tag": "<hex>"}}`);
 * - `oci-layout`, `index.json`, `blobs/sha256/<hex>`: the OCI image layout (image-spec
 *   image-layout.md), which Docker 25+ writes into the same tar and skopeo/podman/umoci write
 *   alone.
 * Serialization copies Go's encoding/json output (struct field order, sorted map keys, compact;
 * json.Encoder's trailing newline for manifest.json and repositories) so our archives match
 * Docker's byte for byte where the content is the same.
 */
import type { Digest } from '../digest.ts';
import { parseImageConfig as parseConfig, type ConfigSummary } from '../image-config.ts';
import { LIMITS } from '../limits.ts';
import {
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER_TAR,
  OCI_LAYER_TAR_GZIP,
  OCI_LAYER_TAR_ZSTD,
  OCI_MANIFEST,
} from '../media-types.ts';
import type { Platform } from '../model.ts';
import { familiarName, familiarString, parseReference, referenceString, type Reference } from '../reference.ts';
import { ArchiveError } from './errors.ts';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const MANIFEST_FILE = 'manifest.json';
export const REPOSITORIES_FILE = 'repositories';
/** image-layout.md: `{"imageLayoutVersion": "1.0.0"}`, spaced as Docker and skopeo write it. */
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion": "1.0.0"}';
/** containerd's image name annotation (full normalized reference), written by Docker 25+. */
export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
/** image-spec annotations.md: the tag (Docker, skopeo, umoci) or a full reference. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
/** Layerscope's own: the image's RepoDigests, comma-separated, so a round trip keeps them. */
export const ANNOTATION_REPO_DIGESTS = 'org.layerscope.image.repo-digests';

const BLOB_PATH_RE = /^blobs\/sha256\/([a-f0-9]{64})$/;

export function blobPath(d: Digest): string {
  return `blobs/sha256/${d.slice(7)}`;
}

/** The digest a `blobs/sha256/<hex>` member path names, else undefined. */
export function digestOfBlobPath(path: string): Digest | undefined {
  const m = BLOB_PATH_RE.exec(path);
  return m ? (`sha256:${m[1]}` as Digest) : undefined;
}

const enc = new TextEncoder();
export const utf8Bytes = (s: string): Uint8Array => enc.encode(s);

// ── Go-shaped serialization ────────────────────────────────────────────────────────────────

/** Go's json.Marshal escapes <, > and & (HTMLEscape); JSON.stringify does not. */
function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function goMap(m: Record<string, string>): string {
  return `{${Object.keys(m)
    .sort()
    .map((k) => `${goString(k)}:${goString(m[k]!)}`)
    .join(',')}}`;
}

/** ocispec.Platform field order: architecture, os, os.version, variant. */
function goPlatform(p: Platform): string {
  let s = `{"architecture":${goString(p.architecture)},"os":${goString(p.os)}`;
  if (p['os.version']) s += `,"os.version":${goString(p['os.version'])}`;
  if (p.variant) s += `,"variant":${goString(p.variant)}`;
  return `${s}}`;
}

export interface DescriptorOut {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** ocispec.Descriptor field order: mediaType, digest, size, urls, annotations, data, platform. */
function goDescriptor(d: DescriptorOut): string {
  let s = `{"mediaType":${goString(d.mediaType)},"digest":${goString(d.digest)},"size":${d.size}`;
  if (d.annotations && Object.keys(d.annotations).length) s += `,"annotations":${goMap(d.annotations)}`;
  if (d.platform) s += `,"platform":${goPlatform(d.platform)}`;
  return `${s}}`;
}

/** An OCI image manifest as Docker 25+ writes it for `docker save` (json.Marshal, no newline). */
export function ociManifestJson(config: DescriptorOut, layers: readonly DescriptorOut[]): string {
  return `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${goDescriptor(config)},"layers":[${layers.map(goDescriptor).join(',')}]}`;
}

export function ociIndexJson(manifests: readonly DescriptorOut[]): string {
  return `{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[${manifests.map(goDescriptor).join(',')}]}`;
}

export interface DockerManifestItem {
  /** Member path of the config. */
  Config: string;
  /** Familiar `name:tag` strings; Docker writes null for an untagged image. */
  RepoTags: string[];
  /** Member paths of the layers, bottom first. */
  Layers: string[];
}

export function dockerManifestJson(items: readonly DockerManifestItem[]): string {
  const one = (i: DockerManifestItem) =>
    `{"Config":${goString(i.Config)},"RepoTags":${i.RepoTags.length ? `[${i.RepoTags.map(goString).join(',')}]` : 'null'},"Layers":[${i.Layers.map(goString).join(',')}]}`;
  return `[${items.map(one).join(',')}]\n`;
}

/** `{"familiar name": {"tag": "<top layer hex>"}}` (moby save.go reposLegacy). */
export function repositoriesJson(repos: ReadonlyMap<string, ReadonlyMap<string, string>>): string {
  const names = [...repos.keys()].sort();
  return `{${names.map((n) => `${goString(n)}:${goMap(Object.fromEntries(repos.get(n)!))}`).join(',')}}\n`;
}

/** The uncompressed layer media type for a compression (what a synthesized manifest says). */
export function ociLayerMediaType(compression: 'none' | 'gzip' | 'zstd'): string {
  return compression === 'gzip' ? OCI_LAYER_TAR_GZIP : compression === 'zstd' ? OCI_LAYER_TAR_ZSTD : OCI_LAYER_TAR;
}
export { OCI_CONFIG };

// ── names ──────────────────────────────────────────────────────────────────────────────────

/** A normalized tag name (`docker.io/library/x:1`) from what an archive says; undefined when
 * it is not a tagged name. */
export function normalizeTagName(raw: string): string | undefined {
  let ref: Reference;
  try {
    ref = parseReference(raw);
  } catch {
    return undefined;
  }
  if (ref.digest !== undefined || ref.tag === undefined) return undefined;
  return referenceString(ref);
}

/** The forms the archive metadata uses for one normalized tag name. */
export function tagForms(name: string): { ref: Reference; familiar: string; familiarName: string; tag: string } {
  const ref = parseReference(name);
  return { ref, familiar: familiarString(ref), familiarName: familiarName(ref), tag: ref.tag ?? 'latest' };
}

// ── reading (hostile input) ────────────────────────────────────────────────────────────────

const MAX_ITEMS = LIMITS.indexEntries;
const MAX_STRING = LIMITS.stringLength;

function parseJson(bytes: Uint8Array, member: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ArchiveError('ARCHIVE_MALFORMED', `${member} is not valid JSON: ${(e as Error).message}`, member);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function strList(x: unknown, what: string, member: string, allowNull: boolean): string[] {
  if ((x === null || x === undefined) && allowNull) return [];
  if (!Array.isArray(x)) throw new ArchiveError('ARCHIVE_MALFORMED', `${member}: ${what} is not a list`, member);
  if (x.length > MAX_ITEMS) {
    throw new ArchiveError('ARCHIVE_LIMIT', `${member}: ${what} lists more than ${MAX_ITEMS} entries`, member);
  }
  return x.map((s, i) => {
    if (typeof s !== 'string')
      throw new ArchiveError('ARCHIVE_MALFORMED', `${member}: ${what}[${i}] is not a string`, member);
    if (s.length > MAX_STRING) {
      throw new ArchiveError(
        'ARCHIVE_LIMIT',
        `${member}: ${what}[${i}] is longer than ${MAX_STRING} characters`,
        member,
      );
    }
    return s;
  });
}

export function parseDockerManifest(bytes: Uint8Array, member = MANIFEST_FILE): DockerManifestItem[] {
  const j = parseJson(bytes, member);
  if (!Array.isArray(j)) throw new ArchiveError('ARCHIVE_MALFORMED', `${member} is not a JSON list`, member);
  if (j.length > MAX_ITEMS)
    throw new ArchiveError('ARCHIVE_LIMIT', `${member} lists more than ${MAX_ITEMS} images`, member);
  return j.map((item, i) => {
    if (!isObject(item)) throw new ArchiveError('ARCHIVE_MALFORMED', `${member}: item ${i} is not an object`, member);
    if (typeof item.Config !== 'string' || item.Config.length === 0 || item.Config.length > MAX_STRING) {
      throw new ArchiveError('ARCHIVE_MALFORMED', `${member}: item ${i} has no Config path`, member);
    }
    return {
      Config: item.Config,
      RepoTags: strList(item.RepoTags, `item ${i} RepoTags`, member, true),
      Layers: strList(item.Layers, `item ${i} Layers`, member, false),
    };
  });
}

/** The parts of an image config an ImageRecord needs (image-spec config.md), refusals as
 * ArchiveErrors naming the member. */
export function parseImageConfig(bytes: Uint8Array, member: string): ConfigSummary {
  return parseConfig(
    bytes,
    (problem, text) =>
      new ArchiveError(
        problem === 'too-large' ? 'ARCHIVE_LIMIT' : 'ARCHIVE_MALFORMED',
        `config ${member} ${text}`,
        member,
      ),
  );
}
export type { ConfigSummary };

/**
 * Resolves a symlink member's target (relative to its directory, or absolute from the archive
 * root) to a member path; undefined when it would leave the archive.
 */
export function resolveLinkTarget(linkPath: string, target: string): string | undefined {
  const parts = target.startsWith('/') ? [] : linkPath.split('/').slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(p);
  }
  return parts.length ? parts.join('/') : undefined;
}

/** A member path named in metadata (manifest.json's Config/Layers): normalized, no escape. */
export function normalizeMemberPath(raw: string, member: string): string {
  const parts: string[] = [];
  for (const p of raw.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..' || p.includes('\0'))
      throw new ArchiveError(
        'ARCHIVE_UNSAFE',
        `${member} names a path outside the archive: ${JSON.stringify(raw.slice(0, 200))}`,
        member,
      );
    parts.push(p);
  }
  if (raw.startsWith('/') || parts.length === 0)
    throw new ArchiveError(
      'ARCHIVE_UNSAFE',
      `${member} names a bad path: ${JSON.stringify(raw.slice(0, 200))}`,
      member,
    );
  return parts.join('/');
}
