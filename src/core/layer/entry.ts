/**
 * One entry of a layer tar, as the index keeps it. Whiteouts (`.wh.NAME`, `.wh..wh..opq`) stay
 * raw entries here; the union view interprets them (OCI image-spec, layer.md#whiteouts).
 */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface LayerEntry {
  /** Normalized: no leading `./` or `/`, no trailing `/`, no `.`/`..` components; '' is the root.
   * Bytes that are not UTF-8 are kept as U+DC80+byte (src/core/tar/names.ts), in every name. */
  path: string;
  type: EntryType;
  /** Permission bits only (& 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content (0 for every type but 'file' and, rarely, 'hardlink'). */
  size: number;
  /** Seconds since the epoch; fractional when a PAX record says so. */
  mtime: number;
  /** Symlink target (raw, may be absolute) or hard-link target (normalized path). */
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** From PAX `SCHILY.xattr.*`, decoded losslessly like names: a binary value keeps its bytes. */
  xattrs?: Record<string, string>;
  /** Byte offset of the entry's data in the uncompressed tar stream. */
  offset: number;
}

const TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo'];

/** Compact, structured-clonable form of a layer's entries for IndexedDB: one string table,
 * typed arrays per field. Absent strings are -1, absent numbers NaN. */
export interface EncodedLayerIndex {
  version: 1;
  count: number;
  strings: string[];
  path: Int32Array;
  type: Uint8Array;
  mode: Uint32Array;
  uid: Float64Array;
  gid: Float64Array;
  size: Float64Array;
  mtime: Float64Array;
  offset: Float64Array;
  linkname: Int32Array;
  uname: Int32Array;
  gname: Int32Array;
  devmajor: Float64Array;
  devminor: Float64Array;
  /** Index of a JSON object string, or -1. */
  xattrs: Int32Array;
}

export const LAYER_INDEX_VERSION = 1;

export function encodeLayerIndex(entries: readonly LayerEntry[]): EncodedLayerIndex {
  const n = entries.length;
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const id = (s: string | undefined): number => {
    if (s === undefined) return -1;
    let i = ids.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      ids.set(s, i);
    }
    return i;
  };
  const enc: EncodedLayerIndex = {
    version: 1,
    count: n,
    strings,
    path: new Int32Array(n),
    type: new Uint8Array(n),
    mode: new Uint32Array(n),
    uid: new Float64Array(n),
    gid: new Float64Array(n),
    size: new Float64Array(n),
    mtime: new Float64Array(n),
    offset: new Float64Array(n),
    linkname: new Int32Array(n),
    uname: new Int32Array(n),
    gname: new Int32Array(n),
    devmajor: new Float64Array(n),
    devminor: new Float64Array(n),
    xattrs: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    const t = TYPES.indexOf(e.type);
    if (t < 0) throw new Error(`encodeLayerIndex: unknown entry type ${String(e.type)} at ${e.path}`);
    enc.path[i] = id(e.path);
    enc.type[i] = t;
    enc.mode[i] = e.mode;
    enc.uid[i] = e.uid;
    enc.gid[i] = e.gid;
    enc.size[i] = e.size;
    enc.mtime[i] = e.mtime;
    enc.offset[i] = e.offset;
    enc.linkname[i] = id(e.linkname);
    enc.uname[i] = id(e.uname);
    enc.gname[i] = id(e.gname);
    enc.devmajor[i] = e.devmajor ?? NaN;
    enc.devminor[i] = e.devminor ?? NaN;
    enc.xattrs[i] = e.xattrs ? id(JSON.stringify(e.xattrs)) : -1;
  }
  return enc;
}

export function decodeLayerIndex(enc: EncodedLayerIndex): LayerEntry[] {
  return decode(enc);
}

/** Only the entries `pick` accepts, decided on path and type before each entry is built: a
 * reader that needs a few entries of a large index. */
export function decodeLayerIndexPicked(
  enc: EncodedLayerIndex,
  pick: (path: string, type: EntryType) => boolean,
): LayerEntry[] {
  return decode(enc, pick);
}

function decode(enc: EncodedLayerIndex, pick?: (path: string, type: EntryType) => boolean): LayerEntry[] {
  if (enc.version !== LAYER_INDEX_VERSION) {
    throw new Error(`layer index version ${String(enc.version)} is not supported (expected ${LAYER_INDEX_VERSION})`);
  }
  const str = (i: number): string | undefined => {
    if (i < 0) return undefined;
    const s = enc.strings[i];
    if (s === undefined) throw new Error(`layer index: string ${i} out of range`);
    return s;
  };
  const out: LayerEntry[] = pick ? [] : new Array(enc.count);
  for (let i = 0; i < enc.count; i++) {
    const type = TYPES[enc.type[i]!];
    if (type === undefined) throw new Error(`layer index: bad type code ${enc.type[i]} at ${i}`);
    const path = str(enc.path[i]!) ?? '';
    if (pick && !pick(path, type)) continue;
    const e: LayerEntry = {
      path,
      type,
      mode: enc.mode[i]!,
      uid: enc.uid[i]!,
      gid: enc.gid[i]!,
      size: enc.size[i]!,
      mtime: enc.mtime[i]!,
      offset: enc.offset[i]!,
    };
    const linkname = str(enc.linkname[i]!);
    if (linkname !== undefined) e.linkname = linkname;
    const uname = str(enc.uname[i]!);
    if (uname !== undefined) e.uname = uname;
    const gname = str(enc.gname[i]!);
    if (gname !== undefined) e.gname = gname;
    if (!Number.isNaN(enc.devmajor[i]!)) e.devmajor = enc.devmajor[i]!;
    if (!Number.isNaN(enc.devminor[i]!)) e.devminor = enc.devminor[i]!;
    const x = str(enc.xattrs[i]!);
    if (x !== undefined) e.xattrs = JSON.parse(x) as Record<string, string>;
    if (pick) out.push(e);
    else out[i] = e;
  }
  return out;
}
