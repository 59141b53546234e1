/**
 * What the explorer shows about an image, as plain data (dive's `analyze(image) → Analysis`):
 * the union view with per-layer changes, wasted space, and the file tree; store-wide sizes.
 */
import type { LayerEntry } from '../layer/entry.ts';
import { applyLayers, type UnionView } from '../union/apply.ts';
import { fileTree, type FileTree } from './file-tree.ts';
import { wasted, type WastedReport } from './wasted.ts';

export interface Analysis {
  view: UnionView;
  wasted: WastedReport;
  tree: FileTree;
}

/** Layers bottom first, as the config's `rootfs.diff_ids` lists them. */
export function analyze(layers: readonly (readonly LayerEntry[])[]): Analysis {
  const view = applyLayers(layers);
  return { view, wasted: wasted(layers, view), tree: fileTree(view) };
}

export {
  ancestorsOf,
  fileTree,
  flattenVisible,
  type FileTree,
  type FileTreeOptions,
  type TreeNode,
  type TreeRow,
  type TreeSort,
} from './file-tree.ts';
export { compileGlob, isGlob, MAX_QUERY_LENGTH, searchPaths, type Glob, type SearchOptions } from './search.ts';
export {
  layerSharing,
  storeSizes,
  type ImagePair,
  type ImageSizes,
  type LayerSharing,
  type SharedLayer,
  type StoreSizes,
} from './store-sizes.ts';
export { wasted, type WastedPath, type WastedReport } from './wasted.ts';
