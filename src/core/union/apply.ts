/**
 * The union (overlay) view of an image: its layers applied bottom first, the way a container
 * runtime extracts them (OCI image-spec layer.md "Applying Changesets", containerd/moby
 * archive apply), and what every layer added, modified or removed relative to the view below.
 *
 * Order within a layer: a whiteout only ever hides lower layers (layer.md "Whiteouts": "files
 * that are present in the same layer as a whiteout file can only be hidden by whiteout files in
 * subsequent layers"), so all `.wh.*` markers of a layer are applied to the view below first,
 * then the layer's own entries. Marker order inside the tar therefore does not matter.
 *
 * Each layer is applied as a transaction: a refused layer (hostile path, bad whiteout, hard
 * link escaping the root or pointing at nothing) leaves the view exactly as it was below it and
 * is reported in `errors` with its index and the offending path.
 */
import type { EntryType, LayerEntry } from '../layer/entry.ts';
import { UnionError, type UnionErrorCode } from './errors.ts';
import { resolveIn } from './resolve.ts';
import { WHITEOUT_META_PREFIX, WHITEOUT_PREFIX, classifyWhiteout } from './whiteout.ts';

/** One path of the merged filesystem. */
export interface ViewEntry {
  path: string;
  /** Never 'hardlink': a hard link shows its target's type (what `ls -l` shows). */
  type: EntryType;
  /** Permission bits. For a hard link, the shared inode's. */
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes (regular files; a hard link carries its target's size). */
  size: number;
  mtime: number;
  /** Symlink target, raw as in the tar (may be absolute). */
  linkname?: string;
  /** For a hard link: the path it was linked to in its layer. */
  hardlinkTo?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
  /** Index of the layer whose entry put this path in the view (-1: implicit root). */
  layer: number;
  /** The entry's data offset in that layer's tar. */
  offset: number;
  /** Where the bytes live: a hard link points at its target's layer and offset. */
  dataLayer: number;
  dataOffset: number;
  /** Inode number inside this view: hard links share their target's. */
  inode: number;
  /** A parent directory created because an entry below it had none (0755 root:root, as
   * Docker and containerd create missing parents). */
  implicit?: true | undefined;
}

export type ChangeKind = 'added' | 'modified' | 'removed';
export type ChangedField = 'type' | 'size' | 'mode' | 'uid' | 'gid' | 'linkname' | 'mtime';
/** How a removed path went away. */
export type RemovedVia = 'whiteout' | 'opaque' | 'replaced';

export interface PathChange {
  path: string;
  kind: ChangeKind;
  /** Type after the layer (added, modified) or before it (removed). */
  type: EntryType;
  /** Size after the layer (added, modified) or before it (removed). */
  size: number;
  /** For `modified`: which fields differ from the view below. */
  fields?: ChangedField[] | undefined;
  /** For `modified`: type and size below. */
  before?: { type: EntryType; size: number } | undefined;
  /** For `removed`. */
  via?: RemovedVia | undefined;
}

export interface LayerChanges {
  layer: number;
  /** False when the layer was refused (see `errors`); then `changes` is empty. */
  applied: boolean;
  added: number;
  modified: number;
  removed: number;
  /** In the order the layer first touched each path (not sorted: see `sortChanges`). */
  changes: PathChange[];
}

export interface LayerApplyError {
  layer: number;
  path: string;
  code: UnionErrorCode;
  message: string;
}

export interface UnionView {
  /** The root directory ('' path). */
  root: ViewEntry;
  /** Every path of the merged filesystem but the root. */
  entries: Map<string, ViewEntry>;
  /** Directory path ('' = root) → paths of its children. */
  children: Map<string, Set<string>>;
  /** One per input layer, in input order. */
  layers: LayerChanges[];
  errors: LayerApplyError[];
}

const DEFAULT_DIR_MODE = 0o755;

/** Applies `layers` (bottom layer first) and returns the merged view and per-layer changes. */
export function applyLayers(layers: readonly (readonly LayerEntry[])[]): UnionView {
  const b = new ViewBuilder();
  const out: LayerChanges[] = [];
  const errors: LayerApplyError[] = [];
  for (let i = 0; i < layers.length; i++) {
    const res = b.applyLayer(layers[i]!, i);
    if ('error' in res) {
      errors.push(res.error);
      out.push({ layer: i, applied: false, added: 0, modified: 0, removed: 0, changes: [] });
    } else {
      out.push(res.changes);
    }
  }
  return { root: b.root, entries: b.entries, children: b.children, layers: out, errors };
}

/** Parent directory of a normalized path ('' for top-level names). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** What one scan of an entry path found (module-level, so the hot loop allocates nothing). */
const scan = { lastSlash: -1, whiteoutDir: false, whiteoutBase: false };

/**
 * Checks a path an entry may carry (relative; no empty, `.` or `..` component; no NUL) and, in
 * the same pass, notes its last slash and whether a directory component or the base name starts
 * with `.wh.`. Returns what is wrong, or null. This runs once per entry of every layer.
 */
function scanPath(path: string): string | null {
  if (path.charCodeAt(0) === 47 /* / */) return 'absolute path';
  const n = path.length;
  let start = 0;
  scan.lastSlash = -1;
  scan.whiteoutDir = false;
  scan.whiteoutBase = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 47;
    if (c === 0) return 'NUL in path';
    if (c !== 47) continue;
    const len = i - start;
    if (len === 0) return 'empty path component';
    if (path.charCodeAt(start) === 46 /* . */) {
      if (len === 1 || (len === 2 && path.charCodeAt(start + 1) === 46))
        return `"${len === 1 ? '.' : '..'}" path component`;
      if (len >= 4 && path.startsWith(WHITEOUT_PREFIX, start)) {
        if (i === n) scan.whiteoutBase = true;
        else scan.whiteoutDir = true;
      }
    }
    if (i < n) scan.lastSlash = i;
    start = i + 1;
  }
  return null;
}

