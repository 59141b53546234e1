/** Union (overlay) view of an image's layers and per-layer changes. */
export { applyLayers, inodeGroups, type UnionView, type ViewEntry } from './apply.ts';

export { resolvePath } from './resolve.ts';
