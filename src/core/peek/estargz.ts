/**
 * eStargz: a gzip layer that carries its own table of contents, so files open with Range
 * requests and no pass over the layer (containerd/stargz-snapshotter, docs/estargz.md).
 *
 *   [gzip member per file payload (chunk) …][TOC member: a tar holding stargz.index.json][footer]
 *
 * The footer is the last 51 bytes: an empty gzip member whose FEXTRA field ("SG", 22 bytes)
 * holds the TOC's offset as 16 hex digits followed by "STARGZ". Each regular file (or each
 * chunk of a large one) starts a gzip member at its TOC `offset`; that member, inflated,
 * begins with the chunk's `chunkSize` bytes (then tar padding and the next header). The TOC's
 * SHA-256 is the layer descriptor's annotation `containerd.io/snapshot/stargz/toc.digest`.
 *
 * Reading: one Range request for the footer, one for the TOC member (checked against the
 * annotation when given), then per chunk one Range request from its offset to the next
 * offset in the layer, inflated up to chunkSize and checked against its chunkDigest; the whole
 * file against its digest.
 */
import { CompressionError } from '../compression-error.ts';
import type { Digest } from '../digest.ts';
import type { EntryType, LayerEntry } from '../layer/entry.ts';
import { LayerError } from '../layer/errors.ts';
import { layerSize } from '../layer/size.ts';
import { createSha256 } from '../sha256.ts';
import { iteratorOf } from '../tar/bytes.ts';
import { readTar } from '../tar/reader.ts';
import type { PeekLayer } from './index-layer.ts';
import { Inflater } from './inflate.ts';
import type { RangeFetch } from './read.ts';

export const ESTARGZ_TOC_DIGEST_ANNOTATION = 'containerd.io/snapshot/stargz/toc.digest';
export const ESTARGZ_UNCOMPRESSED_SIZE_ANNOTATION = 'io.containers.estargz.uncompressed-size';
export const ESTARGZ_FOOTER_SIZE = 51;
export const ESTARGZ_TOC_NAME = 'stargz.index.json';
/** Largest TOC accepted, compressed and inflated (a layer of 1M files has a TOC of ~300 MB
 * of JSON: far beyond; real ones are a few MB). */
export const MAX_TOC_BYTES = 64 << 20;
/** Largest chunk accepted (the converter's default is 4 MiB). */
export const MAX_CHUNK_BYTES = 64 << 20;

export type TocEntryType = 'dir' | 'reg' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'chunk';

export interface TocEntry {
  name: string;
  type: TocEntryType;
  size?: number;
  modtime?: string;
  linkName?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  userName?: string;
  groupName?: string;
  offset?: number;
  chunkOffset?: number;
  chunkSize?: number;
  digest?: string;
  chunkDigest?: string;
  /** zstd:chunked: the compressed offset just past the entry's frames. */
  endOffset?: number;
  /** zstd:chunked: "zeros" marks a hole. */
  chunkType?: string;
  devMajor?: number;
  devMinor?: number;
  xattrs?: Record<string, string>;
}

export interface EstargzToc {
  /** Absent: eStargz; 'zstd:chunked': read by zstd-chunked.ts. */
  format?: 'zstd:chunked';
  version: number;
  entries: TocEntry[];
  /** Compressed offset of the TOC member (zstd:chunked: of the manifest). */
  tocOffset: number;
  /** SHA-256 of stargz.index.json. */
  tocDigest: Digest;
  /** Compressed bytes fetched to read the footer and the TOC. */
  fetched: number;
  requests: number;
}

function corrupt(layer: string | undefined, why: string): LayerError {
  return new LayerError('LAYER_CORRUPT', `eStargz layer ${layer ?? 'blob'}: ${why}`, layer);
}

/** The TOC offset from the 51-byte footer; undefined when it is not an eStargz footer. */
export function parseFooter(footer: Uint8Array): number | undefined {
  if (footer.length !== ESTARGZ_FOOTER_SIZE) return undefined;
  // gzip magic, deflate, FEXTRA; XLEN 26 = subfield "SG", length 22, then 16 hex + "STARGZ".
  if (footer[0] !== 0x1f || footer[1] !== 0x8b || footer[2] !== 8 || !((footer[3] ?? 0) & 4)) return undefined;
  const xlen = footer[10]! | (footer[11]! << 8);
  if (xlen !== 26 || footer[12] !== 0x53 || footer[13] !== 0x47) return undefined;
  const sublen = footer[14]! | (footer[15]! << 8);
  if (sublen !== 22) return undefined;
  const text = String.fromCharCode(...footer.subarray(16, 38));
  const m = /^([0-9a-f]{16})STARGZ$/.exec(text);
  if (!m) return undefined;
  const off = parseInt(m[1]!, 16);
  return Number.isSafeInteger(off) ? off : undefined;
}