/** Hard-link targets are archive member names: `./` and `/` prefixes are relative to the root
 * (as moby's RootPath treats them); `..` may not climb above it. */
function normalizeLinkTarget(target: string): string | null {
  const out: string[] = [];
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(c);
  }
  return out.join('/');
}

/** A directory no tar entry describes (the root before any, a missing parent): 0755 root:root,
 * in the one object shape every view entry has. */
function plainDir(path: string, layer: number, inode: number, implicit: true | undefined): ViewEntry {
  return {
    path,
    type: 'dir',
    mode: DEFAULT_DIR_MODE,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    linkname: undefined,
    hardlinkTo: undefined,
    uname: undefined,
    gname: undefined,
    devmajor: undefined,
    devminor: undefined,
    xattrs: undefined,
    layer,
    offset: 0,
    dataLayer: layer,
    dataOffset: 0,
    inode,
    implicit,
  };
}

interface Marker {
  dir: string;
  /** undefined: opaque marker. */
  name: string | undefined;
}

class ViewBuilder {
  readonly entries = new Map<string, ViewEntry>();
  readonly children = new Map<string, Set<string>>([['', new Set()]]);
  /** Until a layer has a root entry: 0755 root:root, from no layer. */
  root: ViewEntry = plainDir('', -1, 1, undefined);
  private nextInode = 2;
  /**
   * Each path the current layer touched, with its entry before the layer (undefined: it did
   * not exist), first touch only. First touches are told apart without a lookup: every entry
   * the layer creates carries its index in `layer`, so an entry found with an older index is
   * touched for the first time; only a path the layer deleted needs `removed` to remember it.
   */
  private journalPaths: string[] = [];
  private journalBefore: (ViewEntry | undefined)[] = [];
  /** The entry the first touch left (undefined: removed). Valid at the end of the layer unless
   * the path was touched again: those few are listed in `retouched` and looked up instead. */
  private journalAfter: (ViewEntry | undefined)[] = [];
  private retouched: string[] = [];
  /** Paths the current layer removed (some may be back), with how they first went. */
  private removed = new Map<string, RemovedVia>();
  private layer = 0;
  /** The directory the previous entry went into and its children set: consecutive tar
   * members share a parent, so most entries skip the lookup. Cleared by any removal. */
  private lastDir: string | null = null;
  private lastKids: Set<string> | null = null;

