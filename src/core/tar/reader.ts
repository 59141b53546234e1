/**
 * Streaming tar reader: ustar, GNU (`L`/`K` long names, base-256 numbers), PAX (`x`, `g`),
 * old v7. Chunks of any size; never holds a body in memory.
 *
 * Decisions:
 * - The root entry (`.`, `./`) is reported as path '' of type 'dir'.
 * - Hard link, symlink, device, dir and fifo entries have no body whatever their size field
 *   says (as Go's archive/tar, which Docker uses); their `size` is reported as 0.
 * - EOF exactly at a header boundary ends the archive (as Go's reader); EOF inside a header,
 *   a body or its padding is TAR_TRUNCATED. A zero block followed by EOF also ends it.
 * - Paths with a `..` component or a leading `/` are refused (TAR_PATH_ESCAPE), and so are
 *   hard-link targets; symlink targets are kept raw (they resolve inside the rootfs later).
 * - `mode` keeps the permission bits (& 0o7777); the file type comes from the typeflag.
 */
import type { EntryType, LayerEntry } from '../layer/entry.ts';
import { ByteReader, iteratorOf, streamOf, type ByteSource } from './bytes.ts';
import { TarError } from './errors.ts';
import { BLOCK, F, MAX_SAFE, decodeUtf8, headerChecksums, isZeroBlock, padding, readString } from './format.ts';

export interface TarHeader extends LayerEntry {
  /** Byte offset of the first header block of this entry (extension headers included). */
  headerOffset: number;
}

export interface TarEntry {
  readonly header: TarHeader;
  /** The body, once, as zero-copy pieces (views into the source chunks: copy to keep). Must be
   * read before asking the archive for the next entry; otherwise the rest is skipped. */
  body(): AsyncIterable<Uint8Array>;
  stream(): ReadableStream<Uint8Array>;
  /** The whole body, refused (TAR_LIMIT) if larger than maxBytes. */
  bytes(maxBytes?: number): Promise<Uint8Array>;
  /** Discards the body without buffering it. */
  skip(): Promise<void>;
}

