/**
 * zstd:chunked (containers/storage pkg/chunked): a zstd layer whose every regular file's
 * content is its own run of zstd frames, with a table of contents (the "manifest", CRFS JSON
 * as in eStargz plus `endOffset`) in a skippable frame near the end, so files open with Range
 * requests and no pass over the layer.
 *
 *   [frames: tar headers | file content … ][skippable: zstd manifest][skippable: tar-split][skippable: footer]
 *
 * The manifest's place is the layer descriptor's annotation `…zstd-chunked.manifest-position`
 * ("offset:compressedLength:uncompressedLength:type", type 1), and the SHA-256 of its
 * compressed bytes is `…zstd-chunked.manifest-checksum`. The annotations are
 * `io.github.containers.zstd-chunked.*` in current containers/storage and
 * `io.containers.zstd-chunked.*` in older ones (Podman 4.3). Without them, the footer says the
 * same: a skippable frame (magic 0x184D2A50) of 64 bytes ending in "GNUlInUx" (manifest
 * offset, lengths, type, tar-split offset and lengths) or, in the older layout, of 40 bytes
 * ending in "GnUlInUx" (manifest offset, lengths, type).
 *
 * Reading: one Range request for the manifest (checked against the checksum annotation when
 * given; one more for the footer when not), then per file one Range request from its `offset`
 * to its `endOffset`, decompressed to `size` bytes; each chunk (the `reg` entry and the `chunk`
 * entries after it, cut at `chunkOffset`/`chunkSize`) checked against its `chunkDigest`, the
 * file against its `digest`.
 */
import { CompressionError, decompress } from '../compression.ts';
import { LayerError } from '../layer/errors.ts';
import {
  MAX_CHUNK_BYTES,
  MAX_TOC_BYTES,
  fetchAll,
  sha256Of,
  type EstargzRead,
  type EstargzToc,
  type TocEntry,
} from './estargz.ts';
import type { RangeFetch } from './read.ts';

const PREFIXES = ['io.github.containers.zstd-chunked.', 'io.containers.zstd-chunked.'];
export const ZSTD_CHUNKED_POSITION_ANNOTATIONS = PREFIXES.map((p) => `${p}manifest-position`);
export const ZSTD_CHUNKED_CHECKSUM_ANNOTATIONS = PREFIXES.map((p) => `${p}manifest-checksum`);
/** Largest file read in one request (its compressed frames). */
export const MAX_ZSTD_CHUNKED_FILE = 1 << 30;

export interface ZstdChunkedPosition {
  offset: number;
  compressedLength: number;
  uncompressedLength: number;
  type: number;
}

function corrupt(layer: string | undefined, why: string): LayerError {
  return new LayerError('LAYER_CORRUPT', `zstd:chunked layer ${layer ?? 'blob'}: ${why}`, layer);
}

/** The manifest's position from the annotations; undefined when the layer has none. */
export function zstdChunkedAnnotations(
  annotations: Record<string, string> | undefined,
): { position: ZstdChunkedPosition; checksum?: string } | undefined {
  if (!annotations) return undefined;
  for (const [i, key] of ZSTD_CHUNKED_POSITION_ANNOTATIONS.entries()) {
    const v = annotations[key];
    if (v === undefined) continue;
    const parts = v.split(':');
    const n = parts.map((p) => (/^\d{1,15}$/.test(p) ? Number(p) : NaN));
    if (n.length !== 4 || n.some((x) => !Number.isSafeInteger(x))) return undefined;
    const checksum = annotations[ZSTD_CHUNKED_CHECKSUM_ANNOTATIONS[i]!];
    return {
      position: { offset: n[0]!, compressedLength: n[1]!, uncompressedLength: n[2]!, type: n[3]! },
      ...(checksum !== undefined ? { checksum } : {}),
    };
  }
  return undefined;
}

const u64 = (b: Uint8Array, at: number): number => {
  const v = new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? NaN : Number(v);
};

