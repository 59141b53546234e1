/**
 * A streaming gzip/raw-deflate decoder (RFC 1951, RFC 1952) that knows where it is, to the bit:
 * it reports every deflate block boundary (compressed bit offset, output offset) and can start
 * again at such a boundary with the 32 KiB of output before it as its dictionary. That is what
 * random access into a gzip layer needs (zlib's examples/zran.c does the same with Z_BLOCK and
 * inflatePrime/inflateSetDictionary); fflate's and the platform's decoders do not expose block
 * boundaries, so the peek pass decodes with this one (README, "Peek", says why not pako).
 *
 * Decoding is done in units that are committed whole: a block header (dynamic tables
 * included), one literal, one length/distance pair, a piece of a stored block. When the input
 * ends inside a unit, the unit is rolled back and waits for the next `push` (reads past the
 * buffer yield zeros in JS, so a unit never faults, and its end is checked before it commits).
 * CRC-32 of gzip members is not checked: every caller verifies a SHA-256 over the output
 * (the layer's diff_id while indexing, the file's own hash when reading one).
 */
import { CompressionError } from '../compression-error.ts';

/** Where a deflate block starts: enough to start decoding there again. */
export interface BlockBoundary {
  /** Absolute bit offset in the compressed stream. */
  inBit: number;
  /** Bytes of output before this block. */
  out: number;
  /** True at the start of a gzip member (its header): no dictionary is needed there. */
  member: boolean;
}

export interface InflaterOptions {
  /** 'gzip' (default): gzip members, one after another; 'deflate': start inside a member's raw
   * deflate data at a block boundary, then go on through the members that follow. */
  start?: 'gzip' | 'deflate';
  /** With start 'deflate': bits to skip in the first byte (the boundary's inBit & 7). */
  skipBits?: number;
  /** With start 'deflate': the up to 32 KiB of output before the boundary. */
  dictionary?: Uint8Array;
  /** Absolute compressed offset (bytes) of the first byte pushed, for reported boundaries. */
  inOffset?: number;
  /** Absolute output offset of the first byte produced. */
  outOffset?: number;
  /** Called at every block boundary and member start, before the block is read. */
  onBoundary?: (b: BlockBoundary) => void;
  /** Called for each length/distance pair whose output starts before `watchUntil` (an
   * absolute output offset, set between blocks): `out` is where the copy goes. The peek pass
   * uses it to learn which bytes of a checkpoint's window are ever read. */
  onMatch?: (out: number, dist: number, len: number) => void;
  /** Largest gzip header (FEXTRA, FNAME, FCOMMENT); default 1 MiB. */
  maxHeader?: number;
}

const WSIZE = 32768;
const OUT_CHUNK = 1 << 18;

// RFC 1951 §3.2.5
const LEN_BASE = new Uint16Array([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
]);
const LEN_EXTRA = new Uint8Array([
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
]);
const DIST_BASE = new Uint16Array([
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
]);
const DIST_EXTRA = new Uint8Array([
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]);
// §3.2.7: order of the code length code lengths
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

function corrupt(msg: string): CompressionError {
  return new CompressionError('COMPRESSION_CORRUPT', `gzip: ${msg}`);
}

/** A decoding table: entry = symbol << 4 | code length, indexed by the next `bits` input bits
 * (LSB first). An entry of 0 is a code that does not exist. */
interface Table {
  map: Uint16Array;
  bits: number;
}

function buildTable(lengths: Uint8Array, n: number, what: string, allowIncomplete: boolean, fixed = false): Table {
  const count = new Uint16Array(16);
  let maxLen = 0;
  for (let i = 0; i < n; i++) {
    const l = lengths[i]!;
    count[l]!++;
    if (l > maxLen) maxLen = l;
  }
  count[0] = 0;
  // Kraft: refuse over-subscribed codes; incomplete ones as zlib's inflate_table does: only a
  // literal/length or distance code whose one code is 1 bit long (or a distance code of none).
  let left = 1;
  for (let l = 1; l <= 15; l++) {
    left = (left << 1) - count[l]!;
    if (left < 0) throw corrupt(`over-subscribed ${what} code`);
  }
  if (left > 0 && maxLen > 0 && !fixed && !(allowIncomplete && maxLen === 1)) throw corrupt(`incomplete ${what} code`);
  const bits = Math.max(maxLen, 1);
  const map = new Uint16Array(1 << bits);
  const next = new Uint16Array(16);
  for (let l = 1, code = 0; l <= 15; l++) {
    next[l] = code;
    code = (code + count[l]!) << 1;
  }
  for (let sym = 0; sym < n; sym++) {
    const l = lengths[sym]!;
    if (l === 0) continue;
    const code = next[l]!++;
    // reverse l bits
    let r = 0;
    for (let k = 0, c = code; k < l; k++, c >>= 1) r = (r << 1) | (c & 1);
    const entry = (sym << 4) | l;
    for (let j = r; j < map.length; j += 1 << l) map[j] = entry;
  }
  return { map, bits };
}

