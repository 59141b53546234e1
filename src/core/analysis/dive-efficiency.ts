/**
 * dive's efficiency, computed the way dive computes it (wagoodman/dive, dive/filetree/
 * efficiency.go `Efficiency`, dive/image/analysis.go `Analyze`), so the same image gives the same
 * score and wasted bytes:
 *
 * - Each layer is a tree of its tar entries (dive's `FileTree.AddPath`): a path listed twice in
 *   one layer is one node holding the last entry; parents no entry describes are nodes with an
 *   empty payload (not directories, size 0); names under `.wh..wh.` (opaque markers, AUFS
 *   metadata) are never added; a whiteout `.wh.NAME` is a node of its own whose path is `NAME`.
 * - Every layer's leaf nodes (no children in that layer) are visited children first, siblings
 *   in byte order of their names; each visit adds one version of its path: the entry's size
 *   (tar header size: hard links and symlinks cost 0), or for a whiteout the size of what it
 *   deletes when that was a directory (every node of the subtree in the stacked lower layers,
 *   the directory itself included), 0 when it was anything else.
 * - dive looks the whiteout's target up in layers 0..n−1 stacked onto a copy of layer 0 (for
 *   layer 0 itself: layer 0 alone). A whiteout of a path that is not there fails the lookup, and
 *   dive then stops visiting that layer: the versions after it in visiting order are not
 *   counted. This port does the same.
 *   (dive records the path before the failed lookup, with no version and a smallest size of −1,
 *   which the sums below include: ported as is.)
 * - score = Σ smallest version / Σ all versions over every path (1 when nothing has a size);
 *   the inefficient paths are those with two or more versions, and dive's "wasted bytes" is
 *   the sum of their cumulative sizes (the surviving copy included).
 */
import type { LayerEntry } from '../layer/entry.ts';
import { encodeName } from '../tar/names.ts';

const WHITEOUT = '.wh.';
const DOUBLE_WHITEOUT = '.wh..wh.';

interface Info {
  size: number;
  isDir: boolean;
}

const BLANK: Info = { size: 0, isDir: false };

class Node {
  children = new Map<string, Node>();
  constructor(
    readonly name: string,
    readonly parent: Node | null,
    public info: Info,
  ) {}

  /** dive's `FileNode.Path()`: the whiteout prefix is dropped from the node's own name only. */
  path(): string {
    const parts: string[] = [];
    for (let n: Node | null = this; n !== null && n.parent !== null; n = n.parent) {
      parts.push(n === this && n.name.startsWith(WHITEOUT) ? n.name.slice(WHITEOUT.length) : n.name);
    }
    return parts.reverse().join('/');
  }

  isWhiteout(): boolean {
    return this.name.startsWith(WHITEOUT);
  }
}