  applyLayer(layer: readonly LayerEntry[], index: number): { changes: LayerChanges } | { error: LayerApplyError } {
    this.layer = index;
    this.journalPaths = [];
    this.journalBefore = [];
    this.journalAfter = [];
    this.retouched = [];
    this.removed = new Map();
    this.lastDir = null;
    this.lastKids = null;
    const rootBefore = this.root;
    const inodeBefore = this.nextInode;
    try {
      const { markers, items, dirs, rootEntry } = this.validate(layer);
      // Markers hide what lies below; the layer's own entries come after.
      for (const m of markers) this.hideBelow(m);
      if (rootEntry) this.root = this.fromEntry(rootEntry, '');
      for (let i = 0; i < items.length; i++) this.applyEntry(items[i]!, dirs[i]!);
      // Like containerd/moby, a marker's directory exists afterwards (parents are made for
      // every tar member) unless something that is not a directory stands in the way.
      for (const m of markers) {
        try {
          this.ensureDir(m.dir, 0);
        } catch (err) {
          if (!(err instanceof UnionError && err.code === 'parent-not-dir')) throw err;
        }
      }
    } catch (err) {
      // Whatever went wrong, the view goes back to what it was below this layer.
      this.rollback();
      this.lastDir = null;
      this.lastKids = null;
      this.root = rootBefore;
      this.nextInode = inodeBefore;
      if (!(err instanceof UnionError)) throw err;
      return {
        error: { layer: index, path: err.path, code: err.code, message: `layer ${index}: ${err.message}` },
      };
    }
    return { changes: this.collectChanges(index) };
  }

  /** Syntax checks before anything is touched; splits markers from entries (with each
   * entry's parent directory, `dirs[i]` for `items[i]`). */
  private validate(layer: readonly LayerEntry[]): {
    markers: Marker[];
    items: LayerEntry[];
    dirs: string[];
    rootEntry: LayerEntry | undefined;
  } {
    const markers: Marker[] = [];
    const items: LayerEntry[] = [];
    const dirs: string[] = [];
    let rootEntry: LayerEntry | undefined;
    for (const e of layer) {
      const p = e.path;
      if (p === '' || p === '.') {
        if (e.type !== 'dir') throw new UnionError('bad-root', p, `root entry is a ${e.type}, not a directory`);
        rootEntry = e;
        continue;
      }
      const bad = scanPath(p);
      if (bad !== null) throw new UnionError('bad-path', p, `${bad}: ${JSON.stringify(p)}`);
      const slash = scan.lastSlash;
      const dir = slash < 0 ? '' : p.slice(0, slash);
      if (scan.whiteoutDir) {
        const comps = dir.split('/');
        // AUFS metadata (`.wh..wh.plnk/…` at the root) is skipped as Docker skips it.
        if (comps[0]!.startsWith(WHITEOUT_META_PREFIX)) continue;
        if (comps.some((c) => c.startsWith(WHITEOUT_PREFIX))) {
          throw new UnionError('bad-path', p, `whiteout name used as a directory: ${JSON.stringify(p)}`);
        }
      }
      const wh = scan.whiteoutBase ? classifyWhiteout(p.slice(slash + 1)) : null;
      if (wh !== null) {
        if (wh.kind === 'meta') continue;
        if (wh.kind === 'opaque') {
          markers.push({ dir, name: undefined });
          continue;
        }
        const n = wh.name;
        if (n === '' || n === '.' || n === '..' || n.includes('/')) {
          throw new UnionError('bad-whiteout', p, `whiteout names ${JSON.stringify(n)}, which is not a file name`);
        }
        markers.push({ dir, name: n });
        continue;
      }
      if (e.type === 'hardlink') {
        const t = normalizeLinkTarget(e.linkname ?? '');
        if (t === null) {
          throw new UnionError(
            'hardlink-escape',
            p,
            `hard link ${JSON.stringify(p)} → ${JSON.stringify(e.linkname)} escapes the root`,
          );
        }
        if (t === '') {
          throw new UnionError('hardlink-dir', p, `hard link ${JSON.stringify(p)} → the root directory`);
        }
        items.push(t === e.linkname ? e : { ...e, linkname: t });
        dirs.push(dir);
        continue;
      }
      items.push(e);
      dirs.push(dir);
    }
    return { markers, items, dirs, rootEntry };
  }

