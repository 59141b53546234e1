/**
 * The file-level comparison of two merged filesystems (two images, an image and its base, or
 * one image at two layers). What a person asks first: what was added, removed, changed in
 * content, and what changed only in its metadata (mode, owner, link target).
 *
 * Content is decided without reading bytes wherever the layer index already tells: the same
 * layer blob (diff_id) at the same offset is the same content; a different size is different
 * content. Only regular files of equal size whose bytes live in different places are left as
 * candidates, for the caller to hash (one read per layer) and settle with `settleContent`.
 */
import type { EntryType } from '../layer/entry.ts';
import type { UnionView, ViewEntry } from '../union/index.ts';

/** One side of a comparison: a merged view and, per layer index of that view, the identity of
 * that layer's bytes (its diff_id), which is what makes content comparable across images. */
export interface CompareSide {
  view: UnionView;
  layerIds: readonly string[];
}

export type FileChangeKind = 'added' | 'removed' | 'modified' | 'metadata';
/** What differs between the two entries of one path. `content` and `type` make a path
 * `modified`; the others alone make it `metadata`. */
export type FileChangeField = 'content' | 'type' | 'linkname' | 'mode' | 'uid' | 'gid' | 'xattrs' | 'device';

export interface EntrySummary {
  type: EntryType;
  /** container-diff's size (`lstat`): content bytes of a file, target length of a symlink, 0
   * for devices and fifos; for a directory the sum of those of everything below it. */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
}

export interface FileChange {
  /** Normalized path (no leading `/`). */
  path: string;
  kind: FileChangeKind;
  a?: EntrySummary;
  b?: EntrySummary;
  /** For `modified` and `metadata`: what differs. */
  fields: FileChangeField[];
}

/** Where a regular file's bytes are: a layer of one side and the offset in its tar. */
export interface DataLocation {
  layer: number;
  offset: number;
  size: number;
}

/** A path whose content can only be told by hashing both sides. */
export interface ContentCandidate {
  path: string;
  a: DataLocation;
  b: DataLocation;
}

export interface FileComparison {
  /** Every difference, sorted by path (code-unit order: Go's byte order for every path
   * without characters above U+FFFF). */
  changes: FileChange[];
  /** Regular files with equal sizes in different blobs: not yet in `changes` (or in it as
   * `metadata` only) until `settleContent` says whether their bytes differ. */
  candidates: ContentCandidate[];
  /** Paths present in both sides whose bytes were proven equal from the index alone. */
  sameByLocation: number;
}

/** container-diff's `lstat` size of one entry (directories: 0 here, summed separately). */
function lstatSize(e: ViewEntry): number {
  if (e.type === 'file') return e.size;
  if (e.type === 'symlink') return utf8Length(e.linkname ?? '');
  return 0;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Sum of `lstatSize` of everything below each directory ('' is the root), as `du --apparent-size`
 * without directory blocks: what container-diff prints for an added or removed directory. */
export function directorySizes(view: UnionView): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const [path, e] of view.entries) {
    if (e.type === 'dir') {
      if (!sizes.has(path)) sizes.set(path, 0);
      continue;
    }
    const n = lstatSize(e);
    if (n === 0) continue;
    let slash = path.lastIndexOf('/');
    while (slash >= 0) {
      const dir = path.slice(0, slash);
      sizes.set(dir, (sizes.get(dir) ?? 0) + n);
      slash = path.lastIndexOf('/', slash - 1);
    }
    sizes.set('', (sizes.get('') ?? 0) + n);
  }
  return sizes;
}

function summary(e: ViewEntry, dirSizes: Map<string, number>): EntrySummary {
  const s: EntrySummary = {
    type: e.type,
    size: e.type === 'dir' ? (dirSizes.get(e.path) ?? 0) : lstatSize(e),
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
  };
  if (e.type === 'symlink' && e.linkname !== undefined) s.linkname = e.linkname;
  return s;
}

function sameXattrs(a: ViewEntry, b: ViewEntry): boolean {
  const ka = a.xattrs ? Object.keys(a.xattrs) : [];
  const kb = b.xattrs ? Object.keys(b.xattrs) : [];
  if (ka.length !== kb.length) return false;
  return ka.every((k) => b.xattrs?.[k] === a.xattrs?.[k]);
}

/** Metadata fields that differ between two entries of the same path (content aside). */
function metadataFields(a: ViewEntry, b: ViewEntry): FileChangeField[] {
  const f: FileChangeField[] = [];
  if (a.type === 'symlink' && b.type === 'symlink' && a.linkname !== b.linkname) f.push('linkname');
  if (a.mode !== b.mode) f.push('mode');
  if (a.uid !== b.uid) f.push('uid');
  if (a.gid !== b.gid) f.push('gid');
  if (!sameXattrs(a, b)) f.push('xattrs');
  if ((a.type === 'char' || a.type === 'block') && (a.devmajor !== b.devmajor || a.devminor !== b.devminor)) {
    f.push('device');
  }
  return f;
}

