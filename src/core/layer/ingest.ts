/**
 * One streaming pass per layer blob (docs/ARCHITECTURE.md, "The pull path"):
 *   blob ─┬─▶ sha256 (digest) ─▶ onChunk (the caller stores it)
 *         └─▶ decompress ─┬─▶ sha256 (diff_id)
 *                         └─▶ tar reader ─▶ entries
 * Digest and diff_id mismatches are thrown after the stream ends (the caller then discards
 * what it wrote); tar and decompression errors as soon as they are found. Memory is bounded by
 * chunk sizes and the index itself, never by the layer size.
 */
import {
  CompressionError,
  decompress,
  nativeGzipHandlesMembers,
  sniffSource,
  type Compression,
  type DecompressOptions,
} from '../compression.ts';
import type { Digest } from '../digest.ts';
import { createSha256 } from '../sha256.ts';
import { ByteReader, iteratorOf, streamOf, type ByteSource } from '../tar/bytes.ts';
import { TarError } from '../tar/errors.ts';
import { scanTar, type TarReadOptions } from '../tar/reader.ts';
import type { LayerEntry } from './entry.ts';
import { LayerError } from './errors.ts';
import { layerSize } from './size.ts';
import { LIMITS } from '../limits.ts';
import { isCapturedPath, type CapturedFile } from '../packages/locate.ts';

export interface IngestOptions extends DecompressOptions {
  expectedDigest?: Digest;
  expectedDiffId?: Digest;
  /** Compressed size from the manifest; more bytes than this stop the pull at once. */
  expectedSize?: number;
  /** Each compressed chunk, awaited (backpressure). */
  onChunk?: (compressedChunk: Uint8Array) => void | Promise<void>;
  onProgress?: (compressedBytes: number) => void;
  signal?: AbortSignal;
  /** Entries one layer may hold (TAR_LIMIT beyond); default DEFAULT_MAX_LAYER_ENTRIES. */
  maxEntries?: number;
  /** Bytes one layer may decompress to (LAYER_LIMIT beyond); default DEFAULT_MAX_LAYER_BYTES. */
  maxUncompressedBytes?: number;
  maxPaxSize?: number;
  maxLongNameSize?: number;
  /**
   * Re-reads the same blob (e.g. from the chunks onChunk stored). Given it, gzip layers take the
   * platform's native DecompressionStream everywhere; where that fails on a multi-member gzip
   * (Chromium), the digest pass completes and the blob is indexed again with fflate from here.
   * Without it, such platforms use fflate from the start (about 1.5–2× slower to gunzip).
   */
  reread?: () => ReadableStream<Uint8Array>;
  /**
   * Makes the SHA-256 for the digest and the diff_id, e.g. one that runs in another worker
   * beside the decompression (src/workers/hasher.ts). Default: src/core/sha256.ts in this thread.
   */
  hasher?: () => AsyncHasher;
  /**
   * Which regular files' bytes to keep while the tar is indexed (`captured` of the result),
   * within LIMITS.packageCapture. Default: the package databases and os-release files the
   * Packages tab reads (src/core/packages/locate.ts); `null` keeps none.
   */
  capture?: ((path: string) => boolean) | null;
}

/**
 * A streaming SHA-256 that may run elsewhere. `update` may keep nothing of `chunk` after it
 * returns (producers reuse buffers; the chunk also goes on to the tar reader and onChunk): a
 * hasher that sends bytes away copies them first. A promise from `update` is backpressure:
 * ingest awaits it before the next chunk. `digest` covers every byte in `update` order.
 */
export interface AsyncHasher {
  update(chunk: Uint8Array): void | Promise<void>;
  digest(): Promise<Digest>;
  /** Frees the hasher's state when ingest stops before `digest` (an error, an abort). */
  dispose?(): void;
}

