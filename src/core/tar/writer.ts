/**
 * Streaming tar writer: ustar headers, with a PAX `x` header before an entry whenever a value
 * does not fit ustar (path > 100/155 bytes or non-ASCII, long link, uid/gid/size/mtime too large,
 * fractional mtime, xattrs). Names read from a tar keep their bytes: strings carrying escaped
 * non-UTF-8 bytes (src/core/tar/names.ts) are written as those bytes, in PAX records as Go's
 * writer does. Deterministic: same entries, same bytes (sorted PAX keys, fixed
 * PAX header names, no timestamps of our own). Bodies are streamed through, never collected.
 * No record padding to 10240 bytes (as Go's archive/tar, which `docker save` uses).
 */
import type { EntryType } from '../layer/entry.ts';
import { iteratorOf, streamOf } from './bytes.ts';
import { TarError } from './errors.ts';
import { BLOCK, F, padding } from './format.ts';
import { encodeName } from './names.ts';

export interface TarWriteHeader {
  path: string;
  type?: EntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Required when `body` is a stream; defaults to the body's length for a Uint8Array. */
  size?: number;
  /** Seconds since the epoch; may be fractional or negative (written as a PAX record). */
  mtime?: number;
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
}

export type TarBody = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export interface TarWriteEntry extends TarWriteHeader {
  body?: TarBody;
}

/** Two zero blocks: POSIX end-of-archive. */
export const END_OF_ARCHIVE: Uint8Array = new Uint8Array(2 * BLOCK);

const TYPEFLAG: Record<EntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

const isAscii = (s: string) => /^[\x01-\x7f]*$/.test(s);
const asciiOf = (s: string) => s.replace(/[^\x01-\x7f]/g, '_');

function putString(block: Uint8Array, [off, len]: readonly [number, number], s: string): void {
  const b = encodeName(s);
  block.set(b.subarray(0, len), off);
}

/** Octal with a NUL terminator when it fits, else GNU base-256 (for non-negative integers). */
function putNumber(block: Uint8Array, [off, len]: readonly [number, number], v: number): void {
  const n = Math.max(0, Math.floor(v));
  const digits = n.toString(8);
  if (digits.length <= len - 1) {
    putString(block, [off, len], digits.padStart(len - 1, '0'));
    block[off + len - 1] = 0;
    return;
  }
  let x = n;
  for (let i = off + len - 1; i > off; i--) {
    block[i] = x % 256;
    x = Math.floor(x / 256);
  }
  block[off] = 0x80;
}

const fitsOctal = (v: number, len: number) => Number.isInteger(v) && v >= 0 && v < 8 ** (len - 1);

