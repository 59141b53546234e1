/** Union (overlay) view of an image's layers and per-layer changes. */
export {
  applyLayers,
  baseOf,
  inodeGroups,
  parentOf,
  sortChanges,
  type ChangeKind,
  type ChangedField,
  type LayerApplyError,
  type LayerChanges,
  type PathChange,
  type RemovedVia,
  type UnionView,
  type ViewEntry,
} from './apply.ts';
export { UnionError, type UnionErrorCode } from './errors.ts';
export { MAX_SYMLINK_FOLLOWS, resolvePath, type ResolvedPath } from './resolve.ts';
export { WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_PREFIX, classifyWhiteout } from './whiteout.ts';
