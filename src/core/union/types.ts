/** The shapes of the union view and of a layer's changes (see src/core/union/apply.ts). */
import type { EntryType } from '../layer/entry.ts';
import type { UnionErrorCode } from './errors.ts';

/** One path of the merged filesystem. */
export interface ViewEntry {
  path: string;
  /** Never 'hardlink': a hard link shows its target's type (what `ls -l` shows). */
  type: EntryType;
  /** Permission bits. For a hard link, the shared inode's. */
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes (regular files; a hard link carries its target's size). */
  size: number;
  mtime: number;
  /** Symlink target, raw as in the tar (may be absolute). */
  linkname?: string;
  /** For a hard link: the path it was linked to in its layer. */
  hardlinkTo?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
  /** Index of the layer whose entry put this path in the view (-1: implicit root). */
  layer: number;
  /** The entry's data offset in that layer's tar. */
  offset: number;
  /** Where the bytes live: a hard link points at its target's layer and offset. */
  dataLayer: number;
  dataOffset: number;
  /** Inode number inside this view: hard links share their target's. */
  inode: number;
  /** A parent directory created because an entry below it had none (0755 root:root, as
   * Docker and containerd create missing parents). */
  implicit?: true | undefined;
}

export type ChangeKind = 'added' | 'modified' | 'removed';
export type ChangedField = 'type' | 'size' | 'mode' | 'uid' | 'gid' | 'linkname' | 'mtime';
/** How a removed path went away. */
export type RemovedVia = 'whiteout' | 'opaque' | 'replaced';

export interface PathChange {
  path: string;
  kind: ChangeKind;
  /** Type after the layer (added, modified) or before it (removed). */
  type: EntryType;
  /** Size after the layer (added, modified) or before it (removed). */
  size: number;
  /** For `modified`: which fields differ from the view below. */
  fields?: ChangedField[] | undefined;
  /** For `modified`: type and size below. */
  before?: { type: EntryType; size: number } | undefined;
  /** For `removed`. */
  via?: RemovedVia | undefined;
}

export interface LayerChanges {
  layer: number;
  /** False when the layer was refused (see `errors`); then `changes` is empty. */
  applied: boolean;
  added: number;
  modified: number;
  removed: number;
  /** In the order the layer first touched each path (not sorted: see `sortChanges`). */
  changes: PathChange[];
}

export interface LayerApplyError {
  layer: number;
  path: string;
  code: UnionErrorCode;
  message: string;
}

export interface UnionView {
  /** The root directory ('' path). */
  root: ViewEntry;
  /** Every path of the merged filesystem but the root. */
  entries: Map<string, ViewEntry>;
  /** Directory path ('' = root) → paths of its children. */
  children: Map<string, Set<string>>;
  /** One per input layer, in input order. */
  layers: LayerChanges[];
  errors: LayerApplyError[];
}