  /** Applies one marker to the view below: missing or non-directory parents hide nothing. */
  private hideBelow(m: Marker): void {
    const dir = resolveIn(this.entries, m.dir, true);
    if (dir !== '' && this.entries.get(dir)?.type !== 'dir') return;
    if (m.name === undefined) {
      const kids = this.children.get(dir);
      if (kids) for (const k of [...kids]) this.deleteSubtree(k, 'opaque');
      return;
    }
    const target = join(dir, m.name);
    if (this.entries.has(target)) this.deleteSubtree(target, 'whiteout');
  }

  private applyEntry(e: LayerEntry, dir: string): void {
    let path = e.path;
    let kids = this.lastKids;
    if (dir !== this.lastDir || kids === null) {
      path = this.place(e.path, dir);
      // Moved by a symlinked parent: its set is looked up when it is added.
      kids = path === e.path ? this.lastKids : null;
    }
    // The parent's children set lists exactly its children in the view (an invariant the model
    // test checks), and a small set is cheaper to ask than the whole view: most paths are new.
    const existing = kids !== null && !kids.has(path) ? undefined : this.entries.get(path);
    if (e.type === 'dir') {
      // Directory over directory merges, with the upper metadata.
      if (existing && existing.type !== 'dir') this.del(path, 'replaced');
      else if (existing) return this.replace(path, existing, this.fromEntry(e, path));
      this.add(path, this.fromEntry(e, path), kids);
      return;
    }
    let next: ViewEntry;
    if (e.type === 'hardlink') {
      next = this.linkTo(e, path);
    } else {
      next = this.fromEntry(e, path);
    }
    // A non-directory over a directory drops the whole subtree.
    if (existing && existing.type === 'dir') this.deleteSubtree(path, 'replaced');
    else if (existing) return this.replace(path, existing, next);
    this.add(path, next, kids);
  }

  /** Overwrites an existing path in place (its parent already lists it). */
  private replace(path: string, existing: ViewEntry, v: ViewEntry): void {
    if (existing.layer !== this.layer) this.journal(path, existing, v);
    else this.retouched.push(path);
    this.entries.set(path, v);
  }

  private journal(path: string, before: ViewEntry | undefined, after: ViewEntry | undefined): void {
    this.journalPaths.push(path);
    this.journalBefore.push(before);
    this.journalAfter.push(after);
  }

  private linkTo(e: LayerEntry, path: string): ViewEntry {
    const raw = e.linkname!;
    // The target's parents resolve through symlinks (clamped); the last component does not,
    // as link(2) does not follow it.
    const tpath = resolveIn(this.entries, raw, false);
    const t = tpath === '' ? this.root : this.entries.get(tpath);
    if (t === undefined) {
      throw new UnionError(
        'hardlink-missing',
        e.path,
        `hard link ${JSON.stringify(e.path)} → ${JSON.stringify(raw)}: target does not exist`,
      );
    }
    if (t.type === 'dir') {
      throw new UnionError(
        'hardlink-dir',
        e.path,
        `hard link ${JSON.stringify(e.path)} → ${JSON.stringify(raw)}: target is a directory`,
      );
    }
    if (tpath === path) {
      throw new UnionError('hardlink-dir', e.path, `hard link ${JSON.stringify(e.path)} points at itself`);
    }
    return { ...t, path, layer: this.layer, offset: e.offset, hardlinkTo: tpath, implicit: undefined };
  }

