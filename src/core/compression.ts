/**
 * Layer compression: sniffing by magic bytes and streaming decompression with bounded output.
 *
 * gzip: the platform's DecompressionStream('gzip') is native and fastest, but Chromium's errors
 * on a multi-member gzip (concatenated members, as pigz -i or eStargz layers write) while
 * Node's decodes all members. So `gzip: 'auto'` asks the platform once, with a two-member
 * sample, and falls back to fflate's streaming Gunzip (multi-member) where it fails.
 * zstd: fzstd's streaming Decompress (multi-frame, skippable frames). fzstd allocates the
 * frame's declared window up front, so a frame guard refuses windows above `maxZstdWindow`
 * before fzstd sees the frame.
 * Output stays bounded even for a decompression bomb: fflate is fed 8 KiB slices (deflate
 * expands at most ~1032:1), fzstd pieces that end after at most 32 block headers.
 */
import { Decompress as ZstdDecompress } from 'fzstd';
import { Gunzip } from 'fflate';
import { concatBytes, iteratorOf, streamOf, type ByteSource } from './tar/bytes.ts';
import { CompressionError } from './compression-error.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

export { CompressionError };

/** gzip: 1f 8b (RFC 1952 §2.3.1); zstd: 28 b5 2f fd (RFC 8878 §3.1.1); anything else is none. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * Reads the first bytes of a stream to sniff its compression, then gives them back in front of
 * the rest (chunks of any size, a first chunk shorter than the magic included).
 */