export interface TarReadOptions {
  /** Largest PAX extended header (`x` or the accumulated `g`), default 1 MiB. */
  maxPaxSize?: number;
  /** Largest GNU long name / long link record, default 64 KiB. */
  maxLongNameSize?: number;
  /** Refuse archives with more entries (extension headers not counted). */
  maxEntries?: number;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_PAX_SIZE = 1 << 20;
export const DEFAULT_MAX_LONG_NAME_SIZE = 64 << 10;

/** `./a//b/` → `a/b`; '' for the root. Refuses `..` and absolute paths. */
// Anything normalization would change or refuse: `.`/`..` components, `//`, leading or
// trailing `/`, NUL. Most names match none of it and are returned as they are.
const SUSPECT = /(?:^|\/)\.\.?(?:\/|$)|\/\/|^\/|\/$|\0/;

export function normalizeTarPath(raw: string, what = 'path'): string {
  if (raw !== '' && !SUSPECT.test(raw)) return raw;
  if (raw.includes('\0'))
    throw new TarError('TAR_BAD_HEADER', `${what} contains a NUL byte: ${JSON.stringify(raw)}`, raw);
  if (raw.startsWith('/')) throw new TarError('TAR_PATH_ESCAPE', `absolute ${what} refused: ${raw}`, raw);
  const parts: string[] = [];
  for (const p of raw.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') throw new TarError('TAR_PATH_ESCAPE', `${what} escapes the root: ${raw}`, raw);
    parts.push(p);
  }
  return parts.join('/');
}

/** Octal (NUL/space padded) or GNU base-256 numeric field. Refuses garbage, negatives and
 * values above 2^53. */
export function parseNumeric(block: Uint8Array, [off, len]: readonly [number, number], field: string): number {
  const b0 = block[off]!;
  if (b0 & 0x80) {
    // GNU base-256: the top bit flags it, the next bit is the sign (two's complement).
    if (b0 & 0x40) throw new TarError('TAR_BAD_HEADER', `negative ${field} field`);
    let v = b0 & 0x3f;
    for (let i = 1; i < len; i++) {
      if (v > (MAX_SAFE - 255) / 256) throw new TarError('TAR_LIMIT', `${field} field exceeds 2^53`);
      v = v * 256 + block[off + i]!;
    }
    return v;
  }
  let i = off;
  const end = off + len;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let v = 0;
  while (i < end && block[i]! >= 0x30 && block[i]! <= 0x37) v = v * 8 + (block[i++]! - 0x30);
  for (; i < end; i++) {
    if (block[i] !== 0x20 && block[i] !== 0) {
      const raw = decodeUtf8(block.subarray(off, end)).replace(/\0/g, '\\0');
      throw new TarError('TAR_BAD_HEADER', `bad ${field} field: ${JSON.stringify(raw)}`);
    }
  }
  return v;
}

type Pax = Record<string, string>;

/** PAX records: "%d %s=%s\n", the length counting the whole record (POSIX pax, "pax Extended
 * Header"). */
export function parsePax(data: Uint8Array): Pax {
  const out: Pax = {};
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers NUL-pad the block
    let len = 0;
    let i = pos;
    while (i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39 && i - pos < 10)
      len = len * 10 + (data[i++]! - 0x30);
    if (
      i === pos ||
      data[i] !== 0x20 ||
      len <= i - pos + 1 ||
      pos + len > data.length ||
      data[pos + len - 1] !== 0x0a
    ) {
      throw new TarError('TAR_BAD_HEADER', `bad PAX record at byte ${pos} of the extended header`);
    }
    const rec = decodeUtf8(data.subarray(i + 1, pos + len - 1));
    const eq = rec.indexOf('=');
    if (eq <= 0) throw new TarError('TAR_BAD_HEADER', `bad PAX record (no key): ${JSON.stringify(rec.slice(0, 80))}`);
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

function paxInt(v: string, key: string): number {
  if (!/^\d{1,16}$/.test(v)) throw new TarError('TAR_BAD_HEADER', `bad PAX ${key}: ${JSON.stringify(v.slice(0, 40))}`);
  const n = Number(v);
  if (n > MAX_SAFE) throw new TarError('TAR_LIMIT', `PAX ${key} exceeds 2^53: ${v}`);
  return n;
}

function paxTime(v: string, key: string): number {
  if (!/^-?\d{1,16}(\.\d{0,12})?$/.test(v))
    throw new TarError('TAR_BAD_HEADER', `bad PAX ${key}: ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v);
}

const TYPEFLAG: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
  D: 'dir', // GNU incremental dumpdir: a directory whose body lists its contents
};

function paxSize(p: Pax): number {
  let n = 0;
  for (const k in p) n += k.length + p[k]!.length;
  return n;
}

const NO_PAX: Pax = Object.freeze({}) as Pax;

/** One entry's body state; methods on the prototype rather than closures per entry. */
class Entry implements TarEntry {
  remaining: number;
  started = false;
  done = false;
  constructor(
    readonly header: TarHeader,
    private readonly r: ByteReader,
    readonly bodySize: number,
  ) {
    this.remaining = bodySize;
  }

  private truncated(): TarError {
    return new TarError('TAR_TRUNCATED', `archive ends inside the body of ${this.header.path}`, this.header.path);
  }

  async *body(): AsyncGenerator<Uint8Array> {
    const path = this.header.path;
    if (this.started) throw new TarError('TAR_WRITE', `body of ${path} read twice`, path);
    this.started = true;
    while (this.remaining > 0) {
      if (this.done) throw new TarError('TAR_WRITE', `body of ${path} read after moving to the next entry`, path);
      const piece = await this.r.piece(this.remaining);
      if (piece.length === 0) throw this.truncated();
      this.remaining -= piece.length;
      yield piece;
    }
  }

  stream(): ReadableStream<Uint8Array> {
    return streamOf(this.body());
  }

  async bytes(maxBytes = Infinity): Promise<Uint8Array> {
    const path = this.header.path;
    if (this.bodySize > maxBytes)
      throw new TarError('TAR_LIMIT', `${path} is ${this.bodySize} bytes, more than ${maxBytes}`, path);
    const out = new Uint8Array(this.bodySize);
    let at = 0;
    for await (const p of this.body()) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  async skip(): Promise<void> {
    this.started = true;
    const n = this.remaining;
    if (!this.r.trySkip(n) && (await this.r.skip(n)) < n) throw this.truncated();
    this.remaining = 0;
  }

  /** After the consumer is done: the rest of the body and its padding. */
  async finish(): Promise<void> {
    this.started = true;
    const n = this.remaining + padding(this.bodySize);
    if (!this.r.trySkip(n) && (await this.r.skip(n)) < n) throw this.truncated();
    this.remaining = 0;
    this.done = true;
  }
}

/**
 * The entries of a tar stream. The source is cancelled if the consumer stops early or an error
 * is thrown, and left as it is after the end-of-archive marker (what follows is the caller's:
 * ingest hashes it into the diff_id).
 */
export async function* readTar(
  source: ByteSource,
  opts: TarReadOptions = {},
): AsyncGenerator<TarEntry, void, undefined> {
  const it = iteratorOf(source);
  let ended = false;
  try {
    yield* entries(it, opts);
    ended = true;
  } finally {
    if (!ended) await it.return?.().catch(() => {});
  }
}

/**
 * Every entry of a tar stream as its header, bodies skipped: what a layer index needs, without
 * an entry object and two generator hops per member. The same checks and limits as readTar;
 * like it, the source is cancelled on an error and left as it is after the end-of-archive
 * marker.
 */
export async function scanTar(
  source: ByteSource,
  opts: TarReadOptions,
  onEntry: (entry: LayerEntry) => void,
): Promise<void> {
  const it = iteratorOf(source);
  let ended = false;
  try {
    const r = new ByteReader(it);
    const headers = new HeaderParser(r, opts);
    for (let h = await headers.next(); h !== null; h = await headers.next()) {
      onEntry(h);
      const n = headers.bodySize + padding(headers.bodySize);
      if (!r.trySkip(n) && (await r.skip(n)) < n)
        throw new TarError('TAR_TRUNCATED', `archive ends inside the body of ${h.path}`, h.path);
    }
    ended = true;
  } finally {
    if (!ended) await it.return?.().catch(() => {});
  }
}

async function* entries(
  it: AsyncIterator<Uint8Array>,
  opts: TarReadOptions,
): AsyncGenerator<TarEntry, void, undefined> {
  const r = new ByteReader(it);
  const headers = new HeaderParser(r, opts);
  for (let h = await headers.next(); h !== null; h = await headers.next()) {
    const header = h as TarHeader;
    header.headerOffset = headers.headerOffset;
    const entry = new Entry(header, r, headers.bodySize);
    yield entry;
    await entry.finish();
  }
}

/** Reads header blocks (with their extension headers) one entry at a time. */
class HeaderParser {
  private readonly maxPax: number;
  private readonly maxLong: number;
  private globalPax: Pax = NO_PAX;
  private count = 0;
  /** Of the entry `next` returned last: its body's size and its first header block's offset. */
  bodySize = 0;
  headerOffset = 0;

  constructor(
    private readonly r: ByteReader,
    private readonly opts: TarReadOptions,
  ) {
    this.maxPax = opts.maxPaxSize ?? DEFAULT_MAX_PAX_SIZE;
    this.maxLong = opts.maxLongNameSize ?? DEFAULT_MAX_LONG_NAME_SIZE;
  }

  /** A whole small body (extension headers), bounded before reading. */
  private async readSmall(size: number, limit: number, what: string): Promise<Uint8Array> {
    const r = this.r;
    if (size > limit) throw new TarError('TAR_LIMIT', `${what} of ${size} bytes exceeds the limit of ${limit}`);
    const data = r.tryRead(size) ?? (await r.read(size));
    const pad = padding(size);
    if (data.length < size || (!r.trySkip(pad) && (await r.skip(pad)) < pad))
      throw new TarError('TAR_TRUNCATED', `archive ends inside a ${what}`);
    return data.slice(); // the view may alias a source chunk
  }

  /** The next entry's header (the reader then stands at its body), or null at the end. */
  async next(): Promise<LayerEntry | null> {
    const { r, opts, maxPax, maxLong } = this;
    let pax: Pax | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    let headerOffset = r.offset;
    let block: Uint8Array;
    let typeflag: string;
    let size: number;
    for (;;) {
      opts.signal?.throwIfAborted();
      const at = r.offset;
      block = r.tryRead(BLOCK) ?? (await r.read(BLOCK));
      const pending = pax !== undefined || longName !== undefined || longLink !== undefined;
      if (block.length === 0) {
        if (pending) throw new TarError('TAR_TRUNCATED', 'archive ends after an extension header, before its entry');
        return null;
      }
      if (block.length < BLOCK) throw new TarError('TAR_TRUNCATED', `archive ends inside a header at byte ${at}`);
      if (isZeroBlock(block)) {
        if (pending)
          throw new TarError('TAR_BAD_HEADER', `end-of-archive marker right after an extension header at byte ${at}`);
        const second = await r.read(BLOCK);
        if (second.length === 0 || (second.length === BLOCK && isZeroBlock(second))) return null;
        if (second.length < BLOCK)
          throw new TarError('TAR_TRUNCATED', `archive ends inside a header at byte ${at + BLOCK}`);
        throw new TarError('TAR_BAD_HEADER', `a zero block followed by a non-zero block at byte ${at}`);
      }
      const stored = parseNumeric(block, F.chksum, 'checksum');
      const sums = headerChecksums(block);
      if (stored !== sums.unsigned && stored !== sums.signed) {
        throw new TarError(
          'TAR_BAD_CHECKSUM',
          `header checksum mismatch at byte ${at} (name ${JSON.stringify(readString(block, F.name))})`,
        );
      }
      typeflag = String.fromCharCode(block[156]!);
      size = parseNumeric(block, F.size, 'size');
      if (size > MAX_SAFE) throw new TarError('TAR_LIMIT', `size exceeds 2^53 at byte ${at}`);
      if (!pending) headerOffset = at;
      if (typeflag === 'x') {
        const recs = parsePax(await this.readSmall(size, maxPax, 'PAX extended header'));
        pax = pax ? { ...pax, ...recs } : recs;
        continue;
      }
      if (typeflag === 'g') {
        this.globalPax = { ...this.globalPax, ...parsePax(await this.readSmall(size, maxPax, 'PAX global header')) };
        if (paxSize(this.globalPax) > maxPax)
          throw new TarError('TAR_LIMIT', `PAX global headers exceed the limit of ${maxPax} bytes`);
        continue;
      }
      if (typeflag === 'L' || typeflag === 'K') {
        const data = await this.readSmall(size, maxLong, typeflag === 'L' ? 'GNU long name' : 'GNU long link');
        const nul = data.indexOf(0);
        const s = decodeUtf8(nul < 0 ? data : data.subarray(0, nul));
        if (typeflag === 'L') longName = s;
        else longLink = s;
        continue;
      }
      if (typeflag === 'V') {
        // GNU volume label: not a file.
        if ((await r.skip(size + padding(size))) < size + padding(size))
          throw new TarError('TAR_TRUNCATED', 'archive ends inside a volume label');
        continue;
      }
      break;
    }

    // Effective extended attributes: global then per-entry; an empty value deletes the key
    // (POSIX pax: "If the <value> field is zero length, it shall delete …").
    let ext: Pax = NO_PAX;
    const globalPax = this.globalPax;
    if (pax !== undefined || globalPax !== NO_PAX) {
      ext = globalPax === NO_PAX ? pax! : { ...globalPax, ...(pax ?? NO_PAX) };
      for (const k in ext) {
        if (ext[k] === '') delete ext[k];
        else if (k.startsWith('GNU.sparse.'))
          throw new TarError('TAR_UNSUPPORTED', `sparse files are not supported (${k})`);
      }
    }

    const magic = readString(block, F.magic);
    const isPosixUstar = magic === 'ustar' && block[262] === 0;
    let rawPath = ext.path ?? longName;
    if (rawPath === undefined) {
      rawPath = readString(block, F.name);
      if (isPosixUstar && block[345] !== 0) rawPath = `${readString(block, F.prefix)}/${rawPath}`;
    }
    let type = TYPEFLAG[typeflag];
    if (type === undefined) {
      const shown =
        typeflag === 'S' ? 'S (GNU sparse)' : typeflag === 'M' ? 'M (multi-volume)' : JSON.stringify(typeflag);
      throw new TarError('TAR_UNSUPPORTED', `unsupported entry type ${shown} for ${rawPath}`, rawPath);
    }
    // Old v7 archives mark directories with a trailing slash on a regular-file entry.
    if (typeflag === '\0' && rawPath.endsWith('/')) type = 'dir';

    const path = normalizeTarPath(rawPath);
    if (path === '' && type !== 'dir')
      throw new TarError('TAR_BAD_HEADER', `entry of type ${type} has an empty path`, rawPath);

    if (ext.size !== undefined) size = paxInt(ext.size, 'size');
    const hasBody = type === 'file' || typeflag === 'D';
    const bodySize = hasBody ? size : 0;

    const header: LayerEntry = {
      path,
      type,
      mode: parseNumeric(block, F.mode, 'mode') & 0o7777,
      uid: ext.uid !== undefined ? paxInt(ext.uid, 'uid') : parseNumeric(block, F.uid, 'uid'),
      gid: ext.gid !== undefined ? paxInt(ext.gid, 'gid') : parseNumeric(block, F.gid, 'gid'),
      size: type === 'file' ? size : 0,
      mtime: ext.mtime !== undefined ? paxTime(ext.mtime, 'mtime') : parseNumeric(block, F.mtime, 'mtime'),
      offset: r.offset,
    };
    if (type === 'symlink' || type === 'hardlink') {
      const rawLink = ext.linkpath ?? longLink ?? readString(block, F.linkname);
      if (type === 'hardlink') {
        const target = normalizeTarPath(rawLink, `hard link target of ${path}`);
        if (target === '') throw new TarError('TAR_BAD_HEADER', `hard link ${path} has an empty target`, path);
        header.linkname = target;
      } else {
        if (rawLink.includes('\0'))
          throw new TarError('TAR_BAD_HEADER', `symlink target of ${path} contains a NUL byte`, path);
        header.linkname = rawLink;
      }
    }
    const hasNames = magic.startsWith('ustar');
    const uname = ext.uname ?? (hasNames && block[265] !== 0 ? readString(block, F.uname) : '');
    const gname = ext.gname ?? (hasNames && block[297] !== 0 ? readString(block, F.gname) : '');
    if (uname) header.uname = uname;
    if (gname) header.gname = gname;
    if (type === 'char' || type === 'block') {
      header.devmajor = parseNumeric(block, F.devmajor, 'devmajor');
      header.devminor = parseNumeric(block, F.devminor, 'devminor');
    }
    if (ext !== NO_PAX) {
      for (const k in ext) {
        if (k.startsWith('SCHILY.xattr.')) (header.xattrs ??= {})[k.slice('SCHILY.xattr.'.length)] = ext[k]!;
      }
    }

    if (opts.maxEntries !== undefined && ++this.count > opts.maxEntries) {
      throw new TarError('TAR_LIMIT', `archive has more than ${opts.maxEntries} entries`, path);
    }

    this.bodySize = bodySize;
    this.headerOffset = headerOffset;
    return header;
  }
}