const FIXED_LIT = (() => {
  const l = new Uint8Array(288);
  l.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
  return buildTable(l, 288, 'literal/length', false);
})();
const FIXED_DIST = (() => {
  const l = new Uint8Array(30).fill(5);
  return buildTable(l, 30, 'distance', true, true);
})();

/** At least 25 bits from bit position p (LSB first); bytes past the end read as 0. Every read
 * here takes at most 15 bits. */
function bits32(b: Uint8Array, p: number): number {
  const o = p >>> 3;
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> (p & 7);
}

type Mode = 'header' | 'block' | 'stored' | 'huff' | 'trailer' | 'end';

export class Inflater {
  private buf: Uint8Array = new Uint8Array(0);
  /** Absolute byte offset of buf[0]. */
  private base: number;
  /** Bit position in buf. */
  private pos = 0;
  private mode: Mode;
  private final = false;
  private storedLeft = 0;
  private lit: Table = FIXED_LIT;
  private dist: Table = FIXED_DIST;
  private out: Uint8Array;
  private opos: number;
  private emitFrom: number;
  /** Output bytes before out[0]. */
  private outBase: number;
  /** Output bytes of the current member, when it was read from its header (ISIZE check). */
  private memberOut = 0;
  private memberKnown: boolean;
  private pieces: Uint8Array[] = [];
  private readonly onBoundary: ((b: BlockBoundary) => void) | undefined;
  private readonly onMatch: ((out: number, dist: number, len: number) => void) | undefined;
  /** Absolute output offset before which matches go to onMatch. */
  watchUntil = -Infinity;
  private readonly maxHeader: number;
  private members = 0;
  /** The last boundary reported (a unit that waits for input is not reported twice). */
  private reported = -1;

  constructor(opts: InflaterOptions = {}) {
    this.base = opts.inOffset ?? 0;
    this.onBoundary = opts.onBoundary;
    this.onMatch = opts.onMatch;
    this.maxHeader = opts.maxHeader ?? 1 << 20;
    this.out = new Uint8Array(WSIZE + OUT_CHUNK + 512);
    const dict = opts.dictionary;
    let dl = 0;
    if (dict && dict.length) {
      dl = Math.min(dict.length, WSIZE);
      this.out.set(dict.subarray(dict.length - dl), 0);
    }
    this.opos = dl;
    this.emitFrom = dl;
    this.outBase = (opts.outOffset ?? 0) - dl;
    if ((opts.start ?? 'gzip') === 'deflate') {
      this.mode = 'block';
      this.pos = opts.skipBits ?? 0;
      this.memberKnown = false;
    } else {
      this.mode = 'header';
      this.memberKnown = true;
    }
  }

  /** Output bytes produced so far, as an absolute offset. */
  get total(): number {
    return this.outBase + this.opos;
  }

  /** Compressed bytes consumed so far (whole bytes), as an absolute offset. */
  get consumed(): number {
    return this.base + (this.pos >>> 3);
  }

  /** True once the stream ended after a complete member and no more input came. */
  get atEnd(): boolean {
    return this.mode === 'end';
  }

  /** The up to 32 KiB of output before the current position (a copy). */
  window(): Uint8Array {
    return this.out.slice(Math.max(0, this.opos - WSIZE), this.opos);
  }