  private fromEntry(e: LayerEntry, path: string): ViewEntry {
    // One object shape for every entry (absent fields undefined): keeps the hot path monomorphic.
    return {
      path,
      type: e.type,
      mode: e.mode & 0o7777,
      uid: e.uid,
      gid: e.gid,
      size: e.type === 'file' ? e.size : 0,
      mtime: e.mtime,
      linkname: e.type === 'symlink' ? (e.linkname ?? '') : undefined,
      hardlinkTo: undefined,
      uname: e.uname,
      gname: e.gname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      xattrs: e.xattrs,
      layer: this.layer,
      offset: e.offset,
      dataLayer: this.layer,
      dataOffset: e.offset,
      inode: this.nextInode++,
      implicit: undefined,
    };
  }

  /** Where an entry lands: its parent must be a directory; a missing one is created, a
   * symlinked one is followed inside the root (containerd resolves the parent with RootPath).
   * Returns the path it lands at. When that is its own path, the parent and its children set
   * are remembered (`lastDir`, `lastKids`) for the entries that follow. */
  private place(path: string, dir: string): string {
    // `children` only ever has keys that are directories of the view (or the root), so a hit
    // there is the whole check.
    let kids = this.children.get(dir);
    if (kids === undefined) {
      if (this.entries.get(dir)?.type !== 'dir') {
        const real = this.ensureDir(dir, 0);
        if (real !== dir) return join(real, path.slice(dir.length + 1));
      }
      this.children.set(dir, (kids = new Set()));
    }
    this.lastDir = dir;
    this.lastKids = kids;
    return path;
  }

  /** Makes `dir` an existing directory, following symlinks; returns its real path. */
  private ensureDir(dir: string, depth: number): string {
    if (dir === '') return '';
    const fast = this.entries.get(dir);
    if (fast?.type === 'dir') return dir;
    let cur = '';
    for (const c of dir.split('/')) {
      const next = join(cur, c);
      const e = this.entries.get(next);
      if (e === undefined) {
        this.set(next, this.implicitDir(next));
      } else if (e.type === 'symlink') {
        if (depth > 2) throw new UnionError('symlink-loop', dir, `cannot resolve directory ${JSON.stringify(dir)}`);
        const real = resolveIn(this.entries, next, true);
        const made = this.ensureDir(real, depth + 1);
        cur = made;
        continue;
      } else if (e.type !== 'dir') {
        throw new UnionError('parent-not-dir', dir, `${JSON.stringify(next)} is a ${e.type}, not a directory`);
      }
      cur = next;
    }
    return cur;
  }

  private implicitDir(path: string): ViewEntry {
    return plainDir(path, this.layer, this.nextInode++, true);
  }

  /** Adds a path that is not in the view; `kids` is its parent's children set, or null to
   * look it up. */
  private add(path: string, v: ViewEntry, kids: Set<string> | null): void {
    if (this.removed.size === 0 || !this.removed.has(path)) this.journal(path, undefined, v);
    else this.retouched.push(path);
    if (kids === null) this.addChild(path);
    else kids.add(path);
    this.entries.set(path, v);
  }

  /** Adds or overwrites a path. */
  private set(path: string, v: ViewEntry): void {
    const had = this.entries.get(path);
    if (had === undefined) return this.add(path, v, null);
    this.replace(path, had, v);
  }

  /** Lists `path` among its parent directory's children. */
  private addChild(path: string): void {
    const parent = parentOf(path);
    let kids = this.children.get(parent);
    if (!kids) this.children.set(parent, (kids = new Set()));
    kids.add(path);
  }

  /** Removes one path; its children must already be gone. */
  private del(path: string, via: RemovedVia): void {
    if (!this.unlink(path, via)) return;
    this.children.get(parentOf(path))?.delete(path);
  }

  /** Removes `path` from the view but not from its parent's children set. */
  private unlink(path: string, via: RemovedVia): boolean {
    const had = this.entries.get(path);
    if (had === undefined) return false;
    if (had.layer !== this.layer) this.journal(path, had, undefined);
    else this.retouched.push(path);
    if (!this.removed.has(path)) this.removed.set(path, via);
    this.lastDir = null;
    this.lastKids = null;
    this.entries.delete(path);
    this.children.delete(path);
    return true;
  }

