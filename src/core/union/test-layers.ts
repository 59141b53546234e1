/**
 * LayerEntry literals for tests, one short call per entry (the tar builder's vocabulary, without
 * the tar): the union code is tested on exactly what an index holds.
 */
import type { LayerEntry } from '../layer/entry.ts';

type Attrs = Partial<Pick<LayerEntry, 'mode' | 'uid' | 'gid' | 'mtime'>>;

let offset = 0;

/** A plain object literal, as the tar reader and the index decoder build them (spreads would
 * give slower dictionary-mode objects and skew the performance test). */
function entry(
  path: string,
  type: LayerEntry['type'],
  size: number,
  mode: number,
  a: Attrs,
  linkname?: string,
): LayerEntry {
  const e: LayerEntry = {
    path,
    type,
    mode: a.mode ?? mode,
    uid: a.uid ?? 0,
    gid: a.gid ?? 0,
    size,
    mtime: a.mtime ?? 1_700_000_000,
    offset: (offset += 512),
  };
  if (linkname !== undefined) e.linkname = linkname;
  return e;
}

export const file = (path: string, size = 0, a: Attrs = {}): LayerEntry => entry(path, 'file', size, 0o644, a);
export const dir = (path: string, a: Attrs = {}): LayerEntry => entry(path, 'dir', 0, 0o755, a);
export const symlink = (path: string, target: string, a: Attrs = {}): LayerEntry =>
  entry(path, 'symlink', 0, 0o777, a, target);
export const hardlink = (path: string, target: string, a: Attrs = {}): LayerEntry =>
  entry(path, 'hardlink', 0, 0o644, a, target);
export const whiteout = (dirPath: string, name: string): LayerEntry =>
  file(dirPath === '' ? `.wh.${name}` : `${dirPath}/.wh.${name}`);
export const opaque = (dirPath: string): LayerEntry =>
  file(dirPath === '' ? '.wh..wh..opq' : `${dirPath}/.wh..wh..opq`);
