/**
 * The merged filesystem as a tree with directory sizes, and the flat rows a virtualized list
 * renders. View state (which directories are expanded, which row is selected) is not in the
 * model: the UI keeps it keyed by path and passes it in (dive keeps it in its nodes; we don't).
 */
import type { EntryType } from '../layer/entry.ts';
import { baseOf, inodeGroups, parentOf, type ChangeKind, type LayerChanges, type UnionView } from '../union/apply.ts';

export interface TreeNode {
  path: string;
  name: string;
  type: EntryType;
  /** Regular files: their size (a hard link its target's). Directories: the bytes of every
   * regular file below, each hard-linked inode once. Others: 0. */
  size: number;
  /** Directories: non-directory entries below. */
  files: number;
  /** Marker from the layer's changes, when given. */
  change?: ChangeKind;
  /** Not in the view: removed by the layer (shown in a layer's own-changes mode). */
  removed?: true;
  linkname?: string;
  /** Directories only, sorted by name. */
  children?: TreeNode[];
}

export interface FileTree {
  root: TreeNode;
  byPath: Map<string, TreeNode>;
}

export interface FileTreeOptions {
  /** Changes of the view's top layer: sets `change` markers and adds its removed paths. */
  changes?: LayerChanges;
  /** Only changed paths and the directories leading to them (a layer's own changes). */
  onlyChanged?: boolean;
}

const byName = (a: TreeNode, b: TreeNode) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function fileTree(view: UnionView, opts: FileTreeOptions = {}): FileTree {
  const root: TreeNode = { path: '', name: '', type: 'dir', size: 0, files: 0, children: [] };
  const byPath = new Map<string, TreeNode>([['', root]]);
  const marks = new Map<string, ChangeKind>();
  for (const c of opts.changes?.changes ?? []) marks.set(c.path, c.kind);

  // One object shape for every node (absent fields undefined) keeps 100k-node builds fast.
  const make = (path: string, type: EntryType, size: number, linkname: string | undefined): TreeNode => ({
    path,
    name: baseOf(path),
    type,
    size,
    files: 0,
    change: marks.get(path),
    removed: undefined,
    linkname,
    children: type === 'dir' ? [] : undefined,
  });
  /** The node of `path`, made with its ancestors when missing (changed-only and removed paths). */
  const node = (path: string): TreeNode => {
    let n = byPath.get(path);
    if (n) return n;
    const e = view.entries.get(path);
    n = make(path, e?.type ?? 'dir', e?.type === 'file' ? e.size : 0, e?.linkname);
    if (e === undefined) n.removed = true; // a removed directory standing for its removed children
    byPath.set(path, n);
    node(parentOf(path)).children!.push(n);
    return n;
  };

  if (opts.onlyChanged) {
    for (const p of marks.keys()) if (view.entries.has(p)) node(p);
  } else {
    // Walk the view's own directory index from the root: no path parsing per entry.
    const dirs: TreeNode[] = [root];
    while (dirs.length > 0) {
      const d = dirs.pop()!;
      const kids = view.children.get(d.path);
      if (!kids) continue;
      for (const k of kids) {
        const e = view.entries.get(k)!;
        const n = make(k, e.type, e.type === 'file' ? e.size : 0, e.linkname);
        byPath.set(k, n);
        d.children!.push(n);
        if (n.children) dirs.push(n);
      }
    }
  }
  for (const c of opts.changes?.changes ?? []) {
    if (c.kind !== 'removed' || byPath.has(c.path)) continue;
    const n = node(c.path);
    n.type = c.type;
    n.size = c.type === 'file' ? c.size : 0;
    if (c.type === 'dir') n.children ??= [];
    else n.children = undefined;
  }

  // Hard-link groups are counted once per directory: their members are left out of the
  // bottom-up sums and the inode is added once to every directory holding any member.
  const groups = inodeGroups(view);
  const grouped = new Set<string>();
  for (const g of groups.values()) for (const p of g) grouped.add(p);

  // Post-order without recursion (paths can be deep).
  const order: TreeNode[] = [];
  const stack: TreeNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    order.push(n);
    if (n.children) {
      n.children.sort(byName);
      for (const c of n.children) stack.push(c);
    }
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    if (!n.children) continue;
    let size = 0;
    let files = 0;
    for (const c of n.children) {
      if (c.removed) continue;
      if (c.children) {
        size += c.size;
        files += c.files;
      } else {
        files++;
        if (!grouped.has(c.path)) size += c.size;
      }
    }
    n.size = size;
    n.files = files;
  }
  for (const members of groups.values()) {
    const size = view.entries.get(members[0]!)!.size;
    const dirs = new Set<string>();
    for (const m of members) {
      if (!byPath.has(m)) continue;
      for (let d = parentOf(m); ; d = parentOf(d)) {
        if (dirs.has(d)) break;
        dirs.add(d);
        if (d === '') break;
      }
    }
    for (const d of dirs) {
      const n = byPath.get(d);
      if (n) n.size += size;
    }
  }
  return { root, byPath };
}