/** The manifest's position from the last 72 bytes of the layer; undefined when no footer. */
export function parseZstdChunkedFooter(tail: Uint8Array): ZstdChunkedPosition | undefined {
  const magic = new TextDecoder().decode(tail.subarray(tail.length - 8));
  const size = magic === 'GNUlInUx' ? 72 : magic === 'GnUlInUx' ? 48 : 0;
  if (!size || tail.length < size) return undefined;
  const f = tail.subarray(tail.length - size);
  const skippable = f[0] === 0x50 && f[1] === 0x2a && f[2] === 0x4d && f[3] === 0x18;
  const frameSize = new DataView(f.buffer, f.byteOffset + 4, 4).getUint32(0, true);
  if (!skippable || frameSize !== size - 8) return undefined;
  const pos = { offset: u64(f, 8), compressedLength: u64(f, 16), uncompressedLength: u64(f, 24), type: u64(f, 32) };
  return Object.values(pos).every(Number.isSafeInteger) ? pos : undefined;
}

/** zstd frames to at most `limit` bytes (one more is asked for, to see an overlong stream). */
async function unzstd(b: Uint8Array, limit: number, layer: string | undefined, what: string): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  let n = 0;
  try {
    for await (const p of decompress([b], 'zstd')) {
      out.push(p);
      n += p.length;
      if (n > limit) break;
    }
  } catch (e) {
    if (e instanceof CompressionError || (e instanceof Error && /zstd|invalid/i.test(e.message)))
      throw corrupt(layer, `${what}: ${e.message}`);
    throw e;
  }
  const all = new Uint8Array(n);
  let at = 0;
  for (const p of out) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/**
 * Reads the manifest of a zstd:chunked blob of `size` bytes: from the annotations when given
 * (one Range request, the compressed bytes checked against the checksum), else from the footer
 * (two). Returns undefined when neither says zstd:chunked. The result has the eStargz TOC's
 * shape (`format: 'zstd:chunked'`), so it is stored and indexed the same way.
 */