export async function fetchAll(
  fetch: RangeFetch,
  start: number,
  end: number,
  max: number,
  layer: string | undefined,
  signal?: AbortSignal,
  kind = 'eStargz',
): Promise<{ bytes: Uint8Array; fetched: number }> {
  const res = await fetch(start, end, signal);
  if (res.status !== 206 || (res.rangeStart !== undefined && res.rangeStart !== start)) {
    await res.body.cancel().catch(() => {});
    throw new LayerError(
      'LAYER_CORRUPT',
      `${kind} layer ${layer ?? 'blob'}: the server did not answer the Range request ${start}-${end} (HTTP ${res.status})`,
      layer,
    );
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  const it = iteratorOf(res.body);
  try {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      n += r.value.length;
      if (n > max || n > end - start + 1)
        throw new LayerError(
          'LAYER_CORRUPT',
          `${kind} layer ${layer ?? 'blob'}: more bytes than asked for at ${start}-${end}`,
          layer,
        );
      parts.push(r.value);
    }
  } finally {
    await it.return?.().catch(() => {});
  }
  const bytes = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, fetched: n };
}

/** Inflates gzip member(s) up to `limit` output bytes. */
function gunzip(b: Uint8Array, limit: number, layer: string | undefined, what: string): Uint8Array {
  const inf = new Inflater();
  const out: Uint8Array[] = [];
  let n = 0;
  try {
    for (const p of inf.push(b, false, limit)) {
      out.push(p);
      n += p.length;
      if (n > MAX_TOC_BYTES + 258) throw corrupt(layer, `${what} inflates beyond ${MAX_TOC_BYTES} bytes`);
    }
  } catch (e) {
    if (e instanceof CompressionError) throw corrupt(layer, `${what}: ${e.message}`);
    throw e;
  }
  const all = new Uint8Array(Math.min(n, limit));
  let at = 0;
  for (const p of out) {
    const take = Math.min(p.length, all.length - at);
    all.set(p.subarray(0, take), at);
    at += take;
    if (at === all.length) break;
  }
  return all;
}

export function sha256Of(b: Uint8Array): Digest {
  const h = createSha256();
  h.update(b);
  return h.digest();
}

/**
 * Reads the TOC of an eStargz blob of `size` bytes with two Range requests. Returns undefined
 * when the blob has no eStargz footer (an ordinary gzip layer). `expectedTocDigest`: the
 * annotation's value; a TOC that does not match it fails with LAYER_CORRUPT.
 */
