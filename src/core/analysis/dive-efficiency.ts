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
const ASCII = /^[\x00-\x7f]*$/;
const NO_NODES: Node[] = [];

class Node {
  /** Made on the first child: most nodes are leaves. */
  private kids: Map<string, Node> | undefined;
  /** The children in byte order, cached until a child is added or removed. */
  private order: Node[] | undefined;
  private asciiName: boolean | undefined;
  constructor(
    readonly name: string,
    readonly parent: Node | null,
    public info: Info,
  ) {}

  get ascii(): boolean {
    return (this.asciiName ??= ASCII.test(this.name));
  }

  get childCount(): number {
    return this.kids?.size ?? 0;
  }

  children(): Iterable<Node> {
    return this.kids?.values() ?? [];
  }

  child(name: string): Node | undefined {
    return this.kids?.get(name);
  }

  /** The child named `name`, made with an empty payload if missing (dive's AddChild). */
  ensure(name: string): Node {
    let c = this.kids?.get(name);
    if (c === undefined) {
      c = new Node(name, this, BLANK);
      (this.kids ??= new Map()).set(name, c);
      this.order = undefined;
    }
    return c;
  }

  remove(name: string): void {
    if (this.kids?.delete(name)) this.order = undefined;
  }

  sorted(): Node[] {
    if (this.kids === undefined) return NO_NODES;
    return (this.order ??= [...this.kids.values()].sort(byteOrder));
  }

  /** dive's `FileNode.Path()` without the leading slash: the whiteout prefix is dropped from
   * the node's own name only. */
  path(): string {
    const own = this.isWhiteout() ? this.name.slice(WHITEOUT.length) : this.name;
    const dir = this.parent === null ? '' : this.parent.dirPath();
    return dir === '' ? own : `${dir}/${own}`;
  }

  /** This node's path as a parent of others (its literal name), cached. */
  private dirPathCache: string | undefined;
  dirPath(): string {
    if (this.parent === null) return '';
    if (this.dirPathCache === undefined) {
      const up = this.parent.dirPath();
      this.dirPathCache = up === '' ? this.name : `${up}/${this.name}`;
    }
    return this.dirPathCache;
  }

  isWhiteout(): boolean {
    return this.name.startsWith(WHITEOUT);
  }
}

/** Go's `sort.Strings`: byte order (UTF-16 order differs for non-BMP and escaped bytes). */
function byteOrder(a: Node, b: Node): number {
  if (a.ascii && b.ascii) return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const x = encodeName(a.name);
  const y = encodeName(b.name);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function byteOrderOf(a: string, b: string): number {
  return byteOrder(new Node(a, null, BLANK), new Node(b, null, BLANK));
}

class Tree {
  readonly root = new Node('', null, BLANK);

  /** dive's `FileTree.AddPath`. */
  addPath(path: string, info: Info): void {
    const names = path.split('/');
    let node = this.root;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name === '') continue;
      let next = node.child(name);
      if (next === undefined) {
        if (name.startsWith(DOUBLE_WHITEOUT)) return;
        next = node.ensure(name);
      }
      node = next;
      if (i === names.length - 1) node.info = info;
    }
  }

  getNode(path: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (const name of path.split('/')) {
      if (name === '') continue;
      node = node.child(name);
      if (node === undefined) return undefined;
    }
    return node;
  }

  copy(): Tree {
    const t = new Tree();
    const clone = (from: Node, to: Node) => {
      for (const c of from.children()) {
        const n = to.ensure(c.name);
        n.info = c.info;
        clone(c, n);
      }
    };
    clone(this.root, t.root);
    return t;
  }

  /** dive's `FileTree.Stack`: the upper tree's nodes, children first in byte order, grafted
   * onto this one (a whiteout removes its target; any other node is added or gets the upper
   * payload, keeping its children). Walked in step with this tree rather than by path. */
  stack(upper: Tree): void {
    const graft = (up: Node, low: Node) => {
      for (const c of up.sorted()) {
        // AddPath of a descendant makes this node (empty) first; `.wh..wh.` names never are.
        if (c.childCount > 0 && !c.name.startsWith(DOUBLE_WHITEOUT)) graft(c, low.ensure(c.name));
        if (c.isWhiteout()) low.remove(c.name.slice(WHITEOUT.length));
        else if (!c.name.startsWith(DOUBLE_WHITEOUT)) low.ensure(c.name).info = c.info;
      }
    };
    graft(upper.root, this.root);
  }
}

/** Depth first, children before their parent, siblings in byte order; never the root. Stops
 * when `visit` returns false; returns false then. */
function visitChildFirst(n: Node, visit: (n: Node) => boolean, only?: (n: Node) => boolean): boolean {
  for (const c of n.sorted()) if (!visitChildFirst(c, visit, only)) return false;
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
      (n) => n.childCount === 0,
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
  matches.sort((a, b) => b.cumulativeSize - a.cumulativeSize || byteOrderOf(a.path, b.path));
  return {
    efficiency: totalBytes === 0 ? 1 : minimalBytes / totalBytes,
    wastedBytes,
    totalBytes,
    minimalBytes,
    paths: matches,
  };
}