  /**
   * Decodes what `chunk` completes. `final`: no more input follows, the stream must end at a
   * member's end. `stopAt`: stop once this absolute output offset is reached (reading one file).
   * Returns the output pieces (copies).
   */
  push(chunk: Uint8Array, final = false, stopAt = Infinity): Uint8Array[] {
    // Join the unconsumed tail (kept as a copy) and the new chunk.
    if (chunk.length) {
      const used = this.pos >>> 3;
      const tail = this.buf.length - used;
      if (tail <= 0) {
        this.base += this.buf.length;
        this.pos -= this.buf.length * 8;
        this.buf = chunk;
      } else {
        const b = new Uint8Array(tail + chunk.length);
        b.set(this.buf.subarray(used), 0);
        b.set(chunk, tail);
        this.base += used;
        this.pos -= used * 8;
        this.buf = b;
      }
    }
    this.run(final, stopAt);
    this.emit();
    // Keep only the unconsumed tail, as our own copy (the caller may reuse its chunk).
    const used = this.pos >>> 3;
    if (used > 0 || this.buf === chunk) {
      this.buf = this.buf.slice(Math.min(used, this.buf.length));
      this.base += used;
      this.pos &= 7;
      if (this.buf.length === 0 && this.pos > 0) {
        // cannot happen: a partial byte is always still in buf
        this.pos = 0;
      }
    }
    const p = this.pieces;
    this.pieces = [];
    if (final && this.total < stopAt && this.mode !== 'end' && !(this.mode === 'header' && this.availBits() === 0)) {
      throw corrupt('stream ends inside a deflate stream (truncated)');
    }
    return p;
  }

  private report(member: boolean): void {
    const inBit = this.base * 8 + this.pos;
    if (!this.onBoundary || inBit === this.reported) return;
    this.reported = inBit;
    this.onBoundary({ inBit, out: this.total, member });
  }

  private availBits(): number {
    return this.buf.length * 8 - this.pos;
  }

  private emit(): void {
    if (this.opos > this.emitFrom) this.pieces.push(this.out.slice(this.emitFrom, this.opos));
    this.emitFrom = this.opos;
  }

  /** Makes room for at least 258 more output bytes, keeping the 32 KiB window. */
  private room(): void {
    if (this.opos + 258 <= this.out.length) return;
    this.emit();
    const keep = Math.min(WSIZE, this.opos);
    this.out.copyWithin(0, this.opos - keep, this.opos);
    this.outBase += this.opos - keep;
    this.opos = keep;
    this.emitFrom = keep;
  }

