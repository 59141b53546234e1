/**
 * Docker Image Manifest V2, Schema 1 (deprecated; distribution docs `manifest-v2-1.md`).
 *
 * - Signed manifests are JWS "pretty" signatures: the digest is over the payload, i.e. the bytes
 *   without the `signatures` member, rebuilt from each signature's protected header
 *   (`formatLength` bytes of the original, then the base64url `formatTail`).
 * - Layers are listed top first; `history[i].v1Compatibility` is the v1 image JSON of layer i.
 *   Pulled bottom-up; `throwaway` layers (empty) are not layers of the root filesystem.
 * - Once the diff_ids are known, a config is synthesized as moby does
 *   (`image/v1.MakeConfigFromV1Config`): the image ID of a schema 1 image is its digest.
 */
import type { Digest } from '../digest.ts';
import { DOCKER_LAYER_TAR_GZIP } from '../media-types.ts';
import { referenceString, type Reference } from '../reference.ts';
import { RegistryError } from './errors.ts';
import type { Schema1Manifest } from './manifests.ts';

const invalid = (why: string) =>
  new RegistryError('MANIFEST_INVALID', `manifest invalid: schema 1: ${why}`, { retryable: false });

/** The deprecation notice Docker prints for schema 1 images (moby, since v26). */
export function schema1DeprecationMessage(ref: Reference): string {
  return (
    '[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 ' +
    'support is disabled by default and will be removed in an upcoming release. Suggest the ' +
    `author of ${referenceString(ref)} to upgrade the image to the OCI Format or Docker Image ` +
    'manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/'
  );
}

