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
import type { LayerEntry } from '../layer/entry.ts';
import type { LayerApplyError, LayerChanges, UnionView, ViewEntry } from './types.ts';
import { ViewBuilder } from './view-builder.ts';

export { sortChanges } from './changes.ts';
export { baseOf, parentOf } from './paths.ts';
export type { ChangeKind, LayerChanges, UnionView, ViewEntry } from './types.ts';

export interface ApplyOptions {
  /** Called before each layer is applied, with the view below it (read only; valid during the
   * call): what per-layer sizes need to resolve a hard link into lower layers. */
  beforeLayer?: (index: number, below: ReadonlyMap<string, ViewEntry>) => void;
}

/** Applies `layers` (bottom layer first) and returns the merged view and per-layer changes. */
export function applyLayers(layers: readonly (readonly LayerEntry[])[], opts: ApplyOptions = {}): UnionView {
  const b = new ViewBuilder();
  const out: LayerChanges[] = [];
  const errors: LayerApplyError[] = [];
  for (let i = 0; i < layers.length; i++) {
    opts.beforeLayer?.(i, b.entries);
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
