/**
 * Peek: one streaming pass over a layer blob that stores nothing of the blob but makes it
 * readable at random later, with HTTP Range requests.
 *
 *   blob ─┬─▶ sha256 (digest)                        = manifest digest?
 *         └─▶ decode (gzip: inflate.ts, reporting block boundaries │ zstd: per frame │ none)
 *               ├─▶ access points (compressed bit offset ↔ output offset; windows every ~4 MiB)
 *               ├─▶ sha256 (diff_id)                  = config diff_id?
 *               └─▶ tar reader ─▶ entries (the layerIndex format) + SHA-256 per regular file
 *
 * Access points: every block boundary (gzip) or frame start (zstd) at least `markEvery` bytes
 * of output after the previous one, each with its compressed offset; they bound the end of a
 * Range request. Some of them are checkpoints, where decoding may start: a gzip member start,
 * a zstd frame start, or a gzip block boundary every `checkpointEvery` bytes of COMPRESSED input,
 * which keeps the 32 KiB of output before it (the deflate dictionary). Spacing by input, not
 * output, is what the fetch budget of an open is about (≤ checkpointEvery + the file's own
 * compressed bytes), and it stores fewer windows on layers that compress well (README, "Peek").
 * Uncompressed layers need none.
 */
import { Decompress as ZstdDecompress } from 'fzstd';
import { CompressionError } from '../compression-error.ts';
import { DEFAULT_MAX_ZSTD_WINDOW, sniffSource, ZstdFrameGuard, type Compression } from '../compression.ts';
import type { Digest } from '../digest.ts';
import type { LayerEntry } from '../layer/entry.ts';
import { LayerError } from '../layer/errors.ts';
import {
  DEFAULT_MAX_LAYER_BYTES,
  DEFAULT_MAX_LAYER_ENTRIES,
  formatLimitBytes,
  inThreadHasher,
  type AsyncHasher,
} from '../layer/ingest.ts';
import { layerSize } from '../layer/size.ts';
import { createSha256 } from '../sha256.ts';
import { iteratorOf } from '../tar/bytes.ts';
import { TarError } from '../tar/errors.ts';
import { readTar, type TarReadOptions } from '../tar/reader.ts';
import type { EstargzToc } from './estargz.ts';
import { Inflater } from './inflate.ts';
import { ZstdFrameWalker } from './zstd-frames.ts';

/** Where decoding may start or a read may end. */
export interface AccessPoint {
  /** Output (tar stream) offset. */
  out: number;
  /** Compressed offset in bits (gzip: a block boundary or member start; zstd, none: bytes × 8). */
  inBit: number;
  /** -1: not a checkpoint (only bounds a read's end); -2: a checkpoint that needs no dictionary
   * (gzip member start, zstd frame start); ≥ 0: index of its 32 KiB window in `windows`. */
  window: number;
}

export interface PeekLayer {
  digest: Digest;
  diffId: Digest;
  compression: Compression;
  compressedSize: number;
  uncompressedSize: number;
  /** Docker's layer size (layer/size.ts). */
  size: number;
  entries: LayerEntry[];
  /** SHA-256 of each regular file ('file' entry), 32 bytes each, in entry order. */
  fileHashes: Uint8Array;
  points: AccessPoint[];
  windows: Uint8Array[];
  /** eStargz: indexed from its table of contents (estargz.ts); files are read through it. */
  toc?: EstargzToc;
}

export interface PeekIndexOptions {
  expectedDigest?: Digest;
  expectedDiffId?: Digest;
  expectedSize?: number;
  /** Compressed bytes between checkpoints with a window (gzip); default 4 MiB − 256 KiB. */
  checkpointEvery?: number;
  /** Output bytes between access points; default 64 KiB. */
  markEvery?: number;
  hasher?: () => AsyncHasher;
  onProgress?: (compressedBytes: number) => void;
  signal?: AbortSignal;
  maxEntries?: number;
  maxUncompressedBytes?: number;
  maxZstdWindow?: number;
}

