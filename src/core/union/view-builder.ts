/**
 * Builds the union view one layer at a time (src/core/union/apply.ts describes the rules).
 * Each layer is a transaction: a journal of first touches lets a refused layer be rolled back
 * and gives the layer's changes.
 */
import type { LayerEntry } from '../layer/entry.ts';
import { collectChanges } from './changes.ts';
import { UnionError } from './errors.ts';
import { join, parentOf, plainDir, type Marker } from './paths.ts';
import { resolveIn } from './resolve.ts';
import type { LayerApplyError, LayerChanges, RemovedVia, ViewEntry } from './types.ts';
import { validateLayer } from './validate.ts';

export class ViewBuilder {
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
      const { markers, items, dirs, rootEntry } = validateLayer(layer);
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
    return {
      changes: collectChanges(index, {
        paths: this.journalPaths,
        before: this.journalBefore,
        after: this.journalAfter,
        retouched: this.retouched,
        removed: this.removed,
        entries: this.entries,
      }),
    };
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
}