export async function sniffSource(
  it: AsyncIterator<Uint8Array>,
): Promise<{ compression: Compression; source: AsyncIterable<Uint8Array> }> {
  const head: Uint8Array[] = [];
  let n = 0;
  while (n < 4) {
    const r = await it.next();
    if (r.done) break;
    head.push(r.value);
    n += r.value.length;
  }
  const first = new Uint8Array(Math.min(n, 4));
  let at = 0;
  for (const h of head) {
    if (at >= first.length) break;
    const take = Math.min(h.length, first.length - at);
    first.set(h.subarray(0, take), at);
    at += take;
  }
  async function* source(): AsyncGenerator<Uint8Array> {
    yield* head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { compression: sniffCompression(first), source: source() };
}

export interface DecompressOptions {
  /** 'auto' (default): native when the platform decodes multi-member gzip, else fflate. */
  gzip?: 'auto' | 'native' | 'fflate';
  /** Largest zstd window (bytes) accepted; default 128 MiB, zstd's own default decoder limit
   * (ZSTD_WINDOWLOG_LIMIT_DEFAULT = 27). */
  maxZstdWindow?: number;
}

export const DEFAULT_MAX_ZSTD_WINDOW = 1 << 27;
const GZIP_SLICE = 8 << 10; // deflate expands at most ~1032:1 → ≤ 8.1 MiB per slice
const ZSTD_BLOCKS_PER_PUSH = 32; // ≤ 33 blocks of ≤ 128 KiB decoded per push: ≤ 4.2 MiB
const ZSTD_PUSH_BYTES = 4096; // fzstd re-concatenates a partial block on each push: small is faster

// printf a | gzip -n; printf b | gzip -n
const TWO_MEMBERS = new Uint8Array([
  0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x4b, 4, 0, 0x43, 0xbe, 0xb7, 0xe8, 1, 0, 0, 0, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0,
  3, 0x4b, 2, 0, 0xf9, 0xef, 0xbe, 0x71, 1, 0, 0, 0,
]);
let nativeMembers: Promise<boolean> | undefined;

/** Whether the platform's DecompressionStream('gzip') decodes concatenated gzip members. */
export function nativeGzipHandlesMembers(): Promise<boolean> {
  nativeMembers ??= (async () => {
    if (typeof DecompressionStream !== 'function') return false;
    try {
      const out = await collect(
        streamOf(one(TWO_MEMBERS)).pipeThrough(
          new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
        ),
      );
      return out.length === 2 && out[0] === 0x61 && out[1] === 0x62;
    } catch {
      return false;
    }
  })();
  return nativeMembers;
}

async function* one(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

async function collect(rs: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const it = iteratorOf(rs);
  for (let r = await it.next(); !r.done; r = await it.next()) parts.push(r.value);
  return concatBytes(parts);
}

async function* nativeGunzip(source: ByteSource): AsyncGenerator<Uint8Array> {
  const it = iteratorOf(
    streamOf(iteratorOf(source)).pipeThrough(
      new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
    ),
  );
  try {
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (e) {
        throw new CompressionError('COMPRESSION_CORRUPT', `gzip: ${(e as Error).message}`);
      }
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

async function* fflateGunzip(source: ByteSource): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const g = new Gunzip((d) => {
    if (d.length) out.push(d);
  });
  const push = (b: Uint8Array, final: boolean) => {
    try {
      g.push(b, final);
    } catch (e) {
      throw new CompressionError('COMPRESSION_CORRUPT', `gzip: ${(e as Error).message}`);
    }
  };
  const it = iteratorOf(source);
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const chunk = r.value;
    for (let i = 0; i < chunk.length; i += GZIP_SLICE) {
      push(chunk.subarray(i, i + GZIP_SLICE), false);
      while (out.length) yield out.shift()!;
    }
  }
  push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}

/**
 * Walks zstd frame and block headers (RFC 8878 §3.1) without decoding, to refuse oversized
 * windows before fzstd allocates them and reserved block types.
 */
export class ZstdFrameGuard {
  private acc = new Uint8Array(18);
  private accLen = 0;
  private need = 4;
  private skip = 0;
  private state: 'magic' | 'fhd' | 'fhrest' | 'block' | 'skipsize' = 'magic';
  private fhd = 0;
  private checksum = false;
  private afterSkip: 'magic' | 'block' = 'magic';

  constructor(private readonly maxWindow: number) {}

  /** True when the input so far ends at a frame boundary. */
  get atBoundary(): boolean {
    return this.state === 'magic' && this.accLen === 0 && this.skip === 0;
  }

  push(chunk: Uint8Array): void {
    this.scan(chunk, 0, Infinity);
  }

  /**
   * Walks `chunk` from `from` and stops right after the `maxBlocks`-th block header; returns
   * where it stopped. A zstd block decodes to at most 128 KiB (RFC 8878 §3.1.1.2.4), so a piece
   * ending there bounds what fzstd emits for it.
   */
  scan(chunk: Uint8Array, from: number, maxBlocks: number, maxBytes = Infinity): number {
    let i = from;
    let blocks = 0;
    const stop = Math.min(chunk.length, from + maxBytes);
    while (i < stop) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, stop - i);
        this.skip -= n;
        i += n;
        if (this.skip === 0) this.enter(this.afterSkip);
        continue;
      }
      const n = Math.min(this.need - this.accLen, stop - i);
      this.acc.set(chunk.subarray(i, i + n), this.accLen);
      this.accLen += n;
      i += n;
      if (this.accLen === this.need) {
        const isBlock = this.state === 'block';
        this.header();
        if (isBlock && ++blocks >= maxBlocks) return i;
      }
    }
    return i;
  }

  private enter(state: 'magic' | 'block'): void {
    this.state = state;
    this.need = state === 'magic' ? 4 : 3;
    this.accLen = 0;
  }

  private header(): void {
    const a = this.acc;
    switch (this.state) {
      case 'magic': {
        const m = (a[0]! | (a[1]! << 8) | (a[2]! << 16) | (a[3]! << 24)) >>> 0;
        if (m === 0xfd2fb528) {
          this.state = 'fhd';
          this.need = 1;
          this.accLen = 0;
        } else if ((m & 0xfffffff0) >>> 0 === 0x184d2a50) {
          this.state = 'skipsize';
          this.need = 4;
          this.accLen = 0;
        } else {
          throw new CompressionError('COMPRESSION_CORRUPT', 'zstd: bad frame magic');
        }
        return;
      }
      case 'fhd': {
        const fhd = a[0]!;
        if (fhd & 0x08) throw new CompressionError('COMPRESSION_CORRUPT', 'zstd: reserved frame header bit set');
        this.fhd = fhd;
        this.checksum = (fhd & 0x04) !== 0;
        const single = (fhd & 0x20) !== 0;
        const fcsFlag = fhd >> 6;
        const fcsLen = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
        const dictLen = [0, 1, 2, 4][fhd & 3]!;
        this.state = 'fhrest';
        this.need = (single ? 0 : 1) + dictLen + fcsLen;
        this.accLen = 0;
        if (this.need === 0) this.header();
        return;
      }
      case 'fhrest': {
        const fhd = this.fhd;
        const single = (fhd & 0x20) !== 0;
        let window: number;
        if (!single) {
          const wd = a[0]!;
          const base = 2 ** (10 + (wd >> 3));
          window = base + (base / 8) * (wd & 7);
        } else {
          const fcsFlag = fhd >> 6;
          const at = [0, 1, 2, 4][fhd & 3]!;
          const len = [1, 2, 4, 8][fcsFlag]!;
          let v = 0;
          for (let k = len - 1; k >= 0; k--) v = v * 256 + a[at + k]!;
          window = len === 2 ? v + 256 : v;
        }
        if (window > this.maxWindow) {
          throw new CompressionError(
            'COMPRESSION_LIMIT',
            `zstd: window of ${window} bytes exceeds the limit of ${this.maxWindow}`,
          );
        }
        this.enter('block');
        return;
      }
      case 'block': {
        const h = a[0]! | (a[1]! << 8) | (a[2]! << 16);
        const last = (h & 1) !== 0;
        const type = (h >> 1) & 3;
        const size = h >>> 3;
        if (type === 3) throw new CompressionError('COMPRESSION_CORRUPT', 'zstd: reserved block type');
        if (size > 128 << 10) throw new CompressionError('COMPRESSION_CORRUPT', 'zstd: block larger than 128 KiB');
        const body = type === 1 ? 1 : size;
        const trailer = last && this.checksum ? 4 : 0;
        this.afterSkip = last ? 'magic' : 'block';
        this.skip = body + trailer;
        this.accLen = 0;
        if (this.skip === 0) this.enter(this.afterSkip);
        return;
      }
      case 'skipsize': {
        this.skip = (a[0]! | (a[1]! << 8) | (a[2]! << 16) | (a[3]! << 24)) >>> 0;
        this.afterSkip = 'magic';
        this.accLen = 0;
        if (this.skip === 0) this.enter('magic');
        return;
      }
    }
  }
}

