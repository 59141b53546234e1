import type { LayerEntry } from './entry.ts';
import { utf8 } from '../tar/format.ts';

/**
 * Docker's layer size, as `docker images` showed it with the classic storage drivers: the
 * daemon walked the layer's diff directory (moby pkg/directory.Size) summing Lstat sizes of
 * everything but directories, each inode once. In tar terms:
 * - a regular file counts its size;
 * - a hard link counts 0 (it shares the inode of its target, which was counted);
 * - a symlink counts the UTF-8 byte length of its target (Lstat size of a symlink);
 * - directories, char/block devices and fifos count 0;
 * - whiteout files (`.wh.*`) are empty regular files, so they count 0 without a special case.
 */
export function layerSize(entries: Iterable<LayerEntry>): number {
  let size = 0;
  for (const e of entries) {
    if (e.type === 'file') size += e.size;
    else if (e.type === 'symlink') size += utf8.encode(e.linkname ?? '').length;
  }
  return size;
}