export type TreeSort = { by: 'name' | 'size'; descending?: boolean };

export interface TreeRow {
  path: string;
  name: string;
  /** 0 for entries at the root. */
  depth: number;
  type: EntryType;
  size: number;
  change?: ChangeKind;
  removed?: true;
  linkname?: string;
  isDir: boolean;
  hasChildren: boolean;
  expanded: boolean;
}

/** Sorted children per node, computed once per (node, sort). */
const sortedCache = new WeakMap<TreeNode, Map<string, TreeNode[]>>();

function sortedChildren(n: TreeNode, sort: TreeSort): TreeNode[] {
  const kids = n.children ?? [];
  if (sort.by === 'name' && !sort.descending) return kids;
  // Size sorts largest first unless told otherwise; names A to Z.
  const desc = sort.descending ?? sort.by === 'size';
  const key = `${sort.by}:${desc ? 'd' : 'a'}`;
  let per = sortedCache.get(n);
  const hit = per?.get(key);
  if (hit) return hit;
  const out = [...kids];
  if (sort.by === 'size') {
    // Largest first by default, as a disk-usage view lists them; ties by name.
    out.sort((a, b) => (desc ? b.size - a.size : a.size - b.size) || byName(a, b));
  } else out.reverse();
  if (!per) sortedCache.set(n, (per = new Map()));
  per.set(key, out);
  return out;
}

/**
 * The rows to render: every child of the root, and the children of each expanded directory,
 * depth first in the chosen order. O(rows shown).
 */
export function flattenVisible(
  tree: FileTree,
  expanded: ReadonlySet<string>,
  sort: TreeSort = { by: 'name' },
): TreeRow[] {
  const rows: TreeRow[] = [];
  const stack: [TreeNode, number][] = [];
  const pushKids = (n: TreeNode, depth: number) => {
    const kids = sortedChildren(n, sort);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, depth]);
  };
  pushKids(tree.root, 0);
  while (stack.length > 0) {
    const [n, depth] = stack.pop()!;
    const isDir = n.children !== undefined;
    const open = isDir && expanded.has(n.path);
    const row: TreeRow = {
      path: n.path,
      name: n.name,
      depth,
      type: n.type,
      size: n.size,
      isDir,
      hasChildren: isDir && n.children!.length > 0,
      expanded: open,
    };
    if (n.change) row.change = n.change;
    if (n.removed) row.removed = true;
    if (n.linkname !== undefined) row.linkname = n.linkname;
    rows.push(row);
    if (open) pushKids(n, depth + 1);
  }
  return rows;
}

/** Every directory above the given paths: expand these to show search matches. */
export function ancestorsOf(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    for (let d = parentOf(p); d !== '' && !out.has(d); d = parentOf(d)) out.add(d);
  }
  return out;
}