/** One "%d %s=%s\n" record; the length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = encodeName(body).length;
  const d = String(n).length;
  let len = n + d;
  if (String(len).length !== d) len = n + String(len).length;
  return `${len}${body}`;
}

function splitUstar(path: string): { name: string; prefix: string } | undefined {
  if (!isAscii(path)) return undefined;
  if (path.length <= 100) return { name: path, prefix: '' };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (name.length > 100) break;
    if (prefix.length <= 155 && name.length > 0) return { name, prefix };
  }
  return undefined;
}

function checkNumber(v: number | undefined, field: string, path: string): number {
  if (v === undefined) return 0;
  if (
    !Number.isFinite(v) ||
    (field !== 'mtime' && (v < 0 || !Number.isInteger(v))) ||
    Math.abs(v) > Number.MAX_SAFE_INTEGER
  ) {
    throw new TarError('TAR_WRITE', `bad ${field} ${v} for ${path}`, path);
  }
  return v;
}

function ustarBlock(fields: {
  name: string;
  prefix: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putString(b, F.name, fields.name);
  putNumber(b, F.mode, fields.mode);
  putNumber(b, F.uid, fields.uid);
  putNumber(b, F.gid, fields.gid);
  putNumber(b, F.size, fields.size);
  putNumber(b, F.mtime, fields.mtime);
  b[156] = fields.typeflag.charCodeAt(0);
  putString(b, F.linkname, fields.linkname);
  putString(b, F.magic, 'ustar'); // NUL-terminated by the zeroed block
  putString(b, F.version, '00');
  putString(b, F.uname, fields.uname);
  putString(b, F.gname, fields.gname);
  putNumber(b, F.devmajor, fields.devmajor);
  putNumber(b, F.devminor, fields.devminor);
  putString(b, F.prefix, fields.prefix);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  putString(b, F.chksum, sum.toString(8).padStart(6, '0'));
  b[154] = 0;
  b[155] = 0x20;
  return b;
}

/** The header block(s) of one entry: an optional PAX `x` header and its records, then ustar. */
export function encodeHeader(h: TarWriteHeader): Uint8Array {
  const type = h.type ?? 'file';
  const typeflag = TYPEFLAG[type];
  if (typeflag === undefined) throw new TarError('TAR_WRITE', `unknown entry type ${String(type)}`, h.path);
  if (h.path.includes('\0'))
    throw new TarError('TAR_WRITE', `path contains a NUL byte: ${JSON.stringify(h.path)}`, h.path);
  const size = type === 'file' ? checkNumber(h.size, 'size', h.path) : 0;
  const uid = checkNumber(h.uid, 'uid', h.path);
  const gid = checkNumber(h.gid, 'gid', h.path);
  const mtime = checkNumber(h.mtime, 'mtime', h.path);
  const mode = checkNumber(h.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644), 'mode', h.path);
  const devmajor = checkNumber(h.devmajor, 'devmajor', h.path);
  const devminor = checkNumber(h.devminor, 'devminor', h.path);

  // Directories carry a trailing slash, as GNU tar and Go write them.
  const path = type === 'dir' && h.path !== '' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
  const pax: Record<string, string> = {};
  const split = splitUstar(path);
  if (!split) pax.path = path;
  const linkname = h.linkname ?? '';
  if (!isAscii(linkname) || linkname.length > 100) pax.linkpath = linkname;
  const uname = h.uname ?? '';
  const gname = h.gname ?? '';
  if (!isAscii(uname) || uname.length > 32) pax.uname = uname;
  if (!isAscii(gname) || gname.length > 32) pax.gname = gname;
  if (!fitsOctal(size, 12)) pax.size = String(size);
  if (!fitsOctal(uid, 8)) pax.uid = String(uid);
  if (!fitsOctal(gid, 8)) pax.gid = String(gid);
  if (!fitsOctal(mtime, 12)) pax.mtime = String(mtime);
  for (const [k, v] of Object.entries(h.xattrs ?? {})) pax[`SCHILY.xattr.${k}`] = v;

  const main = ustarBlock({
    name: split ? split.name : asciiOf(path).slice(0, 100),
    prefix: split ? split.prefix : '',
    typeflag,
    mode,
    uid,
    gid,
    size,
    mtime,
    linkname: asciiOf(linkname).slice(0, 100),
    uname: asciiOf(uname).slice(0, 32),
    gname: asciiOf(gname).slice(0, 32),
    devmajor,
    devminor,
  });
  const keys = Object.keys(pax).sort();
  if (keys.length === 0) return main;

  const records = encodeName(keys.map((k) => paxRecord(k, pax[k]!)).join(''));
  const base = asciiOf(path.replace(/\/+$/, '').split('/').pop() ?? '');
  const paxHeader = ustarBlock({
    name: `PaxHeaders/${base}`.slice(0, 100),
    prefix: '',
    typeflag: 'x',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime,
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  });
  const out = new Uint8Array(BLOCK + records.length + padding(records.length) + BLOCK);
  out.set(paxHeader, 0);
  out.set(records, BLOCK);
  out.set(main, out.length - BLOCK);
  return out;
}

async function* bodyChunks(body: TarBody): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  if (typeof (body as ReadableStream).getReader === 'function') {
    const it = iteratorOf(body as ReadableStream<Uint8Array>);
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      await it.return?.();
    }
    return;
  }
  yield* body as AsyncIterable<Uint8Array>;
}

/** Chunks of a tar archive of these entries, ending with the end-of-archive marker. */
export async function* writeTar(
  entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const e of entries) {
    const type = e.type ?? 'file';
    let size = e.size;
    if (size === undefined) size = e.body instanceof Uint8Array ? e.body.length : 0;
    if (type !== 'file' && size !== 0) throw new TarError('TAR_WRITE', `${type} ${e.path} cannot have a body`, e.path);
    if (type === 'file' && e.body === undefined && size !== 0)
      throw new TarError('TAR_WRITE', `file ${e.path} declares ${size} bytes but has no body`, e.path);
    yield encodeHeader({ ...e, size });
    let written = 0;
    if (e.body !== undefined) {
      for await (const chunk of bodyChunks(e.body)) {
        if (chunk.length === 0) continue;
        written += chunk.length;
        if (written > size)
          throw new TarError('TAR_WRITE', `body of ${e.path} is longer than its declared ${size} bytes`, e.path);
        yield chunk;
      }
    }
    if (written !== size)
      throw new TarError('TAR_WRITE', `body of ${e.path} is ${written} bytes, declared ${size}`, e.path);
    const pad = padding(size);
    if (pad) yield new Uint8Array(pad);
  }
  yield END_OF_ARCHIVE;
}

export function tarStream(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>): ReadableStream<Uint8Array> {
  return streamOf(writeTar(entries));
}