async function* zstdDecompress(source: ByteSource, maxWindow: number): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const guard = new ZstdFrameGuard(maxWindow);
  const z = new ZstdDecompress((d) => {
    if (d.length) out.push(d);
  });
  const push = (b: Uint8Array, final: boolean) => {
    try {
      z.push(b, final);
    } catch (e) {
      throw new CompressionError('COMPRESSION_CORRUPT', `zstd: ${(e as Error).message}`);
    }
  };
  const it = iteratorOf(source);
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const chunk = r.value;
    for (let i = 0; i < chunk.length;) {
      const end = guard.scan(chunk, i, ZSTD_BLOCKS_PER_PUSH, ZSTD_PUSH_BYTES);
      push(chunk.subarray(i, end), false);
      i = end;
      // In streaming mode fzstd allocates each block afresh: no copy needed.
      while (out.length) yield out.shift()!;
    }
  }
  if (!guard.atBoundary) throw new CompressionError('COMPRESSION_CORRUPT', 'zstd: stream ends inside a frame');
  push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}

/** Decompressed chunks of `source`; errors are CompressionError. */
export async function* decompress(
  source: ByteSource,
  compression: Compression,
  opts: DecompressOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  if (compression === 'none') {
    const it = iteratorOf(source);
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  } else if (compression === 'zstd') {
    yield* zstdDecompress(source, opts.maxZstdWindow ?? DEFAULT_MAX_ZSTD_WINDOW);
  } else {
    const mode = opts.gzip ?? 'auto';
    const native = mode === 'native' || (mode === 'auto' && (await nativeGzipHandlesMembers()));
    yield* native ? nativeGunzip(source) : fflateGunzip(source);
  }
}

/** The same as a stream pair, for `pipeThrough`. */
export function decompressionStream(
  compression: Compression,
  opts: DecompressOptions = {},
): ReadableWritablePair<Uint8Array, Uint8Array> {
  const input = new TransformStream<Uint8Array, Uint8Array>();
  return { writable: input.writable, readable: streamOf(decompress(input.readable, compression, opts)) };
}
