/**
 * Whiteout vocabulary of the OCI image-spec, layer.md "Whiteouts".
 * A layer deletes what lies below it with marker files; the markers themselves never appear
 * in the merged filesystem.
 */

/** layer.md "Whiteouts": `.wh.NAME` removes NAME (and its subtree) from the layers below. */
export const WHITEOUT_PREFIX = '.wh.';

/**
 * layer.md "Opaque Whiteout": `.wh..wh..opq` in a directory hides every lower entry of that
 * directory while the same layer's own entries in it stay visible.
 */
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

/**
 * AUFS bookkeeping names (`.wh..wh.plnk`, `.wh..wh.aufs`, …) start with this prefix. Docker's
 * archive code skips them; they are not whiteouts of a file called `.wh.…`.
 */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

export type WhiteoutKind = { kind: 'opaque' } | { kind: 'whiteout'; name: string } | { kind: 'meta' } | null;

/** Classifies a base name (the last path component). Does not validate the removed name. */
export function classifyWhiteout(base: string): WhiteoutKind {
  if (!base.startsWith(WHITEOUT_PREFIX)) return null;
  if (base === WHITEOUT_OPAQUE) return { kind: 'opaque' };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta' };
  return { kind: 'whiteout', name: base.slice(WHITEOUT_PREFIX.length) };
}
