/**
 * Reading one file of a peeked layer: a read plan (one Range request from the nearest
 * checkpoint at or before the file to the first access point at or after its end), then
 * decoding from the checkpoint (gzip: the saved 32 KiB window as dictionary, the input shifted
 * to the block's bit offset; zstd: a frame start; none: the bytes themselves) and checking the
 * file against the SHA-256 recorded while indexing.
 *
 * A server that ignores Range answers 200 with the whole blob: the reader then streams it from
 * the start, discards what lies before the checkpoint, and says so (`rangeIgnored`).
 */
import { Decompress as ZstdDecompress } from 'fzstd';
import { CompressionError } from '../compression-error.ts';
import type { Compression } from '../compression.ts';
import type { Digest } from '../digest.ts';
import { LayerError } from '../layer/errors.ts';
import { createSha256 } from '../sha256.ts';
import { iteratorOf } from '../tar/bytes.ts';
import type { AccessPoint } from './index-layer.ts';
import { Inflater } from './inflate.ts';

export interface PeekReadable {
  compression: Compression;
  compressedSize: number;
  points: readonly AccessPoint[];
  windows: readonly Uint8Array[];
}

export interface ReadPlan {
  /** First and last compressed byte to ask for (inclusive, as in `Range: bytes=start-end`). */
  start: number;
  end: number;
  compression: Compression;
  /** Where decoding starts (undefined for an uncompressed layer). */
  point: AccessPoint | undefined;
  window: Uint8Array | undefined;
  /** The file's bytes in the layer's tar stream. */
  offset: number;
  size: number;
}

/** The Range and the checkpoint that reach the bytes [offset, offset + size) of the tar stream. */
export function planRead(layer: PeekReadable, entry: { offset: number; size: number }): ReadPlan {
  const { offset, size } = entry;
  const fileEnd = offset + size;
  if (layer.compression === 'none') {
    return {
      start: offset,
      end: Math.max(offset, fileEnd - 1),
      compression: 'none',
      point: undefined,
      window: undefined,
      offset,
      size,
    };
  }
  let point: AccessPoint | undefined;
  let endBit: number | undefined;
  for (const p of layer.points) {
    if (p.out <= offset && p.window !== -1) point = p;
    if (p.out >= fileEnd && p.out > offset) {
      endBit = p.inBit;
      break;
    }
  }
  if (!point) throw new LayerError('LAYER_CORRUPT', `peek index has no checkpoint before offset ${offset}`);
  const start = point.inBit >>> 3 === point.inBit / 8 ? point.inBit / 8 : Math.floor(point.inBit / 8);
  const end = endBit === undefined ? layer.compressedSize - 1 : Math.ceil(endBit / 8) - 1;
  const window = point.window >= 0 ? layer.windows[point.window] : undefined;
  if (point.window >= 0 && !window) throw new LayerError('LAYER_CORRUPT', `peek index lacks window ${point.window}`);
  return { start, end: Math.max(start, end), compression: layer.compression, point, window, offset, size };
}

/** One ranged GET of the blob. `status` 206 means the range was honoured; 200, the whole blob. */
export type RangeFetch = (
  start: number,
  end: number,
  signal?: AbortSignal,
) => Promise<{ status: number; body: ReadableStream<Uint8Array>; rangeStart?: number }>;

export interface PeekRead {
  bytes: Uint8Array;
  /** Compressed bytes received. */
  fetched: number;
  /** The server answered 200 with the whole blob: streamed from its start instead. */
  rangeIgnored: boolean;
  plan: ReadPlan;
}

export interface PeekReadOptions {
  /** The layer's digest, for messages. */
  layer?: string;
  path?: string;
  signal?: AbortSignal;
  /** Keep only the file's first `keep` bytes (a viewer's preview): the whole file is still read
   * and hashed as it streams past, so a preview is checked against the file's SHA-256 too. */
  keep?: number;
}