/** The default hasher as an AsyncHasher (src/core/sha256.ts, in this thread). */
export function inThreadHasher(): AsyncHasher {
  const h = createSha256();
  return { update: (c) => h.update(c), digest: async () => h.digest() };
}

/** What ingest needs of a hash: the in-thread one as is (no promise per chunk), or an AsyncHasher. */
interface Hash {
  update(chunk: Uint8Array): void | Promise<void>;
  digest(): Digest | Promise<Digest>;
  dispose?(): void;
}

export interface LayerIngest {
  digest: Digest;
  diffId: Digest;
  compression: Compression;
  compressedSize: number;
  uncompressedSize: number;
  /** Docker's layer size (see size.ts). */
  size: number;
  entries: LayerEntry[];
  /** Bytes of the files `capture` chose (by the default, package databases), in tar order;
   * files over LIMITS.packageCapture are left out. */
  captured: CapturedFile[];
}

/**
 * Bounds on what one layer may expand to, so a small hostile blob cannot cost minutes of CPU or
 * gigabytes of memory (a decompression bomb, a tar of millions of empty files). Well above real
 * images: the largest public layers (CUDA, ML frameworks, full TeX Live) are a few GiB and a few
 * hundred thousand files.
 */
export const DEFAULT_MAX_LAYER_BYTES = 32 * 2 ** 30;
export const DEFAULT_MAX_LAYER_ENTRIES = 1_000_000;

/** `32 GiB`, `1.5 GiB`, `512 MiB`, or bytes. */
export function formatLimitBytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (n >= size) return `${Number((n / size).toFixed(2))} ${unit}`;
  }
  return `${n} bytes`;
}

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

export async function ingestLayer(blob: ReadableStream<Uint8Array>, opts: IngestOptions = {}): Promise<LayerIngest> {
  const hashes: Hash[] = [];
  const newHash = (): Hash => {
    const h: Hash = opts.hasher ? opts.hasher() : createSha256();
    hashes.push(h);
    return h;
  };
  try {
    return await ingestWith(blob, opts, newHash);
  } finally {
    // After digest() this is a no-op; before it (an error), it frees a worker's state.
    for (const h of hashes) h.dispose?.();
  }
}