/** 4 MiB less 256 KiB: the checkpoint falls at the first block boundary past the spacing, and
 * a read ends at the first access point past the file, so the margin keeps what an open
 * fetches within "4 MiB + the file's compressed size" (the budget) in practice. */
const DEFAULT_CHECKPOINT_EVERY = (4 << 20) - (256 << 10);
const DEFAULT_MARK_EVERY = 64 << 10;

function wrap(e: unknown, layer: string): unknown {
  if (e instanceof TarError) return new LayerError(e.code, `layer ${layer}: ${e.message}`, layer, e.path);
  if (e instanceof CompressionError) {
    return new LayerError(
      e.code === 'COMPRESSION_LIMIT' ? 'LAYER_LIMIT' : 'LAYER_CORRUPT',
      `layer ${layer}: ${e.message}`,
      layer,
    );
  }
  return e;
}

/** A window whose use is still being learnt: the 32 KiB of output after its checkpoint. */
interface PendingWindow {
  /** Output offset of the checkpoint (the window ends here). */
  out: number;
  k: number;
  used: Uint8Array;
}

const WSIZE = 32768;

/**
 * Builds the access points while a decoder reports where it is.
 *
 * Sparse windows (gzip): while the 32 KiB of output after a checkpoint is decoded, every
 * length/distance pair that reaches back before the checkpoint marks the window bytes it
 * copies; then the window is cut to start at its first byte ever read and every byte never
 * read is set to zero. Decoding from the checkpoint reads only marked bytes (the output after
 * the checkpoint is the same bytes, so it copies the same sources), so it yields the same
 * output, and the zeros cost next to nothing once the index is deflated (README, "Peek").
 */
class PointRecorder {
  readonly points: AccessPoint[] = [];
  readonly windows: Uint8Array[] = [];
  private pending: PendingWindow[] = [];
  private lastMark = -Infinity;
  /** Compressed bit offset of the last checkpoint. */
  private lastCheckpoint = 0;
  constructor(
    private readonly markEvery: number,
    private readonly checkpointEvery: number,
  ) {}

  /** A boundary at (out, inBit). `restart`: decoding can start here without a window. */
  at(out: number, inBit: number, restart: boolean, window?: () => Uint8Array): void {
    const last = this.points[this.points.length - 1];
    // The same output offset again (a member start then its first block, an empty block):
    // the earlier position serves both a start and an end.
    if (last && last.out === out) return;
    if (restart && out - this.lastMark >= this.markEvery) {
      this.points.push({ out, inBit, window: -2 });
      this.lastCheckpoint = inBit;
    } else if (window && inBit - this.lastCheckpoint >= this.checkpointEvery * 8) {
      const w = window();
      this.windows.push(w);
      this.points.push({ out, inBit, window: this.windows.length - 1 });
      this.pending.push({ out, k: this.windows.length - 1, used: new Uint8Array(w.length) });
      this.lastCheckpoint = inBit;
    } else if (out - this.lastMark >= this.markEvery) {
      this.points.push({ out, inBit, window: -1 });
    } else {
      return;
    }
    this.lastMark = out;
  }

  /** Output before this offset may still read a pending window. */
  get watchUntil(): number {
    const last = this.pending[this.pending.length - 1];
    return last ? last.out + WSIZE : -Infinity;
  }

  /** A copy of `len` bytes from `dist` back, to output offset `out`. */
  match(out: number, dist: number, len: number): void {
    const from = out - dist;
    for (const p of this.pending) {
      const start = p.out - p.used.length;
      const end = Math.min(from + len, p.out);
      for (let x = Math.max(from, start); x < end; x++) p.used[x - start] = 1;
    }
  }

  /** Settles the windows that no output from `out` on can read (all, at the end). */
  settle(out = Infinity): void {
    while (this.pending.length && this.pending[0]!.out + WSIZE <= out) {
      const p = this.pending.shift()!;
      const w = this.windows[p.k]!;
      let first = 0;
      while (first < w.length && !p.used[first]) first++;
      const kept = w.slice(first);
      for (let i = 0; i < kept.length; i++) if (!p.used[first + i]) kept[i] = 0;
      this.windows[p.k] = kept;
    }
  }
}

