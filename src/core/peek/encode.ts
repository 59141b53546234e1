/**
 * A peeked layer as stored: its figures in plain fields, and everything else (the entry index
 * in the layerIndex format of layer/entry.ts, the file hashes, the access points and the
 * checkpoint windows) packed into one deflated byte array.
 *
 * Version 2 packs columns for deflate before deflating them: integer columns as zigzag varints
 * of the difference from a prediction (the previous value; for a tar offset, the previous
 * entry's offset plus its 512-rounded body plus one header block, so a plain ustar entry costs
 * one zero byte), strings front-coded against the string before them (paths in tar order share
 * long prefixes), access points as varint deltas with the window number implied by order, and
 * file hashes without the empty files' (implied by size 0) and with repeats referenced, not
 * repeated. Version 1 records (raw typed arrays) still decode.
 */
import { deflateSync, inflateSync } from 'fflate';
import type { Compression } from '../compression.ts';
import type { Digest } from '../digest.ts';
import { decodeLayerIndex, encodeLayerIndex, type EncodedLayerIndex } from '../layer/entry.ts';
import { LayerError } from '../layer/errors.ts';
import type { EstargzToc } from './estargz.ts';
import type { AccessPoint, PeekLayer } from './index-layer.ts';

const PEEK_INDEX_VERSION = 2;

export interface StoredPeekLayer {
  version: 1 | 2;
  digest: Digest;
  diffId: Digest;
  compression: Compression;
  compressedSize: number;
  uncompressedSize: number;
  size: number;
  entryCount: number;
  checkpointCount: number;
  /** Indexed from an eStargz table of contents (no pass over the layer). */
  lazy?: 'estargz' | 'zstd:chunked';
  /** Deflated: see packParts. */
  packed: Uint8Array;
}

type ArrayName = Exclude<keyof EncodedLayerIndex, 'version' | 'count' | 'strings'>;
const INDEX_ARRAYS: ArrayName[] = [
  'path',
  'type',
  'mode',
  'uid',
  'gid',
  'size',
  'mtime',
  'offset',
  'linkname',
  'uname',
  'gname',
  'devmajor',
  'devminor',
  'xattrs',
];
const KINDS = { Int32Array, Uint8Array, Uint32Array, Float64Array } as const;
type Kind = keyof typeof KINDS;

interface Part {
  name: string;
  /** A typed array's bytes, or 'varint': zigzag varints of differences (see intColumn). */
  kind: Kind | 'varint';
  /** For 'varint': the length of its move-to-front list (0: none). */
  recent?: number;
  /** For 'varint': the typed array it decodes to. */
  as?: Kind;
  bytes: number;
}