/** Go's `sort.Strings`: byte order (UTF-16 order differs for non-BMP and escaped bytes). */
function byteOrder(a: string, b: string): number {
  if (/^[\x00-\x7f]*$/.test(a) && /^[\x00-\x7f]*$/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = encodeName(a);
  const y = encodeName(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function sortedChildren(n: Node): Node[] {
  return [...n.children.values()].sort((a, b) => byteOrder(a.name, b.name));
}

class Tree {
  readonly root = new Node('', null, BLANK);

  /** dive's `FileTree.AddPath`. */
  addPath(path: string, info: Info): void {
    const names = path.split('/').filter((s) => s !== '');
    let node = this.root;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      let next = node.children.get(name);
      if (next === undefined) {
        if (name.startsWith(DOUBLE_WHITEOUT)) return;
        next = new Node(name, node, BLANK);
        node.children.set(name, next);
      }
      node = next;
      if (i === names.length - 1) node.info = info;
    }
  }

  getNode(path: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (const name of path.split('/')) {
      if (name === '') continue;
      node = node.children.get(name);
      if (node === undefined) return undefined;
    }
    return node;
  }

  removePath(path: string): void {
    const n = this.getNode(path);
    if (n !== undefined && n.parent !== null) n.parent.children.delete(n.name);
  }

  copy(): Tree {
    const t = new Tree();
    const clone = (from: Node, to: Node) => {
      for (const c of from.children.values()) {
        const n = new Node(c.name, to, c.info);
        to.children.set(c.name, n);
        clone(c, n);
      }
    };
    clone(this.root, t.root);
    return t;
  }

  /** dive's `FileTree.Stack`: the upper tree's nodes, children first, grafted onto this one. */
  stack(upper: Tree): void {
    visitChildFirst(upper.root, (n) => {
      if (n.isWhiteout()) this.removePath(n.path());
      else this.addPath(n.path(), n.info);
      return true;
    });
  }
}

/** Depth first, children before their parent, siblings in byte order; never the root. Stops
 * when `visit` returns false; returns false then. */
function visitChildFirst(n: Node, visit: (n: Node) => boolean, only?: (n: Node) => boolean): boolean {
  for (const c of sortedChildren(n)) if (!visitChildFirst(c, visit, only)) return false;
  if (n.parent === null) return true;
  if (only && !only(n)) return true;
  return visit(n);
}

/** A layer as dive builds it from the tar (`getFileList` then `AddPath` per entry). */
function layerTree(entries: readonly LayerEntry[]): Tree {
  const t = new Tree();
  for (const e of entries) {
    if (e.path === '' || e.path === '.') continue;
    t.addPath(e.path, { size: e.size, isDir: e.type === 'dir' });
  }
  return t;
}

export interface DivePath {
  path: string;
  /** Versions counted. */
  count: number;
  /** Layer index of each version. */
  layers: number[];
  cumulativeSize: number;
  minSize: number;
}

export interface DiveEfficiency {
  /** Σ smallest version / Σ all versions; 1 when the sum is 0. */
  efficiency: number;
  /** Σ cumulative size of the paths with two or more versions (dive's "wasted bytes"). */
  wastedBytes: number;
  /** Σ all versions over every path. */
  totalBytes: number;
  /** Σ smallest version over every path. */
  minimalBytes: number;
  /** Paths with two or more versions, largest cumulative size first. */
  paths: DivePath[];
}

/** Layers bottom first, as `rootfs.diff_ids` lists them. */
export function diveEfficiency(layers: readonly (readonly LayerEntry[])[]): DiveEfficiency {
  const trees = layers.map(layerTree);
  const acc = new Map<string, DivePath>();
  const matches: DivePath[] = [];
  let stacked: Tree | undefined;
  for (let idx = 0; idx < trees.length; idx++) {
    const tree = trees[idx]!;
    // StackTreeRange(trees, 0, idx-1): a copy of layer 0 with layers 0..idx-1 stacked on it.
    const below = idx === 0 ? tree : stacked!;
    visitChildFirst(
      tree.root,
      (node) => {
        const path = node.path();
        // dive makes the path's record before sizing the version, so a failed lookup below
        // leaves a record with no version and a smallest size of −1, which its sum includes.
        let d = acc.get(path);
        if (d === undefined) acc.set(path, (d = { path, count: 0, layers: [], cumulativeSize: 0, minSize: -1 }));
        let size = 0;
        if (node.isWhiteout()) {
          const prev = below.getNode(path);
          if (prev === undefined) return false; // dive's visitor error: the rest of the layer is skipped
          if (prev.info.isDir) {
            // The directory itself and everything below it (VisitDepthChildFirst from prev).
            visitChildFirst(prev, (n) => {
              size += n.info.size;
              return true;
            });
          }
        } else size = node.info.size;
        d.cumulativeSize += size;
        if (d.minSize < 0 || size < d.minSize) d.minSize = size;
        d.count++;
        d.layers.push(idx);
        if (d.count === 2) matches.push(d);
        return true;
      },
      (n) => n.children.size === 0,
    );
    if (idx === 0) {
      stacked = trees[0]!.copy();
      stacked.stack(trees[0]!);
    } else stacked!.stack(tree);
  }
  let totalBytes = 0;
  let minimalBytes = 0;
  for (const d of acc.values()) {
    totalBytes += d.cumulativeSize;
    minimalBytes += d.minSize;
  }
  let wastedBytes = 0;
  for (const d of matches) wastedBytes += d.cumulativeSize;
  matches.sort((a, b) => b.cumulativeSize - a.cumulativeSize || byteOrder(a.path, b.path));
  return {
    efficiency: totalBytes === 0 ? 1 : minimalBytes / totalBytes,
    wastedBytes,
    totalBytes,
    minimalBytes,
    paths: matches,
  };
}
