import type { LayerEntry } from '../layer/entry.ts';
import { UnionError } from './errors.ts';
import { normalizeLinkTarget, scan, scanPath, type Marker } from './paths.ts';
import { WHITEOUT_META_PREFIX, WHITEOUT_PREFIX, classifyWhiteout } from './whiteout.ts';

/** Syntax checks of a layer before anything is touched; splits whiteout markers from entries
 * (with each entry's parent directory, `dirs[i]` for `items[i]`). */
export function validateLayer(layer: readonly LayerEntry[]): {
  markers: Marker[];
  items: LayerEntry[];
  dirs: string[];
  rootEntry: LayerEntry | undefined;
} {
  const markers: Marker[] = [];
  const items: LayerEntry[] = [];
  const dirs: string[] = [];
  let rootEntry: LayerEntry | undefined;
  for (const e of layer) {
    const p = e.path;
    if (p === '' || p === '.') {
      if (e.type !== 'dir') throw new UnionError('bad-root', p, `root entry is a ${e.type}, not a directory`);
      rootEntry = e;
      continue;
    }
    const bad = scanPath(p);
    if (bad !== null) throw new UnionError('bad-path', p, `${bad}: ${JSON.stringify(p)}`);
    const slash = scan.lastSlash;
    const dir = slash < 0 ? '' : p.slice(0, slash);
    if (scan.whiteoutDir) {
      const comps = dir.split('/');
      // AUFS metadata (`.wh..wh.plnk/…` at the root) is skipped as Docker skips it.
      if (comps[0]!.startsWith(WHITEOUT_META_PREFIX)) continue;
      if (comps.some((c) => c.startsWith(WHITEOUT_PREFIX))) {
        throw new UnionError('bad-path', p, `whiteout name used as a directory: ${JSON.stringify(p)}`);
      }
    }
    const wh = scan.whiteoutBase ? classifyWhiteout(p.slice(slash + 1)) : null;
    if (wh !== null) {
      if (wh.kind === 'meta') continue;
      if (wh.kind === 'opaque') {
        markers.push({ dir, name: undefined });
        continue;
      }
      const n = wh.name;
      if (n === '' || n === '.' || n === '..' || n.includes('/')) {
        throw new UnionError('bad-whiteout', p, `whiteout names ${JSON.stringify(n)}, which is not a file name`);
      }
      markers.push({ dir, name: n });
      continue;
    }
    if (e.type === 'hardlink') {
      const t = normalizeLinkTarget(e.linkname ?? '');
      if (t === null) {
        throw new UnionError(
          'hardlink-escape',
          p,
          `hard link ${JSON.stringify(p)} → ${JSON.stringify(e.linkname)} escapes the root`,
        );
      }
      if (t === '') {
        throw new UnionError('hardlink-dir', p, `hard link ${JSON.stringify(p)} → the root directory`);
      }
      items.push(t === e.linkname ? e : { ...e, linkname: t });
      dirs.push(dir);
      continue;
    }
    items.push(e);
    dirs.push(dir);
  }
  return { markers, items, dirs, rootEntry };
}