/** Compares two merged filesystems. Synchronous and linear in the number of paths. */
export function compareFiles(sa: CompareSide, sb: CompareSide): FileComparison {
  const dirA = directorySizes(sa.view);
  const dirB = directorySizes(sb.view);
  const changes: FileChange[] = [];
  const candidates: ContentCandidate[] = [];
  let sameByLocation = 0;

  for (const [path, ea] of sa.view.entries) {
    const eb = sb.view.entries.get(path);
    if (!eb) {
      changes.push({ path, kind: 'removed', a: summary(ea, dirA), fields: [] });
      continue;
    }
    const fields = metadataFields(ea, eb);
    if (ea.type !== eb.type) {
      changes.push({ path, kind: 'modified', a: summary(ea, dirA), b: summary(eb, dirB), fields: ['type', ...fields] });
      continue;
    }
    if (ea.type === 'file') {
      const sameBlob =
        sa.layerIds[ea.dataLayer] !== undefined &&
        sa.layerIds[ea.dataLayer] === sb.layerIds[eb.dataLayer] &&
        ea.dataOffset === eb.dataOffset;
      if (sameBlob || (ea.size === 0 && eb.size === 0)) {
        sameByLocation++;
      } else if (ea.size !== eb.size) {
        fields.unshift('content');
      } else {
        candidates.push({
          path,
          a: { layer: ea.dataLayer, offset: ea.dataOffset, size: ea.size },
          b: { layer: eb.dataLayer, offset: eb.dataOffset, size: eb.size },
        });
      }
    }
    if (fields.length === 0) continue;
    const kind: FileChangeKind = fields[0] === 'content' ? 'modified' : 'metadata';
    changes.push({ path, kind, a: summary(ea, dirA), b: summary(eb, dirB), fields });
  }
  for (const [path, eb] of sb.view.entries) {
    if (!sa.view.entries.has(path)) changes.push({ path, kind: 'added', b: summary(eb, dirB), fields: [] });
  }
  changes.sort(byPath);
  return { changes, candidates, sameByLocation };
}

const byPath = (x: { path: string }, y: { path: string }): number => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);

/**
 * Settles the candidates with their content digests (`digestA[i]`, `digestB[i]` for
 * `candidates[i]`): a path whose bytes differ becomes `modified` (joining a `metadata` change of
 * the same path if there is one). Returns a new comparison with no candidates left.
 */
export function settleContent(
  cmp: FileComparison,
  sa: CompareSide,
  sb: CompareSide,
  digestA: readonly string[],
  digestB: readonly string[],
): FileComparison {
  if (digestA.length !== cmp.candidates.length || digestB.length !== cmp.candidates.length) {
    throw new RangeError(
      `settleContent: ${cmp.candidates.length} candidates, ${digestA.length}/${digestB.length} digests`,
    );
  }
  if (cmp.candidates.length === 0) return cmp;
  const byPathIndex = new Map(cmp.changes.map((c, i) => [c.path, i]));
  const changes = cmp.changes.slice();
  const dirA = new Map<string, number>();
  const dirB = new Map<string, number>();
  let same = cmp.sameByLocation;
  let pushed = false;
  cmp.candidates.forEach((c, i) => {
    if (digestA[i] === digestB[i]) {
      if (!byPathIndex.has(c.path)) same++;
      return;
    }
    const at = byPathIndex.get(c.path);
    if (at !== undefined) {
      const prev = changes[at]!;
      changes[at] = { ...prev, kind: 'modified', fields: ['content', ...prev.fields] };
    } else {
      const ea = sa.view.entries.get(c.path)!;
      const eb = sb.view.entries.get(c.path)!;
      changes.push({ path: c.path, kind: 'modified', a: summary(ea, dirA), b: summary(eb, dirB), fields: ['content'] });
      pushed = true;
    }
  });
  if (pushed) changes.sort(byPath);
  return { changes, candidates: [], sameByLocation: same };
}

/** Per-directory totals of both sides, for the size view: every directory present on either
 * side, with the bytes below it in A and in B. */
export interface DirectoryDelta {
  path: string;
  sizeA: number;
  sizeB: number;
}

export function directoryDeltas(sa: CompareSide, sb: CompareSide): DirectoryDelta[] {
  const a = directorySizes(sa.view);
  const b = directorySizes(sb.view);
  const out: DirectoryDelta[] = [];
  for (const [path, sizeA] of a) out.push({ path, sizeA, sizeB: b.get(path) ?? 0 });
  for (const [path, sizeB] of b) if (!a.has(path)) out.push({ path, sizeA: 0, sizeB });
  return out.sort(byPath);
}