async function ingestWith(
  blob: ReadableStream<Uint8Array>,
  opts: IngestOptions,
  newHash: () => Hash,
): Promise<LayerIngest> {
  const name = opts.expectedDigest ?? 'blob';
  const digestHash = newHash();
  let digestOnce: Promise<Digest> | undefined;
  let compressedSize = 0;
  const blobIt = iteratorOf(blob);

  // An error of the blob itself, of onChunk (a full disk) or of the size check: the decoder
  // downstream may report it as corrupt data, but it is this error that ends the ingest (never
  // a reason to re-read with another decoder).
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
        if (opts.onChunk) await opts.onChunk(c);
        opts.onProgress?.(compressedSize);
        yield c;
      }
    } catch (e) {
      sourceError ??= { error: e };
      throw e;
    }
  }

  const tarOpts: TarReadOptions = { maxEntries: opts.maxEntries ?? DEFAULT_MAX_LAYER_ENTRIES };
  if (opts.maxPaxSize !== undefined) tarOpts.maxPaxSize = opts.maxPaxSize;
  if (opts.maxLongNameSize !== undefined) tarOpts.maxLongNameSize = opts.maxLongNameSize;
  if (opts.signal) tarOpts.signal = opts.signal;

  const maxBytes = opts.maxUncompressedBytes ?? DEFAULT_MAX_LAYER_BYTES;
  const expansion = (size: number): void => {
    if (size > maxBytes) {
      throw new LayerError(
        'LAYER_LIMIT',
        `layer ${name}: expands beyond ${formatLimitBytes(maxBytes)} when decompressed (the limit on one layer's decompressed size)`,
        name,
      );
    }
  };
  const capture = opts.capture === undefined ? isCapturedPath : opts.capture;
  const comp = compressed();
  let compression: Compression = 'none';
  let plainIt: AsyncIterator<Uint8Array> | undefined;
  let index: PlainIndex;
  // Without a way to re-read the blob, a platform whose DecompressionStream fails on multi-member
  // gzip (Chromium) uses fflate from the start; with one, it takes the native path and, on
  // failure, finishes the digest pass and indexes again from the stored bytes with fflate.
  const nativeOk = opts.gzip === undefined || opts.gzip === 'auto' ? await nativeGzipHandlesMembers() : true;
  const gzip = opts.gzip && opts.gzip !== 'auto' ? opts.gzip : nativeOk || opts.reread ? 'native' : 'fflate';
  try {
    const sniffed = await sniffSource(comp);
    compression = sniffed.compression;
    const plain = decompress(sniffed.source, compression, { ...opts, gzip });
    plainIt = plain;
    // Uncompressed layer: the diff_id is the digest; hashing the same bytes twice would double
    // the dominant cost.
    index = await indexPlain(plain, compression !== 'none' ? newHash() : undefined, tarOpts, expansion, capture);
  } catch (e) {
    await plainIt?.return?.(undefined).catch(() => {});
    if (sourceError) {
      await blobIt.return?.().catch(() => {});
      throw wrap(sourceError.error, name);
    }
    const retry =
      e instanceof CompressionError && compression === 'gzip' && gzip === 'native' && !nativeOk && opts.reread;
    if (!retry) {
      await blobIt.return?.().catch(() => {});
      throw wrap(e, name);
    }
    try {
      // The rest of the blob still goes through the digest and onChunk (queued after any
      // pending step of the generator), so the stored copy is complete.
      for (let r = await comp.next(); !r.done; r = await comp.next());
      await checkCompressed();
      const again = opts.reread!();
      const { source } = await sniffSource(iteratorOf(again));
      index = await indexPlain(
        decompress(source, 'gzip', { ...opts, gzip: 'fflate' }),
        newHash(),
        tarOpts,
        expansion,
        capture,
      );
    } catch (e2) {
      await blobIt.return?.().catch(() => {});
      throw wrap(e2, name);
    }
  }

  const digest = await checkCompressed();
  const diffId = index.diffId ?? digest;
  if (opts.expectedDiffId !== undefined && diffId !== opts.expectedDiffId) {
    throw new LayerError(
      'LAYER_DIFFID_MISMATCH',
      `layer ${name}: diff_id is ${diffId}, expected ${opts.expectedDiffId}`,
      name,
    );
  }
  const { entries, uncompressedSize, captured } = index;
  return {
    digest,
    diffId,
    compression,
    compressedSize,
    uncompressedSize,
    size: layerSize(entries),
    entries,
    captured,
  };

  async function checkCompressed(): Promise<Digest> {
    if (opts.expectedSize !== undefined && compressedSize !== opts.expectedSize) {
      throw new LayerError(
        'LAYER_SIZE_MISMATCH',
        `layer ${name}: ${compressedSize} bytes, expected ${opts.expectedSize}`,
        name,
      );
    }
    // Called twice on the reread path; the hash is finished once.
    const digest = await (digestOnce ??= Promise.resolve(digestHash.digest()));
    if (opts.expectedDigest !== undefined && digest !== opts.expectedDigest) {
      throw new LayerError('LAYER_DIGEST_MISMATCH', `layer ${name}: digest is ${digest}`, name);
    }
    return digest;
  }
}

interface PlainIndex {
  entries: LayerEntry[];
  captured: CapturedFile[];
  diffId: Digest | undefined;
  uncompressedSize: number;
}

