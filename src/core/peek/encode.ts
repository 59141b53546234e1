/**
 * A peeked layer as stored: its figures in plain fields, and everything else (the entry index
 * in the layerIndex format of layer/entry.ts, the file hashes, the access points and the
 * checkpoint windows) packed into one deflated byte array. The windows are 32 KiB of tar
 * stream each and the index is mostly paths, which deflate shrinks several times: this is
 * what keeps a peek index near 1% of the compressed layer (README, "Peek", has the figures).
 */
import { deflateSync, inflateSync } from 'fflate';
import type { Compression } from '../compression.ts';
import type { Digest } from '../digest.ts';
import { decodeLayerIndex, encodeLayerIndex, type EncodedLayerIndex } from '../layer/entry.ts';
import { LayerError } from '../layer/errors.ts';
import type { AccessPoint, PeekLayer } from './index-layer.ts';

const PEEK_INDEX_VERSION = 1;

export interface StoredPeekLayer {
  version: 1;
  digest: Digest;
  diffId: Digest;
  compression: Compression;
  compressedSize: number;
  uncompressedSize: number;
  size: number;
  entryCount: number;
  checkpointCount: number;
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
  kind: Kind;
  bytes: number;
}

/** Largest inflated pack accepted (a stored record is ours, but bound it anyway). */
const MAX_PACK = 1 << 30;

export function encodePeekLayer(layer: PeekLayer): StoredPeekLayer {
  const idx = encodeLayerIndex(layer.entries);
  const parts: Part[] = [];
  const data: Uint8Array[] = [];
  const add = (name: string, arr: ArrayBufferView): void => {
    const kind = arr.constructor.name as Kind;
    parts.push({ name, kind, bytes: arr.byteLength });
    data.push(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  };
  for (const n of INDEX_ARRAYS) add(n, idx[n]);
  // JSON keeps lone surrogates (names that are not UTF-8, tar/names.ts) as \\udcXX escapes.
  add('strings', new TextEncoder().encode(JSON.stringify(idx.strings)));
  add('fileHashes', layer.fileHashes);
  const pts = new Float64Array(layer.points.length * 3);
  layer.points.forEach((p, i) => pts.set([p.out, p.inBit, p.window], i * 3));
  add('points', pts);
  add('windowSizes', new Uint32Array(layer.windows.map((w) => w.length)));
  for (const [i, w] of layer.windows.entries()) add(`w${i}`, w);
  const head = new TextEncoder().encode(JSON.stringify(parts));
  const total = 4 + head.length + data.reduce((n, d) => n + d.length, 0);
  const raw = new Uint8Array(total);
  new DataView(raw.buffer).setUint32(0, head.length, true);
  raw.set(head, 4);
  let at = 4 + head.length;
  for (const d of data) {
    raw.set(d, at);
    at += d.length;
  }
  return {
    version: 1,
    digest: layer.digest,
    diffId: layer.diffId,
    compression: layer.compression,
    compressedSize: layer.compressedSize,
    uncompressedSize: layer.uncompressedSize,
    size: layer.size,
    entryCount: layer.entries.length,
    checkpointCount: layer.windows.length,
    packed: deflateSync(raw, { level: 6 }),
  };
}

/** What reading and exploring need of a stored peeked layer. */
export interface DecodedPeekLayer extends Omit<PeekLayer, 'entries'> {
  index: EncodedLayerIndex;
}

function bad(why: string): LayerError {
  return new LayerError('LAYER_CORRUPT', `stored peek index is damaged: ${why}`);
}

export function decodePeekLayer(s: StoredPeekLayer): DecodedPeekLayer {
  if (s.version !== PEEK_INDEX_VERSION) throw bad(`version ${String(s.version)}`);
  let raw: Uint8Array;
  try {
    raw = inflateSync(s.packed);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (raw.length < 4 || raw.length > MAX_PACK) throw bad('size');
  const headLen = new DataView(raw.buffer, raw.byteOffset).getUint32(0, true);
  if (4 + headLen > raw.length) throw bad('header');
  const parts = JSON.parse(new TextDecoder().decode(raw.subarray(4, 4 + headLen))) as Part[];
  const got = new Map<string, ArrayBufferView>();
  let at = 4 + headLen;
  for (const p of parts) {
    const Ctor = KINDS[p.kind];
    if (!Ctor || at + p.bytes > raw.length) throw bad(`part ${p.name}`);
    const copy = raw.slice(at, at + p.bytes).buffer;
    got.set(p.name, new Ctor(copy));
    at += p.bytes;
  }
  const need = <T extends ArrayBufferView>(name: string): T => {
    const v = got.get(name);
    if (!v) throw bad(`missing ${name}`);
    return v as T;
  };
  const strings = JSON.parse(new TextDecoder().decode(need<Uint8Array>('strings'))) as string[];
  const index = { version: 1, count: s.entryCount, strings } as EncodedLayerIndex;
  for (const n of INDEX_ARRAYS) {
    const a = need<ArrayBufferView & { length: number }>(n);
    if (a.length !== s.entryCount) throw bad(`${n} has ${a.length} entries, not ${s.entryCount}`);
    (index as unknown as Record<string, unknown>)[n] = a;
  }
  const pts = need<Float64Array>('points');
  const points: AccessPoint[] = [];
  for (let i = 0; i + 2 < pts.length; i += 3) points.push({ out: pts[i]!, inBit: pts[i + 1]!, window: pts[i + 2]! });
  const sizes = need<Uint32Array>('windowSizes');
  const windows: Uint8Array[] = [];
  for (let i = 0; i < sizes.length; i++) windows.push(need<Uint8Array>(`w${i}`));
  return {
    digest: s.digest,
    diffId: s.diffId,
    compression: s.compression,
    compressedSize: s.compressedSize,
    uncompressedSize: s.uncompressedSize,
    size: s.size,
    index,
    fileHashes: need<Uint8Array>('fileHashes'),
    points,
    windows,
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