/**
 * Indexes one layer blob. Digest, diff_id and size are checked as a pull checks them
 * (LAYER_DIGEST_MISMATCH, LAYER_DIFFID_MISMATCH, LAYER_SIZE_MISMATCH); nothing of the blob is kept.
 */
export async function peekIndexLayer(
  blob: ReadableStream<Uint8Array>,
  opts: PeekIndexOptions = {},
): Promise<PeekLayer> {
  const name = opts.expectedDigest ?? 'blob';
  const newHash = opts.hasher ?? inThreadHasher;
  const digestHash = newHash();
  const diffHash = newHash();
  const blobIt = iteratorOf(blob);
  let compressedSize = 0;
  const rec = new PointRecorder(opts.markEvery ?? DEFAULT_MARK_EVERY, opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
  const maxBytes = opts.maxUncompressedBytes ?? DEFAULT_MAX_LAYER_BYTES;
  let sourceError: { error: unknown } | undefined;

  async function* compressed(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        opts.signal?.throwIfAborted();
        const r = await blobIt.next();
        if (r.done) return;
        const c = r.value;
        if (c.length === 0) continue;
        compressedSize += c.length;
        if (opts.expectedSize !== undefined && compressedSize > opts.expectedSize) {
          throw new LayerError(
            'LAYER_SIZE_MISMATCH',
            `layer ${name}: more than the expected ${opts.expectedSize} bytes`,
            name,
          );
        }
        const pending = digestHash.update(c);
        if (pending) await pending;
        opts.onProgress?.(compressedSize);
        yield c;
      }
    } catch (e) {
      sourceError ??= { error: e };
      throw e;
    }
  }

  let uncompressedSize = 0;
  async function* hashed(plain: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const c of plain) {
      if (uncompressedSize + c.length > maxBytes) {
        throw new LayerError(
          'LAYER_LIMIT',
          `layer ${name}: expands beyond ${formatLimitBytes(maxBytes)} when decompressed (the limit on one layer's decompressed size)`,
          name,
        );
      }
      uncompressedSize += c.length;
      const pending = diffHash.update(c);
      if (pending) await pending;
      yield c;
    }
  }

  const entries: LayerEntry[] = [];
  const hashes: Uint8Array[] = [];
  let compression: Compression;
  try {
    const sniffed = await sniffSource(compressed());
    compression = sniffed.compression;
    let plain: AsyncIterable<Uint8Array>;
    if (compression === 'gzip') plain = gunzipWithPoints(sniffed.source, rec);
    else if (compression === 'zstd')
      plain = unzstdWithPoints(sniffed.source, rec, opts.maxZstdWindow ?? DEFAULT_MAX_ZSTD_WINDOW);
    else plain = sniffed.source;
    const plainIt = hashed(plain);
    const tarOpts: TarReadOptions = { maxEntries: opts.maxEntries ?? DEFAULT_MAX_LAYER_ENTRIES };
    if (opts.signal) tarOpts.signal = opts.signal;
    // readTar leaves what follows the end-of-archive marker to us: it belongs to the diff_id.
    const tarSource: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: () => plainIt.next() }) };
    for await (const entry of readTar(tarSource, tarOpts)) {
      const { headerOffset: _h, ...e } = entry.header;
      entries.push(e);
      if (e.type === 'file') {
        const h = createSha256();
        for await (const piece of entry.body()) h.update(piece);
        hashes.push(hexBytes(h.digest()));
      }
    }
    for (let r = await plainIt.next(); !r.done; r = await plainIt.next());
  } catch (e) {
    await blobIt.return?.().catch(() => {});
    digestHash.dispose?.();
    diffHash.dispose?.();
    throw wrap(sourceError ? sourceError.error : e, name);
  }
  if (opts.expectedSize !== undefined && compressedSize !== opts.expectedSize) {
    throw new LayerError(
      'LAYER_SIZE_MISMATCH',
      `layer ${name}: ${compressedSize} bytes, expected ${opts.expectedSize}`,
      name,
    );
  }
  const digest = await digestHash.digest();
  if (opts.expectedDigest !== undefined && digest !== opts.expectedDigest) {
    diffHash.dispose?.();
    throw new LayerError('LAYER_DIGEST_MISMATCH', `layer ${name}: digest is ${digest}`, name);
  }
  const diffId = compression === 'none' ? (diffHash.dispose?.(), digest) : await diffHash.digest();
  if (opts.expectedDiffId !== undefined && diffId !== opts.expectedDiffId) {
    throw new LayerError(
      'LAYER_DIFFID_MISMATCH',
      `layer ${name}: diff_id is ${diffId}, expected ${opts.expectedDiffId}`,
      name,
    );
  }
  if (compression === 'none') rec.points.length = 0; // offsets are direct
  const fileHashes = new Uint8Array(hashes.length * 32);
  hashes.forEach((h, i) => fileHashes.set(h, i * 32));
  return {
    digest,
    diffId,
    compression,
    compressedSize,
    uncompressedSize,
    size: layerSize(entries),
    entries,
    fileHashes,
    points: rec.points,
    windows: rec.windows,
  };
}