/** Hashes the decompressed stream (diff_id) and indexes its tar, in one pass. */
async function indexPlain(
  plain: AsyncIterator<Uint8Array>,
  diffHash: Hash | undefined,
  tarOpts: TarReadOptions,
  checkSize: (uncompressedSize: number) => void,
  capture: ((path: string) => boolean) | null,
): Promise<PlainIndex> {
  let uncompressedSize = 0;
  // A plain iterator rather than an async generator: one hop less per chunk. It has no
  // return(), so scanTar leaves the bytes after the end-of-archive to us.
  const hashed: AsyncIterator<Uint8Array> = {
    async next() {
      const r = await plain.next();
      if (r.done) return r;
      checkSize(uncompressedSize + r.value.length);
      if (diffHash) {
        const pending = diffHash.update(r.value);
        if (pending) await pending;
      }
      uncompressedSize += r.value.length;
      return r;
    },
  };
  const entries: LayerEntry[] = [];
  const captured: CapturedFile[] = [];
  let capturedBytes = 0;
  const { fileBytes, layerBytes } = LIMITS.packageCapture;
  await scanTar(
    { [Symbol.asyncIterator]: () => hashed },
    tarOpts,
    (e) => entries.push(e),
    capture
      ? (e) => {
          if (e.type !== 'file' || e.size > fileBytes || capturedBytes + e.size > layerBytes || !capture(e.path))
            return undefined;
          capturedBytes += e.size;
          return (bytes) => void captured.push({ path: e.path, offset: e.offset, bytes });
        }
      : undefined,
  );
  // The diff_id covers the whole decompressed stream, padding past end-of-archive included.
  for (let r = await hashed.next(); !r.done; r = await hashed.next());
  // Uncompressed: none here, the caller takes the digest (diff_id = digest).
  return { entries, captured, diffId: diffHash ? await diffHash.digest() : undefined, uncompressedSize };
}

export interface ReadFileOptions extends DecompressOptions {
  /** Refuse files larger than this (LAYER_LIMIT); default 64 MiB. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_FILE_BYTES = 64 << 20;

/** The file's bytes as pieces: decompress up to `offset`, skip (no buffering), read `size`. */
async function* fileBytes(
  blob: ByteSource,
  entry: { offset: number; size: number },
  opts: ReadFileOptions,
): AsyncGenerator<Uint8Array> {
  const blobIt = iteratorOf(blob);
  let plain: AsyncGenerator<Uint8Array> | undefined;
  try {
    const { compression, source } = await sniffSource(blobIt);
    plain = decompress(source, compression, opts);
    const r = new ByteReader(plain);
    if ((await r.skip(entry.offset)) < entry.offset) {
      throw new LayerError('TAR_TRUNCATED', `layer ends before offset ${entry.offset}`);
    }
    let left = entry.size;
    while (left > 0) {
      opts.signal?.throwIfAborted();
      const p = await r.piece(left);
      if (p.length === 0) throw new LayerError('TAR_TRUNCATED', `layer ends inside the file at offset ${entry.offset}`);
      left -= p.length;
      yield p;
    }
  } catch (e) {
    throw wrap(e, 'blob');
  } finally {
    // We stop reading here: cancel the rest of the blob.
    await plain?.return(undefined).catch(() => {});
    await blobIt.return?.().catch(() => {});
  }
}

export async function readFileFromLayer(
  blob: ReadableStream<Uint8Array>,
  entry: { offset: number; size: number },
  opts: ReadFileOptions = {},
): Promise<Uint8Array> {
  const max = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (entry.size > max) {
    await blob.cancel().catch(() => {});
    throw new LayerError('LAYER_LIMIT', `file of ${entry.size} bytes exceeds the limit of ${max}`);
  }
  const out = new Uint8Array(entry.size);
  let at = 0;
  for await (const p of fileBytes(blob, entry, opts)) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The file as a stream, for files too large to hold. Cancelling it cancels the blob. */
export function streamFileFromLayer(
  blob: ReadableStream<Uint8Array>,
  entry: { offset: number; size: number },
  opts: ReadFileOptions = {},
): ReadableStream<Uint8Array> {
  return streamOf(fileBytes(blob, entry, opts));
}
