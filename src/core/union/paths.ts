/** Path helpers of the union view: checks of entry paths and hard-link targets, and the
 * directory entries no tar entry describes. */
import type { ViewEntry } from './types.ts';
import { WHITEOUT_PREFIX } from './whiteout.ts';

const DEFAULT_DIR_MODE = 0o755;

/** Parent directory of a normalized path ('' for top-level names). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** What one scan of an entry path found (module-level, so the hot loop allocates nothing). */
export const scan = { lastSlash: -1, whiteoutDir: false, whiteoutBase: false };

/**
 * Checks a path an entry may carry (relative; no empty, `.` or `..` component; no NUL) and, in
 * the same pass, notes its last slash and whether a directory component or the base name starts
 * with `.wh.`. Returns what is wrong, or null. This runs once per entry of every layer.
 */
export function scanPath(path: string): string | null {
  if (path.charCodeAt(0) === 47 /* / */) return 'absolute path';
  const n = path.length;
  let start = 0;
  scan.lastSlash = -1;
  scan.whiteoutDir = false;
  scan.whiteoutBase = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 47;
    if (c === 0) return 'NUL in path';
    if (c !== 47) continue;
    const len = i - start;
    if (len === 0) return 'empty path component';
    if (path.charCodeAt(start) === 46 /* . */) {
      if (len === 1 || (len === 2 && path.charCodeAt(start + 1) === 46))
        return `"${len === 1 ? '.' : '..'}" path component`;
      if (len >= 4 && path.startsWith(WHITEOUT_PREFIX, start)) {
        if (i === n) scan.whiteoutBase = true;
        else scan.whiteoutDir = true;
      }
    }
    if (i < n) scan.lastSlash = i;
    start = i + 1;
  }
  return null;
}

/** Hard-link targets are archive member names: `./` and `/` prefixes are relative to the root
 * (as moby's RootPath treats them); `..` may not climb above it. */
export function normalizeLinkTarget(target: string): string | null {
  const out: string[] = [];
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(c);
  }
  return out.join('/');
}

/** A directory no tar entry describes (the root before any, a missing parent): 0755 root:root,
 * in the one object shape every view entry has. */
export function plainDir(path: string, layer: number, inode: number, implicit: true | undefined): ViewEntry {
  return {
    path,
    type: 'dir',
    mode: DEFAULT_DIR_MODE,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    linkname: undefined,
    hardlinkTo: undefined,
    uname: undefined,
    gname: undefined,
    devmajor: undefined,
    devminor: undefined,
    xattrs: undefined,
    layer,
    offset: 0,
    dataLayer: layer,
    dataOffset: 0,
    inode,
    implicit,
  };
}
export interface Marker {
  dir: string;
  /** undefined: opaque marker. */
  name: string | undefined;
}