function hexBytes(d: Digest): Uint8Array {
  const hex = d.slice(7);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesHex(b: Uint8Array): Digest {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return `sha256:${s}`;
}

/** Slices of at most this size go to the inflater: deflate expands at most ~1032:1, so one
 * slice yields at most ~8 MiB (a decompression bomb stays bounded). */
const GZIP_SLICE = 8 << 10;

async function* gunzipWithPoints(source: AsyncIterable<Uint8Array>, rec: PointRecorder): AsyncGenerator<Uint8Array> {
  const inf: Inflater = new Inflater({
    onBoundary: (b) => {
      rec.settle(b.out);
      rec.at(b.out, b.inBit, b.member, () => inf.window());
      inf.watchUntil = rec.watchUntil;
    },
    onMatch: (out, dist, len) => rec.match(out, dist, len),
  });
  for await (const chunk of source) {
    for (let i = 0; i < chunk.length; i += GZIP_SLICE) {
      for (const p of inf.push(chunk.subarray(i, i + GZIP_SLICE))) yield p;
    }
  }
  for (const p of inf.push(new Uint8Array(0), true)) yield p;
  rec.settle();
}

const ZSTD_BLOCKS_PER_PUSH = 32;
const ZSTD_PUSH_BYTES = 4096;

/** zstd, one fzstd decoder per frame, so the output offset of every frame start is known. */
async function* unzstdWithPoints(
  source: AsyncIterable<Uint8Array>,
  rec: PointRecorder,
  maxWindow: number,
): AsyncGenerator<Uint8Array> {
  const guard = new ZstdFrameGuard(maxWindow);
  const walker = new ZstdFrameWalker();
  const out: Uint8Array[] = [];
  let z: ZstdDecompress | undefined;
  let total = 0;
  let inPos = 0;
  const push = (b: Uint8Array, final: boolean): void => {
    try {
      z!.push(b, final);
    } catch (e) {
      throw new CompressionError('COMPRESSION_CORRUPT', `zstd: ${(e as Error).message}`);
    }
  };
  for await (const chunk of source) {
    let frameEnd = 0;
    for (let i = 0; i < chunk.length;) {
      if (i >= frameEnd) {
        if (!z) {
          rec.at(total, (inPos + i) * 8, true);
          z = new ZstdDecompress((d) => {
            if (d.length) {
              out.push(d);
              total += d.length;
            }
          });
        }
        frameEnd = walker.next(chunk, i);
      }
      const end = guard.scan(chunk, i, ZSTD_BLOCKS_PER_PUSH, Math.min(ZSTD_PUSH_BYTES, frameEnd - i));
      const ends = end === frameEnd && walker.atBoundary;
      push(chunk.subarray(i, end), ends);
      if (ends) z = undefined;
      i = end;
      while (out.length) yield out.shift()!;
    }
    inPos += chunk.length;
  }
  if (z || !walker.atBoundary) throw new CompressionError('COMPRESSION_CORRUPT', 'zstd: stream ends inside a frame');
}
