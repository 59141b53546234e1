/**
 * Tar header blocks → entries: ustar, GNU (`L`/`K` long names, base-256 numbers), PAX, old v7,
 * read as Go's archive/tar reads them (Docker, containerd and umoci use it):
 * - Consecutive PAX `x` headers: the last one wins, as in Go, GNU tar and bsdtar.
 * - PAX global `g` headers are read (bounded, parsed) but change no entry: Go hands them to the
 *   caller as entries of their own and Docker's extractor ignores them. Like Go, a `g` header
 *   also ends any pending `x`/`L`/`K` header.
 * - The ustar prefix field is joined to the name for ustar/pax headers (131 bytes for star
 *   headers, which end with `tar\0`), and for a GNU header whose atime/ctime fields do not
 *   parse as numbers while the prefix field is ASCII: pre-1.8 Go writers put a prefix there
 *   (Go's reader.go, "Prior to Go1.8, the Writer had a bug ...").
 * - Names are decoded losslessly (src/core/tar/names.ts).
 */
import type { EntryType, LayerEntry } from '../layer/entry.ts';
import { ByteReader } from './bytes.ts';
import { TarError } from './errors.ts';
import { BLOCK, F, MAX_SAFE, decodeUtf8, headerChecksums, isZeroBlock, padding, readString } from './format.ts';
import { parsePax, paxInt, paxTime, type Pax } from './pax.ts';

export interface HeaderLimits {
  maxPaxSize?: number;
  maxLongNameSize?: number;
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

const NO_PAX: Pax = Object.freeze({}) as Pax;

/** The directory prefix a header carries, as Go's reader finds it (see the top of this file). */
function prefixOf(block: Uint8Array, magic: string): string {
  if (magic === 'ustar' && block[262] === 0) {
    const star = block[508] === 0x74 && block[509] === 0x61 && block[510] === 0x72 && block[511] === 0;
    return readString(block, star ? [345, 131] : F.prefix);
  }
  if (magic === 'ustar ' && block[262] === 0x20 && block[263] === 0x20 && block[264] === 0) {
    // GNU: 345 atime[12], 357 ctime[12]. Both fields parse (or are unused): no prefix.
    if (octalOk(block, 345) && octalOk(block, 357)) return '';
    const s = readString(block, F.prefix);
    return /^[\x00-\x7f]*$/.test(s) ? s : '';
  }
  return '';
}

/** A GNU time field that Go's parseNumeric accepts: unused (first byte NUL), base-256, or octal
 * digits between NUL/space padding. */
function octalOk(block: Uint8Array, off: number): boolean {
  const b0 = block[off]!;
  if (b0 === 0 || b0 & 0x80) return true;
  let i = off;
  const end = off + 12;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let digits = 0;
  while (i < end && block[i]! >= 0x30 && block[i]! <= 0x37) {
    i++;
    digits++;
  }
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  return i === end && digits <= 21;
}

/** Reads header blocks (with their extension headers) one entry at a time. */
export class HeaderParser {
  private readonly maxPax: number;
  private readonly maxLong: number;
  private count = 0;
  /** Of the entry `next` returned last: its body's size and its first header block's offset. */
  bodySize = 0;
  headerOffset = 0;

  constructor(
    private readonly r: ByteReader,
    private readonly opts: HeaderLimits,
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
        // A later `x` header replaces an earlier one (Go's parsePAX result is assigned, not merged).
        pax = parsePax(await this.readSmall(size, maxPax, 'PAX extended header'));
        continue;
      }
      if (typeflag === 'g') {
        parsePax(await this.readSmall(size, maxPax, 'PAX global header'));
        pax = longName = longLink = undefined;
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

    // An empty value deletes the key (POSIX pax: "If the <value> field is zero length, it shall
    // delete …"): the field comes from the header block then.
    let ext: Pax = NO_PAX;
    if (pax !== undefined) {
      ext = pax;
      for (const k in ext) {
        if (ext[k] === '') delete ext[k];
        else if (k.startsWith('GNU.sparse.'))
          throw new TarError('TAR_UNSUPPORTED', `sparse files are not supported (${k})`);
      }
    }
    const magic = readString(block, F.magic);
    let rawPath = ext.path ?? longName;
    if (rawPath === undefined) {
      rawPath = readString(block, F.name);
      const prefix = prefixOf(block, magic);
      if (prefix !== '') rawPath = `${prefix}/${rawPath}`;
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
