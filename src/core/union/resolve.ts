/**
 * Symlink resolution inside an image root, clamped like a chroot (the securejoin idea): `..` at
 * the root stays at the root, an absolute target restarts at the image root, never the host.
 */
import type { EntryType } from '../layer/entry.ts';
import type { UnionView, ViewEntry } from './apply.ts';
import { UnionError } from './errors.ts';

/** Linux MAXSYMLINKS (fs/namei.c): after 40 links a lookup fails with ELOOP. */
export const MAX_SYMLINK_FOLLOWS = 40;

/** What resolution needs to know about a path. */
export interface PathLookup {
  get(path: string): { type: EntryType; linkname?: string } | undefined;
}

/**
 * Resolves `path` (absolute or relative to the root; `.`/`..` allowed) to a path with no
 * symlink among its existing components. `followLast` false keeps a final symlink itself
 * (lstat), true follows it (stat). Missing components are kept lexically.
 * Throws UnionError `symlink-loop` after MAX_SYMLINK_FOLLOWS links.
 */
export function resolveIn(entries: PathLookup, path: string, followLast: boolean): string {
  const todo = path.split('/').reverse();
  const cur: string[] = [];
  let curPath = '';
  let follows = 0;
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      // Clamped: `..` at the root stays at the root.
      if (cur.length > 0) {
        cur.pop();
        const i = curPath.lastIndexOf('/');
        curPath = i < 0 ? '' : curPath.slice(0, i);
      }
      continue;
    }
    const cand = curPath === '' ? c : `${curPath}/${c}`;
    const e = entries.get(cand);
    if (e !== undefined && e.type === 'symlink' && (followLast || hasMore(todo))) {
      if (++follows > MAX_SYMLINK_FOLLOWS) {
        throw new UnionError(
          'symlink-loop',
          path,
          `too many levels of symbolic links (more than ${MAX_SYMLINK_FOLLOWS}) resolving ${JSON.stringify(path)}`,
        );
      }
      const target = e.linkname ?? '';
      if (target.startsWith('/')) {
        cur.length = 0;
        curPath = '';
      }
      const parts = target.split('/');
      for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]!);
      continue;
    }
    cur.push(c);
    curPath = cand;
  }
  return curPath;
}

/** True when a real component (not `.` or empty) is still to come. */
function hasMore(todo: string[]): boolean {
  for (let i = todo.length - 1; i >= 0; i--) {
    const c = todo[i];
    if (c !== '' && c !== '.') return true;
  }
  return false;
}

/** The result of {@link resolvePath}: `entry` undefined when nothing exists there. */
export interface ResolvedPath {
  path: string;
  entry: ViewEntry | undefined;
}

/**
 * Follows symlinks in `path` inside the merged view, clamped at its root (an absolute symlink
 * such as `/usr/lib/x` means the image's `/usr/lib/x`, `..` never leaves the image).
 * `followLast: false` is lstat (a final symlink is returned itself). Throws UnionError
 * `symlink-loop` after 40 links.
 */
export function resolvePath(view: UnionView, path: string, opts: { followLast?: boolean } = {}): ResolvedPath {
  const p = resolveIn(view.entries, path, opts.followLast ?? true);
  return { path: p, entry: p === '' ? view.root : view.entries.get(p) };
}