  private run(final: boolean, stopAt: number): void {
    const end = (): number => this.buf.length * 8;
    for (;;) {
      if (this.total >= stopAt) return;
      switch (this.mode) {
        case 'end':
          // More input after a member: another member (multi-member gzip), else done.
          if (this.pos < end()) {
            this.mode = 'header';
            continue;
          }
          return;
        case 'header': {
          if (this.pos >= end()) {
            if (final && this.members === 0) throw corrupt('empty stream');
            this.mode = this.members > 0 ? 'end' : 'header';
            return;
          }
          this.report(true);
          const p = this.header();
          if (p < 0) {
            if (final) throw corrupt('stream ends inside a gzip header');
            return;
          }
          this.pos = p;
          this.members++;
          this.memberOut = 0;
          this.memberKnown = true;
          this.mode = 'block';
          continue;
        }
        case 'block': {
          if (this.pos + 3 > end()) {
            if (final) throw corrupt('stream ends before a deflate block');
            return;
          }
          this.report(false);
          if (!this.blockHeader()) {
            if (final) throw corrupt('stream ends inside a deflate block header');
            return;
          }
          continue;
        }
        case 'stored': {
          const avail = (end() - this.pos) >>> 3;
          if (this.storedLeft === 0) {
            this.mode = this.final ? 'trailer' : 'block';
            continue;
          }
          if (avail === 0) {
            if (final) throw corrupt('stream ends inside a stored block');
            return;
          }
          this.room();
          const n = Math.min(this.storedLeft, avail, this.out.length - this.opos, stopAt - this.total);
          const at = this.pos >>> 3;
          this.out.set(this.buf.subarray(at, at + n), this.opos);
          this.opos += n;
          this.memberOut += n;
          this.pos += n * 8;
          this.storedLeft -= n;
          continue;
        }
        case 'huff':
          if (!this.huffman(final, stopAt)) return;
          continue;
        case 'trailer': {
          const p = (this.pos + 7) & ~7;
          if (p + 64 > end()) {
            if (final) throw corrupt('stream ends inside a gzip trailer');
            return;
          }
          const o = p >>> 3;
          const b = this.buf;
          const isize = (b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24)) >>> 0;
          if (this.memberKnown && isize !== this.memberOut % 2 ** 32)
            throw corrupt('size in the trailer does not match');
          this.pos = p + 64;
          this.mode = 'end';
          continue;
        }
      }
    }
  }

  /** Parses a gzip member header at pos; returns the bit position after it, or -1 if the
   * input ends inside it. */
  private header(): number {
    const b = this.buf;
    let o = (this.pos + 7) >>> 3;
    const need = (n: number): boolean => o + n <= b.length;
    if (!need(10)) return -1;
    if (b[o] !== 0x1f || b[o + 1] !== 0x8b) throw corrupt('not a gzip member (bad magic)');
    if (b[o + 2] !== 8) throw corrupt(`unknown compression method ${b[o + 2]}`);
    const flg = b[o + 3]!;
    if (flg & 0xe0) throw corrupt('reserved header flags set');
    const start = o;
    o += 10;
    if (flg & 4) {
      if (!need(2)) return -1;
      const xlen = b[o]! | (b[o + 1]! << 8);
      o += 2;
      if (!need(xlen)) return this.tooLong(o + xlen - start);
      o += xlen;
    }
    for (const bit of [8, 16]) {
      if (flg & bit) {
        while (o < b.length && b[o] !== 0) o++;
        if (o >= b.length) return this.tooLong(o - start);
        o++;
      }
    }
    if (flg & 2) {
      if (!need(2)) return -1;
      o += 2;
    }
    return o * 8;
  }

  private tooLong(n: number): number {
    if (n > this.maxHeader) throw corrupt(`gzip header longer than ${this.maxHeader} bytes`);
    return -1;
  }

  /** Reads a block header (and its code tables); false when the input ends inside it. */
  private blockHeader(): boolean {
    const b = this.buf;
    let p = this.pos;
    const h = bits32(b, p);
    const bfinal = h & 1;
    const btype = (h >>> 1) & 3;
    p += 3;
    if (btype === 0) {
      p = (p + 7) & ~7;
      if (p + 32 > b.length * 8) return false;
      const o = p >>> 3;
      const len = b[o]! | (b[o + 1]! << 8);
      const nlen = b[o + 2]! | (b[o + 3]! << 8);
      if ((len ^ 0xffff) !== nlen) throw corrupt('stored block length check failed');
      this.pos = p + 32;
      this.storedLeft = len;
      this.final = bfinal === 1;
      this.mode = 'stored';
      return true;
    }
    if (btype === 1) {
      this.pos = p;
      this.lit = FIXED_LIT;
      this.dist = FIXED_DIST;
      this.final = bfinal === 1;
      this.mode = 'huff';
      return true;
    }
    if (btype === 3) throw corrupt('invalid block type');
    // Dynamic (§3.2.7). Reads past the input's end see zeros, which may look like an error:
    // an error found there means "wait for more input".
    const at = { p };
    try {
      return this.dynamicHeader(b, at, bfinal);
    } catch (e) {
      if (e instanceof CompressionError && at.p + 16 > b.length * 8) return false;
      throw e;
    }
  }

  private dynamicHeader(b: Uint8Array, at: { p: number }, bfinal: number): boolean {
    let p = at.p;
    const v = bits32(b, p);
    const hlit = (v & 31) + 257;
    const hdist = ((v >>> 5) & 31) + 1;
    const hclen = ((v >>> 10) & 15) + 4;
    p += 14;
    if (hlit > 286) throw corrupt('too many length codes');
    const clLens = new Uint8Array(19);
    for (let i = 0; i < hclen; i++) {
      clLens[CL_ORDER[i]!] = bits32(b, p) & 7;
      p += 3;
    }
    at.p = p;
    if (p > b.length * 8) return false;
    const cl = buildTable(clLens, 19, 'code length', false);
    const lens = new Uint8Array(hlit + hdist);
    const clMask = (1 << cl.bits) - 1;
    for (let i = 0; i < hlit + hdist;) {
      at.p = p;
      if (p > b.length * 8) return false;
      const e = cl.map[bits32(b, p) & clMask]!;
      if (e === 0) {
        if (p + 7 > b.length * 8) return false;
        throw corrupt('invalid code length code');
      }
      p += e & 15;
      const sym = e >>> 4;
      if (sym < 16) {
        lens[i++] = sym;
        continue;
      }
      let rep: number;
      let val = 0;
      const x = bits32(b, p);
      if (sym === 16) {
        if (i === 0) throw corrupt('repeat with no previous length');
        val = lens[i - 1]!;
        rep = 3 + (x & 3);
        p += 2;
      } else if (sym === 17) {
        rep = 3 + (x & 7);
        p += 3;
      } else {
        rep = 11 + (x & 127);
        p += 7;
      }
      at.p = p;
      if (p > b.length * 8) return false;
      if (i + rep > hlit + hdist) throw corrupt('code lengths overflow');
      lens.fill(val, i, i + rep);
      i += rep;
    }
    if (p > b.length * 8) return false;
    if (lens[256] === 0) throw corrupt('no end-of-block code');
    this.lit = buildTable(lens.subarray(0, hlit), hlit, 'literal/length', true);
    this.dist = buildTable(lens.subarray(hlit), hdist, 'distance', true);
    this.pos = p;
    this.final = bfinal === 1;
    this.mode = 'huff';
    return true;
  }

  /** Decodes symbols until the block ends (true) or the input runs out (false). */
  private huffman(final: boolean, stopAt: number): boolean {
    const b = this.buf;
    const endBits = b.length * 8;
    const lmap = this.lit.map;
    const lmask = (1 << this.lit.bits) - 1;
    const dmap = this.dist.map;
    const dmask = (1 << this.dist.bits) - 1;
    let pos = this.pos;
    let out = this.out;
    let opos = this.opos;
    const limit = stopAt - this.outBase; // stop when opos reaches this
    const onMatch = this.onMatch;
    let watch = onMatch ? this.watchUntil - this.outBase : -Infinity; // relative to out[0]
    let memberOut = this.memberOut;
    try {
      for (;;) {
        if (opos >= limit) return false;
        if (opos + 258 > out.length) {
          this.opos = opos;
          this.room();
          out = this.out;
          opos = this.opos;
          if (onMatch) watch = this.watchUntil - this.outBase;
        }
        const start = pos;
        const e = lmap[bits32(b, pos) & lmask]!;
        if (e === 0) {
          if (pos + 15 > endBits) break; // may be the zeros past the input's end
          throw corrupt('invalid literal/length code');
        }
        pos += e & 15;
        const sym = e >>> 4;
        if (sym < 256) {
          if (pos > endBits) {
            pos = start;
            break;
          }
          out[opos++] = sym;
          memberOut++;
          continue;
        }
        if (sym === 256) {
          if (pos > endBits) {
            pos = start;
            break;
          }
          this.mode = this.final ? 'trailer' : 'block';
          this.pos = pos;
          this.opos = opos;
          this.memberOut = memberOut;
          return true;
        }
        const li = sym - 257;
        if (li >= 29) throw corrupt('invalid length symbol');
        const le = LEN_EXTRA[li]!;
        const len = LEN_BASE[li]! + (bits32(b, pos) & ((1 << le) - 1));
        pos += le;
        const d = dmap[bits32(b, pos) & dmask]!;
        if (d === 0) {
          if (pos + 15 > endBits) {
            pos = start;
            break;
          }
          throw corrupt('invalid distance code');
        }
        pos += d & 15;
        const ds = d >>> 4;
        if (ds >= 30) throw corrupt('invalid distance symbol');
        const de = DIST_EXTRA[ds]!;
        const dist = DIST_BASE[ds]! + (bits32(b, pos) & ((1 << de) - 1));
        pos += de;
        if (pos > endBits) {
          pos = start;
          break;
        }
        if (dist > opos) throw corrupt('distance too far back');
        if (opos < watch) onMatch!(opos + this.outBase, dist, len);
        let from = opos - dist;
        const stop = opos + len;
        if (dist >= len) {
          out.copyWithin(opos, from, from + len);
          opos = stop;
        } else {
          while (opos < stop) out[opos++] = out[from++]!;
        }
        memberOut += len;
      }
    } finally {
      this.pos = pos;
      this.opos = opos;
      this.memberOut = memberOut;
    }
    if (final) throw corrupt('stream ends inside a deflate block');
    return false;
  }
}
