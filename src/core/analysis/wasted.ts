/**
 * Wasted space, two ways, each labelled where it is shown:
 *
 * - dive's "wasted bytes" and "efficiency" (src/core/analysis/dive-efficiency.ts): the sum of
 *   every version of each path seen more than once, and Σ smallest / Σ all versions. The same
 *   image gives dive's numbers.
 * - Layerscope's "reclaimable" bytes: the bytes of regular files stored in a layer that the
 *   final filesystem does not show (overwritten or deleted by a later layer, whatever their
 *   size): what squashing the image would save. A surviving copy is never counted, however
 *   large; a path listed twice in one layer counts once (the last entry is what lands on disk).
 *   Refused layers are left out, as they are out of the view.
 */
import type { LayerEntry } from '../layer/entry.ts';
import { applyLayers, baseOf, type UnionView } from '../union/apply.ts';
import { classifyWhiteout } from '../union/whiteout.ts';
import { diveEfficiency, type DivePath } from './dive-efficiency.ts';

export interface WastedPath extends DivePath {
  /** What dive lists as the path's wasted space: its cumulative size. */
  wastedSize: number;
}

export interface WastedReport {
  /** dive: Σ all versions over every path. */
  totalBytes: number;
  /** dive: Σ smallest version over every path. */
  minimalBytes: number;
  /** dive: Σ cumulative size of the paths seen more than once. */
  wastedBytes: number;
  /** dive: minimalBytes / totalBytes; 1 when totalBytes is 0. */
  efficiency: number;
  /** dive's inefficient files (seen more than once), most wasted first. */
  paths: WastedPath[];
  /** Layerscope: file bytes in the layers that the final filesystem does not show. */
  reclaimableBytes: number;
}

/** Bytes of regular files a layer holds that the view no longer shows (see above). */
export function reclaimable(layers: readonly (readonly LayerEntry[])[], view: UnionView): number {
  const surviving = new Set<string>();
  for (const v of view.entries.values()) {
    // A hard link keeps its target's bytes on disk after the target's path is gone.
    if (v.layer >= 0) surviving.add(`${v.dataLayer}:${v.dataOffset}`);
  }
  let bytes = 0;
  for (let i = 0; i < layers.length; i++) {
    if (!view.layers[i]?.applied) continue;
    const layer = layers[i]!;
    // The last entry of each path in this layer (earlier duplicates never reach the disk).
    const last = new Map<string, LayerEntry>();
    for (const e of layer) last.set(e.path, e);
    for (const e of last.values()) {
      if (e.type !== 'file' || e.size === 0 || classifyWhiteout(baseOf(e.path)) !== null) continue;
      if (!surviving.has(`${i}:${e.offset}`)) bytes += e.size;
    }
  }
  return bytes;
}

/** `view` must be `applyLayers(layers)` (passed when already computed). */
export function wasted(
  layers: readonly (readonly LayerEntry[])[],
  view: UnionView = applyLayers(layers),
): WastedReport {
  const d = diveEfficiency(layers);
  return {
    totalBytes: d.totalBytes,
    minimalBytes: d.minimalBytes,
    wastedBytes: d.wastedBytes,
    efficiency: d.efficiency,
    paths: d.paths.map((p) => ({ ...p, wastedSize: p.cumulativeSize })),
    reclaimableBytes: reclaimable(layers, view),
  };
}
