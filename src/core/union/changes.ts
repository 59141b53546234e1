/** A layer's changes, from the journal the view builder keeps while applying it. */
import type { ChangedField, LayerChanges, PathChange, RemovedVia, ViewEntry } from './types.ts';

/** What applying one layer touched: each path once, with its entry before and after. */
export interface Journal {
  paths: string[];
  before: (ViewEntry | undefined)[];
  after: (ViewEntry | undefined)[];
  /** Paths touched more than once: their entry after is looked up in `entries`. */
  retouched: string[];
  removed: Map<string, RemovedVia>;
  entries: Map<string, ViewEntry>;
}

/** The layer's changes from the journal, in the order the layer first touched each path
 * (no consumer needs them sorted: the tree marks them by path, wasted() sums them; sorting
 * 100,000 paths was 40% of applying a large image). */
export function collectChanges(layer: number, j: Journal): LayerChanges {
  const changes: PathChange[] = [];
  let added = 0;
  let modified = 0;
  let removed = 0;
  const paths = j.paths;
  const again = j.retouched.length > 0 ? new Set(j.retouched) : undefined;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    const before = j.before[i];
    const after = again?.has(path) ? j.entries.get(path) : j.after[i];
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
        via: j.removed.get(path),
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