  /** Removes a path and everything below it: O(size of the subtree). Only the top is taken
   * out of its parent's set; the sets below go with their directories. */
  private deleteSubtree(path: string, via: RemovedVia): void {
    const stack = [path];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const kids = this.children.get(p);
      if (kids) for (const k of kids) stack.push(k);
      this.unlink(p, via);
    }
    this.children.get(parentOf(path))?.delete(path);
  }

  private rollback(): void {
    for (let i = 0; i < this.journalPaths.length; i++) {
      const path = this.journalPaths[i]!;
      const before = this.journalBefore[i];
      if (before === undefined) {
        if (this.entries.delete(path)) this.children.get(parentOf(path))?.delete(path);
        this.children.delete(path);
      } else {
        this.addChild(path);
        this.entries.set(path, before);
        // Keeps `children` keyed by directories only (a kid dropped above may have left a set).
        if (before.type !== 'dir') this.children.delete(path);
      }
    }
  }

  /** The layer's changes from the journal, in the order the layer first touched each path
   * (no consumer needs them sorted: the tree marks them by path, wasted() sums them; sorting
   * 100,000 paths was 40% of applying a large image). */
  private collectChanges(layer: number): LayerChanges {
    const changes: PathChange[] = [];
    let added = 0;
    let modified = 0;
    let removed = 0;
    const paths = this.journalPaths;
    const again = this.retouched.length > 0 ? new Set(this.retouched) : undefined;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      const before = this.journalBefore[i];
      const after = again?.has(path) ? this.entries.get(path) : this.journalAfter[i];
      if (before === undefined) {
        if (after === undefined) continue;
        changes.push({
          path,
          kind: 'added',
          type: after.type,
          size: after.size,
          fields: undefined,
          before: undefined,
          via: undefined,
        });
        added++;
      } else if (after === undefined) {
        changes.push({
          path,
          kind: 'removed',
          type: before.type,
          size: before.size,
          fields: undefined,
          before: undefined,
          via: this.removed.get(path),
        });
        removed++;
      } else {
        if (before === after) continue;
        const fields = diffFields(before, after);
        if (fields.length === 0) continue;
        changes.push({
          path,
          kind: 'modified',
          type: after.type,
          size: after.size,
          fields,
          before: { type: before.type, size: before.size },
          via: undefined,
        });
        modified++;
      }
    }
    return { layer, applied: true, added, modified, removed, changes };
  }
}

/** What makes a path "modified": type, size, mode, uid, gid, link target, and for
 * non-directories the mtime (a rewritten file with new content nearly always has a new mtime;
 * directory mtimes change whenever a child does, which is not a change of the directory). */
function diffFields(a: ViewEntry, b: ViewEntry): ChangedField[] {
  const f: ChangedField[] = [];
  if (a.type !== b.type) f.push('type');
  if (a.size !== b.size) f.push('size');
  if (a.mode !== b.mode) f.push('mode');
  if (a.uid !== b.uid) f.push('uid');
  if (a.gid !== b.gid) f.push('gid');
  if ((a.linkname ?? '') !== (b.linkname ?? '')) f.push('linkname');
  if (a.type !== 'dir' && b.type !== 'dir' && a.mtime !== b.mtime) f.push('mtime');
  return f;
}

/** A layer's changes sorted by path (code-unit order, as `Array#sort` compares strings), for
 * listings and tests; the view itself keeps them unsorted. */
export function sortChanges(changes: readonly PathChange[]): PathChange[] {
  return [...changes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Paths sharing an inode (hard-link groups of two or more), keyed by inode. */
export function inodeGroups(view: UnionView): Map<number, string[]> {
  // Only an inode some hard link points at can have several paths.
  const linked = new Set<number>();
  for (const e of view.entries.values()) if (e.hardlinkTo !== undefined) linked.add(e.inode);
  const byInode = new Map<number, string[]>();
  if (linked.size === 0) return byInode;
  for (const e of view.entries.values()) {
    if (!linked.has(e.inode)) continue;
    const g = byInode.get(e.inode);
    if (g) g.push(e.path);
    else byInode.set(e.inode, [e.path]);
  }
  for (const [k, g] of byInode) if (g.length < 2) byInode.delete(k);
  return byInode;
}
