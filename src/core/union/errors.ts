/** Why a layer was refused. Stable codes: they survive postMessage and the UI maps them. */
export type UnionErrorCode =
  | 'bad-path' // absolute, `..`/`.`/empty component, or a whiteout name used as a directory
  | 'bad-root' // the root entry (`./`) is not a directory
  | 'bad-whiteout' // `.wh.` naming nothing, `.`, `..`, or a name with `/`
  | 'hardlink-escape' // hard link target leaves the root
  | 'hardlink-missing' // hard link target does not exist
  | 'hardlink-dir' // hard link to a directory (or to itself)
  | 'parent-not-dir' // an entry below a path that is a file, device, …
  | 'symlink-loop'; // more than 40 symlinks while resolving a parent directory

export class UnionError extends Error {
  constructor(
    readonly code: UnionErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnionError';
  }
}
