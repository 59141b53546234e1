/**
 * Wasted space and the efficiency score, as dive defines them (wagoodman/dive,
 * dive/filetree/efficiency.go, and the reclaimable-bytes fix of dive#684/#685):
 * every version of a path seen across the layers is collected; the path's cumulative size is
 * the sum of all versions, its minimum the smallest version; wasted = cumulative − minimum
 * (the copies you could drop), efficiency = Σ minimum / Σ cumulative (1.0 when empty).
 *
 * Versions: each non-directory entry a layer carries (its tar size: a hard link costs 0), and
 * each removal of a non-directory by a later layer (whiteout, opaque directory, replacement by
 * a directory) as a version of size 0 — so a file deleted later is wasted in full, which is
 * what dive does for a whiteout of a file. One deliberate difference: dive books a whiteout of
 * a directory on the directory path with the subtree's size as both sum and minimum (no waste);
 * here every file of the removed subtree gets its 0-size version, so deleting a directory in a
 * later layer counts what it still costs, as the Docker docs explain.
 */
import type { LayerEntry } from '../layer/entry.ts';
import { applyLayers, baseOf, type UnionView } from '../union/apply.ts';
import { classifyWhiteout } from '../union/whiteout.ts';

export interface WastedPath {
  path: string;
  /** Versions seen: entries in layers plus removals. */
  count: number;
  /** Layer index of each version, in order. */
  layers: number[];
  cumulativeSize: number;
  minSize: number;
  /** cumulativeSize − minSize. */
  wastedSize: number;
}

export interface WastedReport {
  /** Σ cumulative size over every path. */
  totalBytes: number;
  /** Σ smallest version over every path. */
  minimalBytes: number;
  /** totalBytes − minimalBytes. */
  wastedBytes: number;
  /** minimalBytes / totalBytes; 1 when totalBytes is 0. */
  efficiency: number;
  /** Paths seen more than once (dive's "inefficient files"), most wasted first. */
  paths: WastedPath[];
}

interface Acc {
  count: number;
  layers: number[];
  sum: number;
  min: number;
}

/**
 * `view` must be `applyLayers(layers)` (passed when already computed); refused layers are left
 * out, as they are out of the view.
 */
export function wasted(
  layers: readonly (readonly LayerEntry[])[],
  view: UnionView = applyLayers(layers),
): WastedReport {
  const acc = new Map<string, Acc>();
  const add = (path: string, layer: number, size: number) => {
    const a = acc.get(path);
    if (a === undefined) {
      acc.set(path, { count: 1, layers: [layer], sum: size, min: size });
      return;
    }
    a.count++;
    a.layers.push(layer);
    a.sum += size;
    if (size < a.min) a.min = size;
  };
  for (let i = 0; i < layers.length; i++) {
    const changes = view.layers[i];
    if (!changes?.applied) continue;
    // Removals first: they act on the view below this layer's own entries.
    for (const c of changes.changes) {
      if (c.kind === 'removed' && c.type !== 'dir') add(c.path, i, 0);
      else if (c.kind === 'modified' && c.before && c.before.type !== 'dir' && c.type === 'dir') add(c.path, i, 0);
    }
    for (const e of layers[i]!) {
      if (e.type === 'dir' || e.path === '') continue;
      if (classifyWhiteout(baseOf(e.path)) !== null) continue;
      add(e.path, i, e.type === 'file' ? e.size : 0);
    }
  }
  let totalBytes = 0;
  let minimalBytes = 0;
  const paths: WastedPath[] = [];
  for (const [path, a] of acc) {
    totalBytes += a.sum;
    minimalBytes += a.min;
    if (a.count > 1) {
      paths.push({
        path,
        count: a.count,
        layers: a.layers,
        cumulativeSize: a.sum,
        minSize: a.min,
        wastedSize: a.sum - a.min,
      });
    }
  }
  paths.sort((x, y) => y.wastedSize - x.wastedSize || (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return {
    totalBytes,
    minimalBytes,
    wastedBytes: totalBytes - minimalBytes,
    efficiency: totalBytes === 0 ? 1 : minimalBytes / totalBytes,
    paths,
  };
}