/** Largest inflated pack accepted (a stored record is ours, but bound it anyway). */
const MAX_PACK = 1 << 30;
/** Differences beyond this are not varint-coded (zigzag doubles them; 2^53 is exact). */
const VARINT_LIMIT = 2 ** 51;
/** SHA-256 of no bytes: the hash of every empty file, implied by its size. */
const EMPTY_SHA256 = hexToBytes('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

class VarWriter {
  private buf = new Uint8Array(4096);
  private n = 0;
  /** A non-negative safe integer. */
  u(v: number): void {
    while (v >= 128) {
      this.byte((v % 128) + 128);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }
  private byte(b: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = b;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

class VarReader {
  private at = 0;
  constructor(
    private readonly b: Uint8Array,
    private readonly name: string,
  ) {}
  u(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (this.at >= this.b.length) throw bad(`${this.name} ends early`);
      const x = this.b[this.at++]!;
      v += (x & 127) * mul;
      if (x < 128) return v;
      mul *= 128;
      if (mul > 2 ** 56) throw bad(`${this.name} has an overlong number`);
    }
  }
  get done(): boolean {
    return this.at === this.b.length;
  }
}

const zig = (d: number): number => (d >= 0 ? d * 2 : -d * 2 - 1);
const unzig = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** Predicts value i from the previous non-NaN value (and from columns decoded before it). */
type Predict = (i: number, prev: number) => number;
const previous: Predict = (_i, prev) => prev;

/** A move-to-front list of the last values seen: a column whose values recur out of order
 * (mtimes: a few hundred of them, changing at nearly every entry) codes a recent value as its
 * small rank instead of a difference. */
class Recent {
  private readonly list: number[] = [];
  constructor(private readonly max: number) {}
  rank(v: number): number {
    return this.list.indexOf(v);
  }
  at(k: number): number | undefined {
    return this.list[k];
  }
  use(v: number, k: number): void {
    if (k >= 0) this.list.splice(k, 1);
    this.list.unshift(v);
    if (this.list.length > this.max) this.list.pop();
  }
}

/** Each value as varint(0) for NaN, varint(1) for a value that is not a safe integer (a pax
 * mtime with a fraction; its float64 goes to `extra`), else varint(zigzag(value − prediction) + 2).
 * With `recent` > 0: a value among the last `recent` distinct ones is varint(rank + 3), another
 * is varint(2) then varint(zigzag(value − prediction)). */
function intColumn(
  vals: ArrayLike<number>,
  predict: Predict,
  recent: number,
): { ints: Uint8Array; extra: Float64Array } {
  const w = new VarWriter();
  const extra: number[] = [];
  const mtf = new Recent(recent);
  let prev = 0;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i]!;
    if (Number.isNaN(v)) {
      w.u(0);
      continue;
    }
    const d = v - predict(i, prev);
    if (!Number.isSafeInteger(v) || Object.is(v, -0) || Math.abs(v) > VARINT_LIMIT || Math.abs(d) > VARINT_LIMIT) {
      w.u(1);
      extra.push(v);
      continue;
    }
    if (recent > 0) {
      const k = mtf.rank(v);
      if (k >= 0) w.u(k + 3);
      else {
        w.u(2);
        w.u(zig(d));
      }
      mtf.use(v, k);
    } else w.u(zig(d) + 2);
    prev = v;
  }
  return { ints: w.bytes(), extra: new Float64Array(extra) };
}

function readIntColumn<T extends { [i: number]: number }>(
  out: T,
  count: number,
  bytes: Uint8Array,
  extra: Float64Array,
  name: string,
  predict: Predict,
  recent: number,
): T {
  const r = new VarReader(bytes, name);
  const mtf = new Recent(recent);
  let prev = 0;
  let x = 0;
  for (let i = 0; i < count; i++) {
    const z = r.u();
    if (z === 0) {
      out[i] = NaN;
      continue;
    }
    if (z === 1) {
      if (x >= extra.length) throw bad(`${name} lacks a value`);
      out[i] = extra[x++]!;
      continue;
    }
    let v: number;
    if (recent > 0) {
      const k = z - 3;
      const hit = k >= 0 ? mtf.at(k) : undefined;
      if (k >= 0 && hit === undefined) throw bad(`${name} refers to no recent value`);
      v = hit ?? unzig(r.u()) + predict(i, prev);
      mtf.use(v, k);
    } else v = unzig(z - 2) + predict(i, prev);
    out[i] = v;
    prev = v;
  }
  if (!r.done || x !== extra.length) throw bad(`${name} has trailing bytes`);
  return out;
}

/** Columns coded with a move-to-front list, and its length. */
const RECENT: Partial<Record<string, number>> = { mtime: 1024, mode: 16, uid: 16, gid: 16 };

const round512 = (n: number): number => Math.ceil(n / 512) * 512;

/** A tar entry's data offset, predicted as that of a plain ustar entry after the one before. */
const offsetPredictor =
  (size: ArrayLike<number>): Predict =>
  (i, prev) =>
    i === 0 ? 512 : prev + round512(size[i - 1]!) + 512;

class Packer {
  readonly parts: Part[] = [];
  readonly data: Uint8Array[] = [];
  raw(name: string, arr: ArrayBufferView): void {
    this.parts.push({ name, kind: arr.constructor.name as Kind, bytes: arr.byteLength });
    this.data.push(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  }
  varint(name: string, bytes: Uint8Array, as: Kind, recent = 0): void {
    this.parts.push({ name, kind: 'varint', as, bytes: bytes.length, ...(recent ? { recent } : {}) });
    this.data.push(bytes);
  }
  /** Varint-coded (intColumn), with the values that are not integers in `<name>.extra`. */
  column(name: string, arr: ArrayBufferView & ArrayLike<number>, predict: Predict = previous): void {
    const recent = RECENT[name] ?? 0;
    const { ints, extra } = intColumn(arr, predict, recent);
    this.varint(name, ints, arr.constructor.name as Kind, recent);
    this.raw(`${name}.extra`, extra);
  }
  pack(): Uint8Array {
    const head = new TextEncoder().encode(JSON.stringify(this.parts));
    const total = 4 + head.length + this.data.reduce((n, d) => n + d.length, 0);
    const raw = new Uint8Array(total);
    new DataView(raw.buffer).setUint32(0, head.length, true);
    raw.set(head, 4);
    let at = 4 + head.length;
    for (const d of this.data) {
      raw.set(d, at);
      at += d.length;
    }
    return deflateSync(raw, { level: 9, mem: 12 });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const STRING_COLUMNS = ['path', 'linkname', 'uname', 'gname', 'xattrs'] as const;

/** The same index with its string table reordered: paths first in entry order (the path
 * column becomes 0, 1, 2, … and each path is front-coded against the path before it), then
 * link names and the rest, so they are front-coded against each other. */
function pathsFirst(idx: EncodedLayerIndex): EncodedLayerIndex {
  const to = new Int32Array(idx.strings.length).fill(-1);
  const strings: string[] = [];
  const take = (id: number): void => {
    if (id >= 0 && to[id] === -1) {
      to[id] = strings.length;
      strings.push(idx.strings[id]!);
    }
  };
  for (const col of STRING_COLUMNS) for (const id of idx[col]) take(id);
  const out = { ...idx, strings };
  for (const col of STRING_COLUMNS) out[col] = idx[col].map((id) => (id < 0 ? id : to[id]!));
  return out;
}

export function encodePeekLayer(layer: PeekLayer): StoredPeekLayer {
  const idx = pathsFirst(encodeLayerIndex(layer.entries));
  const p = new Packer();
  for (const n of INDEX_ARRAYS) p.column(n, idx[n], n === 'offset' ? offsetPredictor(idx.size) : previous);
  // Strings front-coded: the length shared with the string before, then the rest. JSON keeps
  // lone surrogates (names that are not UTF-8, tar/names.ts; or a pair split here) as escapes.
  // (The rests joined into one string with their lengths apart deflate 1.4% worse: the quotes
  // between them are context deflate uses.)
  const shared = new VarWriter();
  const rests: string[] = [];
  let before = '';
  for (const str of idx.strings) {
    const max = Math.min(str.length, before.length);
    let k = 0;
    while (k < max && str.charCodeAt(k) === before.charCodeAt(k)) k++;
    shared.u(k);
    rests.push(str.slice(k));
    before = str;
  }
  p.varint('stringShared', shared.bytes(), 'Uint32Array');
  p.raw('strings', new TextEncoder().encode(JSON.stringify(rests)));
  // File hashes: per regular file, 0 = empty (size 0), 1 = the next new hash, k + 2 = the same
  // as new hash k.
  const refs = new VarWriter();
  const seen = new Map<string, number>();
  const uniq: Uint8Array[] = [];
  let rank = 0;
  for (let i = 0; i < idx.count; i++) {
    if (idx.type[i] !== 0) continue;
    const h = layer.fileHashes.subarray(rank * 32, rank * 32 + 32);
    rank++;
    if (idx.size[i] === 0 && sameBytes(h, EMPTY_SHA256)) {
      refs.u(0);
      continue;
    }
    const key = String.fromCharCode(...h);
    const k = seen.get(key);
    if (k === undefined) {
      seen.set(key, uniq.length);
      uniq.push(h);
      refs.u(1);
    } else refs.u(k + 2);
  }
  if (rank * 32 !== layer.fileHashes.length)
    throw new Error(`encodePeekLayer: ${rank} files, ${layer.fileHashes.length / 32} hashes`);
  const hashes = new Uint8Array(uniq.length * 32);
  uniq.forEach((h, i) => hashes.set(h, i * 32));
  p.varint('hashRefs', refs.bytes(), 'Uint8Array');
  p.raw('hashes', hashes);
  // Access points: output and bit offsets as differences, the window number + 2.
  const pts = new VarWriter();
  let out = 0;
  let inBit = 0;
  for (const pt of layer.points) {
    pts.u(zig(pt.out - out));
    pts.u(zig(pt.inBit - inBit));
    pts.u(pt.window + 2);
    out = pt.out;
    inBit = pt.inBit;
  }
  p.varint('points', pts.bytes(), 'Float64Array');
  p.column('windowSizes', new Uint32Array(layer.windows.map((w) => w.length)));
  for (const [i, w] of layer.windows.entries()) p.raw(`w${i}`, w);
  if (layer.toc) p.raw('toc', new TextEncoder().encode(JSON.stringify(layer.toc)));
  return {
    version: 2,
    digest: layer.digest,
    diffId: layer.diffId,
    compression: layer.compression,
    compressedSize: layer.compressedSize,
    uncompressedSize: layer.uncompressedSize,
    size: layer.size,
    entryCount: layer.entries.length,
    checkpointCount: layer.windows.length,
    ...(layer.toc
      ? { lazy: layer.toc.format === 'zstd:chunked' ? ('zstd:chunked' as const) : ('estargz' as const) }
      : {}),
    packed: p.pack(),
  };
}

/** What reading and exploring need of a stored peeked layer. */
export interface DecodedPeekLayer extends Omit<PeekLayer, 'entries'> {
  index: EncodedLayerIndex;
}

function bad(why: string): LayerError {
  return new LayerError('LAYER_CORRUPT', `stored peek index is damaged: ${why}`);
}

function unpack(packed: Uint8Array): Map<string, { part: Part; bytes: Uint8Array }> {
  let raw: Uint8Array;
  try {
    raw = inflateSync(packed);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (raw.length < 4 || raw.length > MAX_PACK) throw bad('size');
  const headLen = new DataView(raw.buffer, raw.byteOffset).getUint32(0, true);
  if (4 + headLen > raw.length) throw bad('header');
  let parts: Part[];
  try {
    parts = JSON.parse(new TextDecoder().decode(raw.subarray(4, 4 + headLen))) as Part[];
  } catch {
    throw bad('header');
  }
  const got = new Map<string, { part: Part; bytes: Uint8Array }>();
  let at = 4 + headLen;
  for (const p of parts) {
    if (!(p.kind === 'varint' || KINDS[p.kind]) || at + p.bytes > raw.length) throw bad(`part ${p.name}`);
    got.set(p.name, { part: p, bytes: raw.slice(at, at + p.bytes) });
    at += p.bytes;
  }
  return got;
}

export function decodePeekLayer(s: StoredPeekLayer): DecodedPeekLayer {
  if (s.version !== 1 && s.version !== PEEK_INDEX_VERSION) throw bad(`version ${String(s.version)}`);
  const got = unpack(s.packed);
  const part = (name: string): { part: Part; bytes: Uint8Array } => {
    const v = got.get(name);
    if (!v) throw bad(`missing ${name}`);
    return v;
  };
  const typed = <T extends ArrayBufferView>(name: string): T => {
    const { part: p, bytes } = part(name);
    if (p.kind === 'varint') throw bad(`${name} is not raw`);
    const Ctor = KINDS[p.kind];
    if (bytes.length % Ctor.BYTES_PER_ELEMENT) throw bad(`${name} size`);
    return new Ctor(bytes.buffer as ArrayBuffer) as unknown as T;
  };
  /** A column of `count` numbers, raw or varint-coded. */
  const column = <T extends ArrayBufferView & { length: number }>(
    name: string,
    count: number,
    predict: Predict = previous,
  ): T => {
    const { part: p, bytes } = part(name);
    if (p.kind !== 'varint') return typed<T>(name);
    const Ctor = p.as && KINDS[p.as];
    if (!Ctor) throw bad(`part ${name}`);
    const extra = typed<Float64Array>(`${name}.extra`);
    const recent = p.recent ?? 0;
    if (!Number.isInteger(recent) || recent < 0 || recent > 4096) throw bad(`part ${name}`);
    return readIntColumn(
      new Ctor(count) as unknown as T & { [i: number]: number },
      count,
      bytes,
      extra,
      name,
      predict,
      recent,
    );
  };
  const index = { version: 1, count: s.entryCount } as EncodedLayerIndex;
  for (const n of INDEX_ARRAYS) {
    const a = column<ArrayBufferView & { length: number }>(
      n,
      s.entryCount,
      n === 'offset' ? offsetPredictor(index.size) : previous,
    );
    if (a.length !== s.entryCount) throw bad(`${n} has ${a.length} entries, not ${s.entryCount}`);
    (index as unknown as Record<string, unknown>)[n] = a;
  }
  const text = (name: string): unknown => {
    try {
      return JSON.parse(new TextDecoder().decode(part(name).bytes));
    } catch {
      throw bad(name);
    }
  };
  if (s.version === 1) {
    index.strings = text('strings') as string[];
    const pts = typed<Float64Array>('points');
    const points: AccessPoint[] = [];
    for (let i = 0; i + 2 < pts.length; i += 3) points.push({ out: pts[i]!, inBit: pts[i + 1]!, window: pts[i + 2]! });
    const sizes = typed<Uint32Array>('windowSizes');
    const windows: Uint8Array[] = [];
    for (let i = 0; i < sizes.length; i++) windows.push(part(`w${i}`).bytes);
    return { ...figures(s), index, fileHashes: part('fileHashes').bytes, points, windows };
  }
  // Version 2.
  const rests = text('strings');
  if (!Array.isArray(rests)) throw bad('strings');
  const shared = new VarReader(part('stringShared').bytes, 'stringShared');
  const strings: string[] = [];
  let before = '';
  for (const rest of rests as unknown[]) {
    const k = shared.u();
    if (typeof rest !== 'string' || k > before.length) throw bad('strings');
    before = before.slice(0, k) + rest;
    strings.push(before);
  }
  if (!shared.done) throw bad('stringShared has trailing bytes');
  index.strings = strings;
  const uniq = part('hashes').bytes;
  const refs = new VarReader(part('hashRefs').bytes, 'hashRefs');
  let files = 0;
  for (let i = 0; i < s.entryCount; i++) if (index.type[i] === 0) files++;
  const fileHashes = new Uint8Array(files * 32);
  let next = 0;
  for (let r = 0; r < files; r++) {
    const ref = refs.u();
    const k = ref === 0 ? -1 : ref === 1 ? next++ : ref - 2;
    if (k >= next || (k + 1) * 32 > uniq.length) throw bad('hashRefs');
    fileHashes.set(k < 0 ? EMPTY_SHA256 : uniq.subarray(k * 32, k * 32 + 32), r * 32);
  }
  if (!refs.done) throw bad('hashRefs has trailing bytes');
  const ptBytes = part('points').bytes;
  const pr = new VarReader(ptBytes, 'points');
  const points: AccessPoint[] = [];
  let out = 0;
  let inBit = 0;
  while (!pr.done) {
    out += unzig(pr.u());
    inBit += unzig(pr.u());
    points.push({ out, inBit, window: pr.u() - 2 });
  }
  const sizes = column<Uint32Array>('windowSizes', s.checkpointCount);
  const windows: Uint8Array[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const w = part(`w${i}`).bytes;
    if (w.length !== sizes[i]) throw bad(`window ${i}`);
    windows.push(w);
  }
  const toc = got.has('toc') ? (text('toc') as EstargzToc) : undefined;
  if (toc && (!Array.isArray(toc.entries) || typeof toc.tocOffset !== 'number')) throw bad('toc');
  return { ...figures(s), index, fileHashes, points, windows, ...(toc ? { toc } : {}) };
}

function figures(
  s: StoredPeekLayer,
): Pick<DecodedPeekLayer, 'digest' | 'diffId' | 'compression' | 'compressedSize' | 'uncompressedSize' | 'size'> {
  return {
    digest: s.digest,
    diffId: s.diffId,
    compression: s.compression,
    compressedSize: s.compressedSize,
    uncompressedSize: s.uncompressedSize,
    size: s.size,
  };
}

/** The SHA-256 of each regular file, by entry number (undefined for other entries). */
export function fileHashLookup(
  index: EncodedLayerIndex,
  fileHashes: Uint8Array,
): (entry: number) => Uint8Array | undefined {
  const rank = new Int32Array(index.count).fill(-1);
  let k = 0;
  for (let i = 0; i < index.count; i++) if (index.type[i] === 0) rank[i] = k++;
  return (i) => {
    const r = rank[i] ?? -1;
    return r < 0 ? undefined : fileHashes.subarray(r * 32, r * 32 + 32);
  };
}

export { decodeLayerIndex };