function changed(layer: string | undefined, path: string | undefined, why: string): LayerError {
  return new LayerError(
    'LAYER_FILE_MISMATCH',
    `${path ?? 'file'} in layer ${layer ?? 'blob'}: ${why}; the blob is not the one that was indexed`,
    layer,
    path,
  );
}

/** Reads one file through its plan and checks it against `sha256` (when given). */
export async function readPlanned(
  fetch: RangeFetch,
  plan: ReadPlan,
  sha256: Digest | undefined,
  opts: PeekReadOptions = {},
): Promise<PeekRead> {
  const { offset, size } = plan;
  const keep = Math.min(size, opts.keep ?? size);
  const bytes = new Uint8Array(keep);
  const hash = sha256 !== undefined ? createSha256() : undefined;
  if (size === 0) {
    return { bytes, fetched: 0, rangeIgnored: false, plan };
  }
  const res = await fetch(plan.start, plan.end, opts.signal);
  const rangeIgnored = res.status === 200;
  if (res.status === 206 && res.rangeStart !== undefined && res.rangeStart !== plan.start) {
    await res.body.cancel().catch(() => {});
    throw changed(opts.layer, opts.path, `the server sent bytes from ${res.rangeStart}, not ${plan.start}`);
  }
  const it = iteratorOf(res.body);
  let fetched = 0;
  let skip = rangeIgnored ? plan.start : 0;
  let filled = 0;
  const fileEnd = offset + size;
  let at = plan.point?.out ?? plan.start; // output offset of the next decoded byte
  const take = (piece: Uint8Array): void => {
    const from = Math.max(at, offset);
    const to = Math.min(at + piece.length, fileEnd);
    if (to > from) {
      const part = piece.subarray(from - at, to - at);
      hash?.update(part);
      if (from - offset < keep) bytes.set(part.subarray(0, keep - (from - offset)), from - offset);
      filled += to - from;
    }
    at += piece.length;
  };
  let inflater: Inflater | undefined;
  let zstd: ZstdDecompress | undefined;
  const zout: Uint8Array[] = [];
  if (plan.compression === 'gzip') {
    const p = plan.point!;
    inflater = new Inflater({
      start: p.window === -2 ? 'gzip' : 'deflate',
      skipBits: p.inBit & 7,
      ...(plan.window ? { dictionary: plan.window } : {}),
      inOffset: plan.start,
      outOffset: p.out,
    });
  } else if (plan.compression === 'zstd') {
    zstd = new ZstdDecompress((d) => {
      if (d.length) zout.push(d);
    });
  }
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      if (filled >= size) break;
      const r = await it.next();
      if (r.done) break;
      let c = r.value;
      fetched += c.length;
      if (skip > 0) {
        if (c.length <= skip) {
          skip -= c.length;
          continue;
        }
        c = c.subarray(skip);
        skip = 0;
      }
      if (inflater) {
        for (const p of inflater.push(c, false, fileEnd)) take(p);
      } else if (zstd) {
        for (let i = 0; i < c.length && filled < size; i += 4096) {
          zstd.push(c.subarray(i, i + 4096));
          while (zout.length) take(zout.shift()!);
        }
      } else {
        take(c);
      }
    }
  } catch (e) {
    if (
      e instanceof CompressionError ||
      (e instanceof Error && !(e instanceof LayerError) && e.name !== 'AbortError')
    ) {
      if (e instanceof CompressionError || /zstd|invalid/i.test(e.message)) {
        throw changed(opts.layer, opts.path, `it no longer decodes from the checkpoint (${e.message})`);
      }
    }
    throw e;
  } finally {
    await it.return?.().catch(() => {});
  }
  if (filled < size) throw changed(opts.layer, opts.path, `the blob ends before the file's last byte`);
  if (hash && sha256 !== undefined) {
    const got = hash.digest();
    if (got !== sha256) throw changed(opts.layer, opts.path, `its SHA-256 is ${got}, expected ${sha256}`);
  }
  return { bytes, fetched, rangeIgnored, plan };
}
