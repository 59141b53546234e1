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
    // moby image/v1 HistoryFromConfig: the v1 JSON decoded into its V1Image struct (keys
    // matched case-insensitively, as Go's encoding/json does; a string Cmd is a one-element list).
    const created = goField(v1, 'created');
    const h: HistoryEntry = { created: typeof created === 'string' ? created : '' };
    const author = goField(v1, 'author');
    if (typeof author === 'string' && author) h.author = author;
    const cc = goField(v1, 'container_config');
    const cmd = cc && typeof cc === 'object' ? goField(cc as Record<string, unknown>, 'Cmd') : undefined;
    const cmdList = typeof cmd === 'string' ? [cmd] : Array.isArray(cmd) ? cmd : [];
    if (cmdList.length > 0) h.created_by = cmdList.map((c) => (typeof c === 'string' ? c : '')).join(' ');
    const comment = goField(v1, 'comment');
    if (typeof comment === 'string' && comment) h.comment = comment;
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
const GO_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i;

function goTime(s: string): string {
  const m = GO_TIME.exec(s);
  if (!m) return s ? s : '0001-01-01T00:00:00Z';
  const frac = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[3]!.toUpperCase() === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3]!;
  return `${m[1]}${frac ? '.' + frac : ''}${zone}`;
}

/** ocispec.History as moby ≥ 25 marshals it (image.History is that type since moby v25): created
 * (omitted when the v1 image has none), created_by, author, comment, empty_layer. */
function historyJson(h: HistoryEntry): string {
  const parts = h.created ? [`"created":${goString(goTime(h.created))}`] : [];
  if (h.created_by) parts.push(`"created_by":${goString(h.created_by)}`);
  if (h.author) parts.push(`"author":${goString(h.author)}`);
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
 * A v1 image whose `docker_version` is older than 1.8.3 (or absent) is first decoded into
 * moby's `V1Image` struct and encoded again (`v1ImageJson`), as moby does for those.
 */
export async function schema1ToConfig(
  manifest: Schema1Manifest,
  diffIds: Digest[],
): Promise<{ configBytes: Uint8Array; configDigest: Digest }> {
  const view = schema1View(manifest);
  if (diffIds.length !== view.layers.length) {
    throw invalid(`${diffIds.length} diff_ids for ${view.layers.length} layers`);
  }
  const top = view.topV1Compatibility;
  const members = topLevelMembers(dockerVersionBefore183(top) ? v1ImageJson(top) : top);
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

// --- moby image/v1 MakeConfigFromV1Config's fallback for images of Docker before 1.8.3 ---

/** encoding/json's field lookup: the exact key, else the last key equal under case folding. */
function goField(o: object, name: string): unknown {
  const r = o as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(r, name)) return r[name];
  let v: unknown;
  for (const k of Object.keys(r)) if (k.toLowerCase() === name.toLowerCase()) v = r[k];
  return v;
}

/** moby api/types/versions LessThan(docker_version, "1.8.3"): dot-separated integers, a part
 * that is not one counts 0 (strconv.Atoi's error ignored). */
function dockerVersionBefore183(raw: string): boolean {
  let v: unknown;
  try {
    v = goField(JSON.parse(raw) as Record<string, unknown>, 'docker_version');
  } catch {
    throw invalid('v1Compatibility is not JSON');
  }
  const version = typeof v === 'string' ? v : '';
  if (version === '1.8.3') return false;
  const a = version.split('.');
  const b = [1, 8, 3];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = i < a.length && /^[+-]?\d{1,18}$/.test(a[i]!) ? Number(a[i]) : 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

const typeError = (what: string) => invalid(`v1Compatibility: ${what} has the wrong type`);

function goStr(v: unknown, what: string): string {
  if (v === undefined || v === null) return '""';
  if (typeof v !== 'string') throw typeError(what);
  return goString(v);
}
function goBool(v: unknown, what: string): string {
  if (v === undefined || v === null) return 'false';
  if (typeof v !== 'boolean') throw typeError(what);
  return String(v);
}
function goInt(v: unknown, what: string): string {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw typeError(what);
  return String(v);
}
/** []string; `single` also takes one string (strslice.StrSlice). undefined: nil. */
function goStrings(v: unknown, what: string, single = false): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (single && typeof v === 'string') return `[${goString(v)}]`;
  if (!Array.isArray(v)) throw typeError(what);
  return `[${v.map((x, i) => goStr(x, `${what}[${i}]`)).join(',')}]`;
}
/** A Go map with string keys, sorted by bytes; undefined: nil. */
function goMap(v: unknown, what: string, value: (x: unknown, what: string) => string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw typeError(what);
  const keys = Object.keys(v).sort(utf8Compare);
  return `{${keys.map((k) => `${goString(k)}:${value((v as Record<string, unknown>)[k], `${what}.${k}`)}`).join(',')}}`;
}
/** struct{} decoded from anything an object (or null) can be. */
function goEmpty(v: unknown, what: string): string {
  if (v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v))) throw typeError(what);
  return '{}';
}