export async function readEstargzToc(
  fetch: RangeFetch,
  size: number,
  opts: { expectedTocDigest?: string; layer?: string; signal?: AbortSignal } = {},
): Promise<EstargzToc | undefined> {
  const { layer } = opts;
  if (size < ESTARGZ_FOOTER_SIZE) return undefined;
  const foot = await fetchAll(fetch, size - ESTARGZ_FOOTER_SIZE, size - 1, ESTARGZ_FOOTER_SIZE, layer, opts.signal);
  const tocOffset = parseFooter(foot.bytes);
  if (tocOffset === undefined) return undefined;
  const tocEnd = size - ESTARGZ_FOOTER_SIZE;
  if (tocOffset >= tocEnd) throw corrupt(layer, `TOC offset ${tocOffset} is past the footer`);
  if (tocEnd - tocOffset > MAX_TOC_BYTES) throw corrupt(layer, `TOC of ${tocEnd - tocOffset} bytes is over the limit`);
  const tocGz = await fetchAll(fetch, tocOffset, tocEnd - 1, MAX_TOC_BYTES, layer, opts.signal);
  const tocTar = gunzip(tocGz.bytes, MAX_TOC_BYTES, layer, 'TOC');
  let json: Uint8Array | undefined;
  for await (const entry of readTar([tocTar], { maxEntries: 4 })) {
    if (entry.header.path !== ESTARGZ_TOC_NAME || entry.header.type !== 'file') continue;
    const parts: Uint8Array[] = [];
    for await (const p of entry.body()) parts.push(p);
    json = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      json.set(p, at);
      at += p.length;
    }
  }
  if (!json) throw corrupt(layer, `no ${ESTARGZ_TOC_NAME} in the TOC member`);
  const tocDigest = sha256Of(json);
  if (opts.expectedTocDigest !== undefined && tocDigest !== opts.expectedTocDigest) {
    throw corrupt(layer, `TOC digest is ${tocDigest}, the annotation says ${opts.expectedTocDigest}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(json));
  } catch (e) {
    throw corrupt(layer, `TOC is not JSON (${(e as Error).message})`);
  }
  const p = parsed as { version?: unknown; entries?: unknown };
  if (typeof p !== 'object' || p === null || !Array.isArray(p.entries) || typeof p.version !== 'number') {
    throw corrupt(layer, 'TOC has no entries');
  }
  const entries = p.entries as TocEntry[];
  for (const [i, e] of entries.entries()) {
    if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof e.type !== 'string') {
      throw corrupt(layer, `TOC entry ${i} has no name or type`);
    }
    for (const k of ['size', 'offset', 'chunkOffset', 'chunkSize'] as const) {
      const v = e[k];
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0))
        throw corrupt(layer, `TOC entry ${e.name}: bad ${k}`);
    }
    if (e.offset !== undefined && e.offset >= tocOffset)
      throw corrupt(layer, `TOC entry ${e.name}: offset past the TOC`);
  }
  return {
    version: p.version,
    entries,
    tocOffset,
    tocDigest,
    fetched: foot.fetched + tocGz.fetched,
    requests: 2,
  };
}

export interface EstargzRead {
  bytes: Uint8Array;
  fetched: number;
  requests: number;
}

/**
 * Reads one regular file (its `reg` entry and the `chunk` entries that follow it) with one
 * Range request per chunk, each chunk checked against its chunkDigest and the file against
 * its digest (LAYER_FILE_MISMATCH).
 */
export async function readEstargzFile(
  fetch: RangeFetch,
  toc: EstargzToc,
  name: string,
  opts: { layer?: string; signal?: AbortSignal } = {},
): Promise<EstargzRead> {
  const { layer } = opts;
  const norm = (n: string): string => n.replace(/^\.?\//, '');
  const i = toc.entries.findIndex((e) => e.type === 'reg' && norm(e.name) === norm(name));
  const file = toc.entries[i];
  if (!file)
    throw new LayerError('LAYER_CORRUPT', `eStargz layer ${layer ?? 'blob'}: no file ${name} in its TOC`, layer);
  const size = file.size ?? 0;
  if (size > 0 && file.offset === undefined) throw corrupt(layer, `${name} has no offset`);
  const chunks = [file];
  for (let k = i + 1; k < toc.entries.length && toc.entries[k]!.type === 'chunk'; k++) chunks.push(toc.entries[k]!);
  const offsets = [...new Set(toc.entries.map((e) => e.offset).filter((o): o is number => o !== undefined))].sort(
    (a, b) => a - b,
  );
  const nextOffset = (o: number): number => {
    let lo = 0;
    let hi = offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid]! <= o) lo = mid + 1;
      else hi = mid;
    }
    return offsets[lo] ?? toc.tocOffset;
  };
  const bytes = new Uint8Array(size);
  let fetched = 0;
  let requests = 0;
  const mismatch = (why: string): LayerError =>
    new LayerError('LAYER_FILE_MISMATCH', `${name} in layer ${layer ?? 'blob'}: ${why}`, layer, name);
  for (const c of chunks) {
    if (size === 0) break;
    const chunkOffset = c.chunkOffset ?? 0;
    // No chunkSize (the last chunk, or a file of one chunk): up to the file's end.
    const chunkSize = c.chunkSize ? c.chunkSize : size - chunkOffset;
    if (c.offset === undefined || chunkSize <= 0 || chunkSize > MAX_CHUNK_BYTES || chunkOffset + chunkSize > size) {
      throw corrupt(layer, `${name}: bad chunk at ${chunkOffset}`);
    }
    const end = nextOffset(c.offset) - 1;
    const got = await fetchAll(fetch, c.offset, end, MAX_CHUNK_BYTES + (64 << 10), layer, opts.signal);
    fetched += got.fetched;
    requests++;
    const plain = gunzip(got.bytes, chunkSize, layer, `${name} chunk at ${chunkOffset}`);
    if (plain.length < chunkSize)
      throw mismatch(`chunk at ${chunkOffset} inflates to ${plain.length} bytes, not ${chunkSize}`);
    if (c.chunkDigest !== undefined && sha256Of(plain) !== c.chunkDigest) {
      throw mismatch(`chunk at ${chunkOffset} does not match its chunkDigest`);
    }
    bytes.set(plain, chunkOffset);
  }
  if (file.digest !== undefined && sha256Of(bytes) !== file.digest) throw mismatch(`its SHA-256 is not ${file.digest}`);
  return { bytes, fetched, requests };
}

const TOC_TYPES: Partial<Record<TocEntryType, EntryType>> = {
  reg: 'file',
  dir: 'dir',
  symlink: 'symlink',
  hardlink: 'hardlink',
  char: 'char',
  block: 'block',
  fifo: 'fifo',
};

const normName = (n: string): string => n.replace(/^(\.?\/)+/, '').replace(/\/+$/, '');

/**
 * The peek index of an eStargz layer, from its TOC alone (no pass over the layer): entries in
 * the layerIndex format (a regular file's `offset` is its first chunk's compressed offset, the
 * key readFile looks it up by), each file's SHA-256 from the TOC, no access points: files are
 * read through the TOC. The diff_id cannot be checked without a pass: the config's is kept;
 * the TOC itself is checked against the annotation in the (digest-checked) manifest.
 */
export function peekLayerFromToc(
  toc: EstargzToc,
  meta: { digest: Digest; diffId: Digest; compressedSize: number; uncompressedSize: number },
): PeekLayer {
  const entries: LayerEntry[] = [];
  const hashes: Uint8Array[] = [];
  for (const e of toc.entries) {
    const type = TOC_TYPES[e.type];
    if (!type) continue; // chunks
    const path = normName(e.name);
    if (path === '' && type === 'dir') continue; // the root
    const t = e.modtime ? Date.parse(e.modtime) : 0;
    const entry: LayerEntry = {
      path,
      type,
      mode: (e.mode ?? 0) & 0o7777,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      size: type === 'file' ? (e.size ?? 0) : 0,
      mtime: Number.isFinite(t) ? Math.floor(t / 1000) : 0,
      offset: type === 'file' ? (e.offset ?? 0) : 0,
    };
    if (e.linkName !== undefined && (type === 'symlink' || type === 'hardlink')) {
      entry.linkname = type === 'hardlink' ? normName(e.linkName) : e.linkName;
    }
    if (e.userName) entry.uname = e.userName;
    if (e.groupName) entry.gname = e.groupName;
    if (type === 'char' || type === 'block') {
      entry.devmajor = e.devMajor ?? 0;
      entry.devminor = e.devMinor ?? 0;
    }
    if (e.xattrs && Object.keys(e.xattrs).length) entry.xattrs = e.xattrs;
    entries.push(entry);
    if (type === 'file') {
      const h = new Uint8Array(32);
      const m = /^sha256:([0-9a-f]{64})$/.exec(e.digest ?? '');
      if (m) for (let i = 0; i < 32; i++) h[i] = parseInt(m[1]!.slice(i * 2, i * 2 + 2), 16);
      hashes.push(h);
    }
  }
  const fileHashes = new Uint8Array(hashes.length * 32);
  hashes.forEach((h, i) => fileHashes.set(h, i * 32));
  return {
    digest: meta.digest,
    diffId: meta.diffId,
    compression: toc.format === 'zstd:chunked' ? 'zstd' : 'gzip',
    compressedSize: meta.compressedSize,
    uncompressedSize: meta.uncompressedSize,
    size: layerSize(entries),
    entries,
    fileHashes,
    points: [],
    windows: [],
    toc,
  };
}

/** The TOC entry of the regular file whose first chunk is at `offset` (peekLayerFromToc's key). */
export function tocFileAt(toc: EstargzToc, offset: number): TocEntry | undefined {
  return toc.entries.find((e) => e.type === 'reg' && e.offset === offset);
}