export async function readZstdChunkedToc(
  fetch: RangeFetch,
  size: number,
  opts: { annotations?: Record<string, string>; layer?: string; signal?: AbortSignal } = {},
): Promise<EstargzToc | undefined> {
  const { layer } = opts;
  const ann = zstdChunkedAnnotations(opts.annotations);
  let position = ann?.position;
  let fetched = 0;
  let requests = 0;
  if (!position) {
    if (size < 48) return undefined;
    const start = Math.max(0, size - 72);
    const tail = await fetchAll(fetch, start, size - 1, 72, layer, opts.signal, 'zstd:chunked');
    fetched += tail.fetched;
    requests++;
    position = parseZstdChunkedFooter(tail.bytes);
    if (!position) return undefined;
  }
  const { offset, compressedLength, uncompressedLength, type } = position;
  if (type !== 1) throw corrupt(layer, `manifest type ${type} is not 1 (CRFS JSON)`);
  if (compressedLength === 0 || offset + compressedLength > size)
    throw corrupt(layer, `manifest at ${offset}+${compressedLength} is outside the ${size}-byte blob`);
  if (compressedLength > MAX_TOC_BYTES || uncompressedLength > MAX_TOC_BYTES)
    throw corrupt(layer, `manifest of ${Math.max(compressedLength, uncompressedLength)} bytes is over the limit`);
  const got = await fetchAll(
    fetch,
    offset,
    offset + compressedLength - 1,
    MAX_TOC_BYTES,
    layer,
    opts.signal,
    'zstd:chunked',
  );
  fetched += got.fetched;
  requests++;
  const tocDigest = sha256Of(got.bytes);
  if (ann?.checksum !== undefined && tocDigest !== ann.checksum)
    throw corrupt(layer, `manifest checksum is ${tocDigest}, the annotation says ${ann.checksum}`);
  const json = await unzstd(got.bytes, MAX_TOC_BYTES, layer, 'manifest');
  if (json.length !== uncompressedLength)
    throw corrupt(layer, `manifest decompresses to ${json.length} bytes, not ${uncompressedLength}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(json));
  } catch (e) {
    throw corrupt(layer, `manifest is not JSON (${(e as Error).message})`);
  }
  const p = parsed as { version?: unknown; entries?: unknown };
  if (typeof p !== 'object' || p === null || !Array.isArray(p.entries) || typeof p.version !== 'number')
    throw corrupt(layer, 'manifest has no entries');
  const entries = p.entries as TocEntry[];
  for (const [i, e] of entries.entries()) {
    if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof e.type !== 'string')
      throw corrupt(layer, `manifest entry ${i} has no name or type`);
    for (const k of ['size', 'offset', 'endOffset', 'chunkOffset', 'chunkSize'] as const) {
      const v = e[k];
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw corrupt(layer, `entry ${e.name}: bad ${k}`);
    }
    if ((e.offset !== undefined && e.offset > offset) || (e.endOffset !== undefined && e.endOffset > offset))
      throw corrupt(layer, `entry ${e.name}: offset past the manifest`);
  }
  return { format: 'zstd:chunked', version: p.version, entries, tocOffset: offset, tocDigest, fetched, requests };
}

/**
 * Reads one regular file with one Range request (its `offset` to `endOffset`), each chunk
 * checked against its chunkDigest and the file against its digest (LAYER_FILE_MISMATCH).
 */
export async function readZstdChunkedFile(
  fetch: RangeFetch,
  toc: EstargzToc,
  name: string,
  opts: { layer?: string; signal?: AbortSignal } = {},
): Promise<EstargzRead> {
  const { layer } = opts;
  const norm = (n: string): string => n.replace(/^\.?\//, '');
  const i = toc.entries.findIndex((e) => e.type === 'reg' && norm(e.name) === norm(name));
  const file = toc.entries[i];
  if (!file) throw corrupt(layer, `no file ${name} in its manifest`);
  const size = file.size ?? 0;
  if (size === 0) return { bytes: new Uint8Array(0), fetched: 0, requests: 0 };
  const mismatch = (why: string): LayerError =>
    new LayerError('LAYER_FILE_MISMATCH', `${name} in layer ${layer ?? 'blob'}: ${why}`, layer, name);
  const { offset, endOffset } = file;
  if (offset === undefined || endOffset === undefined || endOffset <= offset)
    throw corrupt(layer, `${name} has no offset and endOffset`);
  if (endOffset - offset > MAX_ZSTD_CHUNKED_FILE || size > MAX_ZSTD_CHUNKED_FILE)
    throw corrupt(layer, `${name}: ${endOffset - offset} compressed bytes is over the limit`);
  const got = await fetchAll(fetch, offset, endOffset - 1, endOffset - offset, layer, opts.signal, 'zstd:chunked');
  let bytes: Uint8Array;
  try {
    bytes = await unzstd(got.bytes, size, layer, name);
  } catch (e) {
    if (e instanceof LayerError) throw mismatch(`it no longer decompresses (${e.message})`);
    throw e;
  }
  if (bytes.length !== size) throw mismatch(`it decompresses to ${bytes.length} bytes, not ${size}`);
  const chunks = [file];
  for (let k = i + 1; k < toc.entries.length && toc.entries[k]!.type === 'chunk'; k++) chunks.push(toc.entries[k]!);
  for (const [k, c] of chunks.entries()) {
    if (c.chunkDigest === undefined) continue;
    const from = c.chunkOffset ?? 0;
    const to = c.chunkSize ? from + c.chunkSize : (chunks[k + 1]?.chunkOffset ?? size);
    if (to > size || to <= from || to - from > MAX_CHUNK_BYTES) throw corrupt(layer, `${name}: bad chunk at ${from}`);
    if (sha256Of(bytes.subarray(from, to)) !== c.chunkDigest)
      throw mismatch(`chunk at ${from} does not match its chunkDigest`);
  }
  if (file.digest !== undefined && sha256Of(bytes) !== file.digest) throw mismatch(`its SHA-256 is not ${file.digest}`);
  return { bytes, fetched: got.fetched, requests: 1 };
}
