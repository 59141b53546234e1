import type { LayerEntry } from './entry.ts';
import { nameByteLength } from '../tar/names.ts';
import { applyLayers } from '../union/apply.ts';
import { resolveIn } from '../union/resolve.ts';
import type { UnionView, ViewEntry } from '../union/types.ts';

/** A file of the layers below, as a hard link in this layer finds it. */
export interface LowerFile {
  /** Bytes on disk for its inode (Lstat size: a symlink's is its target's length). */
  size: number;
  /** Identifies the inode: links to the same lower file count it once. */
  inode: number;
}

/**
 * Docker's layer size, as `docker images` and `docker history` show it with the classic
 * storage drivers: the daemon measures the layer's own diff directory (moby's overlay2
 * `ApplyDiff` returns `directory.Size(diffDir)`, which sums Lstat sizes of everything but
 * directories, each inode once). In tar terms:
 * - a regular file counts its size; a path listed twice in the layer counts once (the last
 *   entry is what is on disk);
 * - a symlink counts the byte length of its target (Lstat size of a symlink);
 * - a hard link to a file of the same layer counts 0 (one inode, counted with its target);
 * - a hard link to a file that lives only in lower layers counts that file's size, once per
 *   inode: the link cannot exist in the layer's directory without the inode, so applying the
 *   layer through the mounted filesystem (moby's naive diff `ApplyDiff`, containerd's apply on
 *   an overlay mount) copies the file up into the layer. `lower` tells what the target is
 *   below; without it (a layer measured alone, at ingest) such a link counts 0;
 * - directories, char/block devices, fifos and whiteout files (empty) count 0.
 */
export function layerSize(entries: Iterable<LayerEntry>, lower?: (target: string) => LowerFile | undefined): number {
  const inodeOf = new Map<string, string>();
  const sizeOf = new Map<string, number>();
  let n = 0;
  for (const e of entries) {
    if (e.path === '') continue;
    let key = `#${n++}`;
    if (e.type === 'file') sizeOf.set(key, e.size);
    else if (e.type === 'symlink') sizeOf.set(key, nameByteLength(e.linkname ?? ''));
    else if (e.type === 'hardlink') {
      const target = e.linkname ?? '';
      const here = inodeOf.get(target);
      if (here !== undefined) key = here;
      else {
        const below = lower?.(target);
        if (below !== undefined) {
          key = `lower:${below.inode}`;
          sizeOf.set(key, below.size);
        }
      }
    }
    inodeOf.set(e.path, key);
  }
  let size = 0;
  for (const key of new Set(inodeOf.values())) size += sizeOf.get(key) ?? 0;
  return size;
}

/** What a hard link target names in the view below a layer (its parents resolved through
 * symlinks, as the union view resolves them), or undefined for nothing or a directory. */
export function lowerFileIn(below: ReadonlyMap<string, ViewEntry>, target: string): LowerFile | undefined {
  const v = below.get(resolveIn(below, target, false));
  if (v === undefined || v.type === 'dir') return undefined;
  return { size: v.type === 'symlink' ? nameByteLength(v.linkname ?? '') : v.size, inode: v.inode };
}

/** Each layer's size in its image (bottom first), hard links into lower layers resolved. Pass
 * `view` to reuse a view built with `applyLayers(layers, { beforeLayer })` by the caller. */
export function chainLayerSizes(layers: readonly (readonly LayerEntry[])[]): { sizes: number[]; view: UnionView } {
  const sizes: number[] = [];
  const view = applyLayers(layers, {
    beforeLayer: (i, below) => {
      sizes[i] = layerSize(layers[i]!, (t) => lowerFileIn(below, t));
    },
  });
  return { sizes, view };
}

/** A hard link whose target is no path written earlier in the same layer: it may name a file
 * of a lower layer, whose size then counts in this layer (see `layerSize`). */
export function linksBelow(entries: Iterable<LayerEntry>): boolean {
  const here = new Set<string>();
  for (const e of entries) {
    if (e.type === 'hardlink' && !here.has(e.linkname ?? '')) return true;
    here.add(e.path);
  }
  return false;
}

/**
 * Each layer's size in its image, as `docker images` and `docker history` count it (the pull
 * stores these, so the command bar needs no file index): a layer measured alone at ingest is
 * right unless it hard-links a file of a lower layer. Only then are all the layers' indexes
 * read and the view below each layer built. `entriesOf` reads a layer's index by diff_id.
 */
export async function imageLayerSizes(
  layers: readonly { diffId: string; size: number }[],
  entriesOf: (diffId: string) => Promise<readonly LayerEntry[] | undefined>,
): Promise<number[]> {
  const alone = layers.map((l) => l.size);
  if (layers.length < 2) return alone;
  const read: (readonly LayerEntry[])[] = [];
  let needed = false;
  for (const [i, l] of layers.entries()) {
    const entries = await entriesOf(l.diffId);
    if (!entries) return alone;
    read.push(entries);
    if (i > 0 && !needed && linksBelow(entries)) needed = true;
  }
  return needed ? chainLayerSizes(read).sizes : alone;
}