/** api/types/container.Config (moby v28.1), in its field order with its omitempty rules. */
function goContainerConfig(raw: unknown, what: string): string {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw typeError(what);
  const o = (raw ?? {}) as Record<string, unknown>;
  const f = (k: string) => goField(o, k);
  const parts: string[] = [];
  const put = (k: string, v: string | undefined) => v !== undefined && parts.push(`"${k}":${v}`);
  for (const k of ['Hostname', 'Domainname', 'User']) put(k, goStr(f(k), `${what}.${k}`));
  for (const k of ['AttachStdin', 'AttachStdout', 'AttachStderr']) put(k, goBool(f(k), `${what}.${k}`));
  const ports = goMap(f('ExposedPorts'), `${what}.ExposedPorts`, goEmpty);
  if (ports !== undefined && ports !== '{}') put('ExposedPorts', ports);
  for (const k of ['Tty', 'OpenStdin', 'StdinOnce']) put(k, goBool(f(k), `${what}.${k}`));
  put('Env', goStrings(f('Env'), `${what}.Env`) ?? 'null');
  put('Cmd', goStrings(f('Cmd'), `${what}.Cmd`, true) ?? 'null');
  const hc = f('Healthcheck');
  if (hc !== undefined && hc !== null) put('Healthcheck', goHealthcheck(hc, `${what}.Healthcheck`));
  if (goBool(f('ArgsEscaped'), `${what}.ArgsEscaped`) === 'true') put('ArgsEscaped', 'true');
  put('Image', goStr(f('Image'), `${what}.Image`));
  put('Volumes', goMap(f('Volumes'), `${what}.Volumes`, goEmpty) ?? 'null');
  put('WorkingDir', goStr(f('WorkingDir'), `${what}.WorkingDir`));
  put('Entrypoint', goStrings(f('Entrypoint'), `${what}.Entrypoint`, true) ?? 'null');
  if (goBool(f('NetworkDisabled'), `${what}.NetworkDisabled`) === 'true') put('NetworkDisabled', 'true');
  const mac = goStr(f('MacAddress'), `${what}.MacAddress`);
  if (mac !== '""') put('MacAddress', mac);
  put('OnBuild', goStrings(f('OnBuild'), `${what}.OnBuild`) ?? 'null');
  put('Labels', goMap(f('Labels'), `${what}.Labels`, goStr) ?? 'null');
  const stop = goStr(f('StopSignal'), `${what}.StopSignal`);
  if (stop !== '""') put('StopSignal', stop);
  const timeout = f('StopTimeout');
  if (timeout !== undefined && timeout !== null) put('StopTimeout', goInt(timeout, `${what}.StopTimeout`));
  const shell = goStrings(f('Shell'), `${what}.Shell`, true);
  if (shell !== undefined && shell !== '[]') put('Shell', shell);
  return `{${parts.join(',')}}`;
}

/** HealthcheckConfig: every field omitempty. */
function goHealthcheck(raw: unknown, what: string): string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw typeError(what);
  const o = raw as Record<string, unknown>;
  const parts: string[] = [];
  const test = goStrings(goField(o, 'Test'), `${what}.Test`);
  if (test !== undefined && test !== '[]') parts.push(`"Test":${test}`);
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
    const v = goField(o, k);
    if (v === undefined || v === null) continue;
    const n = goInt(v, `${what}.${k}`);
    if (n !== '0') parts.push(`"${k}":${n}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * moby's `V1Image` (image/image.go, v28.1) decoded from a v1 image JSON and encoded again, as
 * MakeConfigFromV1Config does for images of Docker before 1.8.3: fields it does not know go,
 * `container_config` is always there, the configs get every field of `container.Config`, and
 * empty `omitempty` fields go.
 */
export function v1ImageJson(raw: string): string {
  let j: unknown;
  try {
    j = JSON.parse(raw);
  } catch {
    throw invalid('v1Compatibility is not JSON');
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw invalid('v1Compatibility is not an object');
  const o = j as Record<string, unknown>;
  const f = (k: string) => goField(o, k);
  const parts: string[] = [];
  const opt = (k: string, field = k) => {
    const v = goStr(f(field), k);
    if (v !== '""') parts.push(`"${k}":${v}`);
  };
  opt('id');
  opt('parent');
  opt('comment');
  const created = f('created');
  if (created === undefined || created === null) parts.push('"created":null');
  else if (typeof created !== 'string' || !GO_TIME.test(created)) throw typeError('created');
  else parts.push(`"created":${goString(goTime(created))}`);
  opt('container');
  parts.push(`"container_config":${goContainerConfig(f('container_config'), 'container_config')}`);
  opt('docker_version');
  opt('author');
  const config = f('config');
  if (config !== undefined && config !== null) parts.push(`"config":${goContainerConfig(config, 'config')}`);
  opt('architecture');
  opt('variant');
  opt('os');
  const size = f('Size');
  if (size !== undefined && size !== null && goInt(size, 'Size') !== '0') parts.push(`"Size":${goInt(size, 'Size')}`);
  return `{${parts.join(',')}}`;
}