function base64UrlDecode(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw invalid('bad base64url in signature header');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The signed payload of a schema 1 manifest (libtrust JSONSignature.Payload). Unsigned bytes are
 * returned as they are. Every signature must describe the same payload.
 */
export function schema1Payload(bytes: Uint8Array): Uint8Array {
  let j: { signatures?: unknown };
  try {
    j = JSON.parse(new TextDecoder().decode(bytes)) as typeof j;
  } catch {
    throw invalid('not JSON');
  }
  if (j.signatures === undefined) return bytes;
  if (!Array.isArray(j.signatures) || j.signatures.length === 0 || j.signatures.length > 64) {
    throw invalid('signatures is not a non-empty list');
  }
  let payload: Uint8Array | undefined;
  for (const sig of j.signatures as unknown[]) {
    const prot = (sig as { protected?: unknown } | null)?.protected;
    if (typeof prot !== 'string' || prot.length > 4096) throw invalid('signature without protected header');
    let header: { formatLength?: unknown; formatTail?: unknown };
    try {
      header = JSON.parse(new TextDecoder().decode(base64UrlDecode(prot))) as typeof header;
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      throw invalid('protected header is not JSON');
    }
    const { formatLength, formatTail } = header;
    if (
      typeof formatLength !== 'number' ||
      !Number.isSafeInteger(formatLength) ||
      formatLength < 0 ||
      formatLength > bytes.length ||
      typeof formatTail !== 'string'
    ) {
      throw invalid('protected header lacks formatLength/formatTail');
    }
    const tail = base64UrlDecode(formatTail);
    const p = new Uint8Array(formatLength + tail.length);
    p.set(bytes.subarray(0, formatLength));
    p.set(tail, formatLength);
    if (payload && !equalBytes(payload, p)) throw invalid('signatures describe different payloads');
    payload = p;
  }
  return payload!;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One v1 image JSON, the fields we read. */
interface V1Image {
  id?: string;
  parent?: string;
  created?: string;
  author?: string;
  comment?: string;
  os?: string;
  architecture?: string;
  throwaway?: boolean;
  container_config?: { Cmd?: unknown };
  config?: unknown;
}

function parseV1(s: string, i: number): V1Image {
  let j: unknown;
  try {
    j = JSON.parse(s);
  } catch {
    throw invalid(`history[${i}].v1Compatibility is not JSON`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) {
    throw invalid(`history[${i}].v1Compatibility is not an object`);
  }
  return j as V1Image;
}

/** OCI config `history` entry, as moby's `image.History`. */
export interface HistoryEntry {
  created: string;
  author?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface Schema1Layer {
  digest: Digest;
  mediaType: string;
  /** Schema 1 does not say how big a layer is. */
  size?: number;
  /** The v1 image id of the layer. */
  v1Id: string;
}

/** A config-like view of a schema 1 manifest, bottom-up like an OCI config. */
export interface Schema1View {
  architecture: string;
  os: string;
  created: string;
  /** `config` of the top v1 image (Env, Cmd, …), as served. */
  config: unknown;
  /** Bottom-up, one per v1 image, throwaway ones marked `empty_layer`. */
  history: HistoryEntry[];
  /** Bottom-up, throwaway layers skipped: the root filesystem's layers. */
  layers: Schema1Layer[];
  /** The v1 image JSON of the top image (input of `schema1ToConfig`). */
  topV1Compatibility: string;
}

/**
 * distribution `schema1.FixManifestLayers`: drop adjacent repeats of one v1 id, and check that
 * each image's parent is the image below it.
 */
function fixLayers(m: Schema1Manifest): { blobSum: Digest; v1: V1Image; raw: string }[] {
  const rows = m.fsLayers.map((l, i) => ({
    blobSum: l.blobSum,
    raw: m.history[i]!.v1Compatibility,
    v1: parseV1(m.history[i]!.v1Compatibility, i),
  }));
  const seen = new Set<string>();
  let last: string | undefined;
  for (const r of rows) {
    const id = typeof r.v1.id === 'string' ? r.v1.id : '';
    if (!/^[a-f0-9]{64}$/.test(id)) throw invalid(`v1 image id ${JSON.stringify(id.slice(0, 80))} is invalid`);
    if (id !== last && seen.has(id)) throw invalid(`v1 image id ${id} appears more than once`);
    seen.add(id);
    last = id;
  }
  if (rows[rows.length - 1]!.v1.parent) throw invalid('the base layer has a parent');
  for (let i = rows.length - 2; i >= 0; i--) {
    if (rows[i]!.v1.id === rows[i + 1]!.v1.id) rows.splice(i, 1);
    else if (rows[i]!.v1.parent !== rows[i + 1]!.v1.id) throw invalid('broken parent chain');
  }
  return rows;
}

export function schema1View(m: Schema1Manifest): Schema1View {
  const rows = fixLayers(m);
  const history: HistoryEntry[] = [];
  const layers: Schema1Layer[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const { v1, blobSum } = rows[i]!;
    const throwaway = v1.throwaway === true;
    const h: HistoryEntry = { created: typeof v1.created === 'string' ? v1.created : '' };
    if (typeof v1.author === 'string' && v1.author) h.author = v1.author;
    const cmd = v1.container_config?.Cmd;
    if (Array.isArray(cmd) && cmd.length > 0) h.created_by = cmd.map(String).join(' ');
    if (typeof v1.comment === 'string' && v1.comment) h.comment = v1.comment;
    if (throwaway) h.empty_layer = true;
    history.push(h);
    if (!throwaway) layers.push({ digest: blobSum, mediaType: DOCKER_LAYER_TAR_GZIP, v1Id: v1.id! });
  }
  const top = rows[0]!;
  return {
    architecture: m.architecture || (typeof top.v1.architecture === 'string' ? top.v1.architecture : ''),
    os: typeof top.v1.os === 'string' && top.v1.os ? top.v1.os : 'linux',
    created: typeof top.v1.created === 'string' ? top.v1.created : '',
    config: top.v1.config ?? null,
    history,
    layers,
    topV1Compatibility: top.raw,
  };
}

// --- Go encoding/json compatible output, so the synthesized config hashes as moby's does. ---

/** Go escapes <, >, & and U+2028/U+2029 in strings (HTML-safe JSON). */
function goEscape(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function goString(s: string): string {
  return goEscape(JSON.stringify(s));
}

/** encoding/json `compact` with HTML escaping: drop whitespace outside strings. */
function goCompact(raw: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += raw[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c;
    }
  }
  return goEscape(out);
}

/** Split a JSON object's text into [key, raw value text] (last duplicate wins, as Go's map). */
function topLevelMembers(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const skipString = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const skipValue = () => {
    let depth = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') skipString();
      else if (c === '{' || c === '[') {
        depth++;
        i++;
      } else if (c === '}' || c === ']') {
        if (depth === 0) return;
        depth--;
        i++;
      } else if (c === ',' && depth === 0) return;
      else i++;
    }
  };
  ws();
  if (text[i] !== '{') throw invalid('v1Compatibility is not an object');
  i++;
  for (;;) {
    ws();
    if (text[i] === '}') break;
    const ks = i;
    skipString();
    const key = JSON.parse(text.slice(ks, i)) as string;
    ws();
    i++; // ':'
    ws();
    const vs = i;
    skipValue();
    members.set(key, text.slice(vs, i).trim());
    ws();
    if (text[i] === ',') i++;
    else break;
  }
  return members;
}

/** Go time.Time MarshalJSON (RFC 3339 with nanoseconds, trailing zeros trimmed). */
function goTime(s: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(s);
  if (!m) return s ? s : '0001-01-01T00:00:00Z';
  const frac = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[3]!.toUpperCase() === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3]!;
  return `${m[1]}${frac ? '.' + frac : ''}${zone}`;
}

function historyJson(h: HistoryEntry): string {
  const parts = [`"created":${goString(goTime(h.created))}`];
  if (h.author) parts.push(`"author":${goString(h.author)}`);
  if (h.created_by) parts.push(`"created_by":${goString(h.created_by)}`);
  if (h.comment) parts.push(`"comment":${goString(h.comment)}`);
  if (h.empty_layer) parts.push('"empty_layer":true');
  return `{${parts.join(',')}}`;
}

function utf8Compare(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
    if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  }
  return ea.length - eb.length;
}

/**
 * Synthesize the image config of a schema 1 image once its layers' diff_ids are known
 * (moby `MakeConfigFromV1Config`): the top v1 image JSON without its v1-only fields, plus
 * `rootfs` and `history`, keys sorted, compact. The image ID is `configDigest`.
 * (moby re-encodes images built by Docker older than 1.8.3 through its struct first; such
 * images may get a different ID here.)
 */
export async function schema1ToConfig(
  manifest: Schema1Manifest,
  diffIds: Digest[],
): Promise<{ configBytes: Uint8Array; configDigest: Digest }> {
  const view = schema1View(manifest);
  if (diffIds.length !== view.layers.length) {
    throw invalid(`${diffIds.length} diff_ids for ${view.layers.length} layers`);
  }
  const members = topLevelMembers(view.topV1Compatibility);
  for (const k of ['id', 'parent', 'Size', 'parent_id', 'layer_id', 'throwaway']) members.delete(k);
  const rootfs =
    diffIds.length > 0
      ? `{"type":"layers","diff_ids":[${diffIds.map((d) => `"${d}"`).join(',')}]}`
      : '{"type":"layers"}';
  members.set('rootfs', rootfs);
  members.set('history', `[${view.history.map(historyJson).join(',')}]`);
  const keys = [...members.keys()].sort(utf8Compare);
  const body = keys
    .map((k) => {
      const v = members.get(k)!;
      return `${goString(k)}:${k === 'rootfs' || k === 'history' ? v : goCompact(v)}`;
    })
    .join(',');
  const configBytes = new TextEncoder().encode(`{${body}}`);
  const buf = await crypto.subtle.digest('SHA-256', configBytes);
  let hex = '';
  for (const b of new Uint8Array(buf)) hex += b.toString(16).padStart(2, '0');
  return { configBytes, configDigest: `sha256:${hex}` };
}
