/**
 * Synthetic images for the benchmarks: 10 layers, 100,000 files, with what makes a union view
 * non-trivial (overwrites, whiteouts, opaque directories, links). A variant shares the
 * reference image's lower layers and has its own above them, as two images built on one base.
 */
import { decodeLayerIndex, encodeLayerIndex, type LayerEntry } from '../src/core/layer/entry.ts';

export const LAYERS = 10;
export const TOPS = ['usr/lib', 'usr/share', 'opt/app', 'var/lib', 'etc'];

export interface Counts {
  files: number;
  symlinks: number;
  hardlinks: number;
  dirs: number;
  overwrites: number;
  fileWhiteouts: number;
  dirWhiteouts: number;
  opaque: number;
}

/**
 * 10 layers of 10,000 non-directory entries each (100,000 in all). Layer 0: 100 package
 * directories of 100 entries. Each later layer: 90 new package directories, and 10 packages of
 * the layer below written again with other sizes (1,000 overwrites); 3 directory whiteouts and
 * 20 file whiteouts of older layers; every third layer an opaque package directory; the last
 * layer makes all of `var/lib` opaque. Within a package: 1 symlink, 1 hard link, the rest files
 * spread over 3 subdirectories (some of which have no dir entry: implicit parents).
 */
export interface Variant {
  /** A name that makes this image's own packages differ from the reference image's. */
  name: string;
  /** Layers below this index are the reference image's, unchanged (a shared base). */
  from: number;
}

export function generate(variant?: Variant): { layers: LayerEntry[][]; interleaved: LayerEntry[][]; counts: Counts } {
  const counts: Counts = {
    files: 0,
    symlinks: 0,
    hardlinks: 0,
    dirs: 0,
    overwrites: 0,
    fileWhiteouts: 0,
    dirWhiteouts: 0,
    opaque: 0,
  };
  const layers: LayerEntry[][] = [];
  const interleaved: LayerEntry[][] = [];
  const own = (l: number) => (variant && l >= variant.from ? variant.name : '');
  const pkgDir = (l: number, d: number) => `${TOPS[(l + d) % TOPS.length]}/pkg${own(l)}${l}_${d}`;
  const salt = (l: number) => (variant && l >= variant.from ? 17 : 0);
  for (let l = 0; l < LAYERS; l++) {
    let offset = 0;
    const out: LayerEntry[] = [];
    const push = (path: string, type: LayerEntry['type'], size: number, linkname?: string) => {
      const e: LayerEntry = {
        path,
        type,
        mode: type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644,
        uid: 0,
        gid: 0,
        size,
        mtime: 1_700_000_000 + l,
        offset: (offset += 512),
        uname: 'root',
        gname: 'root',
      };
      if (linkname !== undefined) e.linkname = linkname;
      offset += Math.ceil(size / 512) * 512;
      out.push(e);
    };
    if (l === 0) for (const t of ['usr', 'opt', 'var', ...TOPS]) push(t, 'dir', 0);
    // Directory and file whiteouts go first, as Docker's differ writes them (apply order does
    // not depend on it).
    if (l > 0) {
      for (let k = 0; k < 3; k++) {
        const victim = pkgDir(l - 1, 80 + k); // a package directory the layer below added
        push(`${victim.slice(0, victim.lastIndexOf('/'))}/.wh.${victim.slice(victim.lastIndexOf('/') + 1)}`, 'file', 0);
        counts.dirWhiteouts++;
      }
      for (let k = 0; k < 20; k++) {
        // f's subdirectory is f % 3, so these hit files of layer 0 (some twice: then a no-op).
        push(`${pkgDir(0, 20 + k)}/sub${k % 3}/.wh.f${(k % 3) + 3 * ((l * 7 + k) % 32)}`, 'file', 0);
        counts.fileWhiteouts++;
      }
    }
    const pkg = (dir: string, sizeSalt: number) => {
      push(dir, 'dir', 0);
      counts.dirs++;
      for (let s = 0; s < 2; s++) {
        push(`${dir}/sub${s}`, 'dir', 0); // sub2 left implicit
        counts.dirs++;
      }
      for (let f = 0; f < 98; f++) {
        push(`${dir}/sub${f % 3}/f${f}`, 'file', ((f * 7919 + sizeSalt) % 50_000) + 1);
        counts.files++;
      }
      push(`${dir}/current`, 'symlink', 0, 'sub0');
      push(`${dir}/sub1/link`, 'hardlink', 0, `${dir}/sub1/f1`);
      counts.symlinks++;
      counts.hardlinks++;
    };
    if (l === 0) for (let d = 0; d < 100; d++) pkg(pkgDir(0, d), 0);
    else {
      for (let d = 0; d < 10; d++) {
        pkg(pkgDir(l - 1, 10 + d), l * 31 + (d % 2 ? salt(l) : 0)); // a package of the layer below again (half of them rebuilt with the same sizes)
        counts.overwrites += 100;
      }
      for (let d = 10; d < 100; d++) pkg(pkgDir(l, d), l);
      if (l % 3 === 0) {
        // Opaque: the layer below's package 50 replaced by what this layer puts there.
        push(`${pkgDir(l - 1, 50)}/.wh..wh..opq`, 'file', 0);
        push(`${pkgDir(l - 1, 50)}/NEW`, 'file', 10);
        counts.opaque++;
        counts.files++;
      }
      if (l === LAYERS - 1) {
        push('var/lib/.wh..wh..opq', 'file', 0);
        counts.opaque++;
      }
    }
    // What the app holds after reading the index back from IndexedDB. The members in the order
    // a layer tar lists them: Docker and containerd write layers walking the tree depth first,
    // names sorted within each directory (Go's filepath.Walk), which is this sort with '/'
    // ranked below every other character.
    const walk = (e: LayerEntry) => e.path.replaceAll('/', '\0');
    const sorted = [...out].sort((a, b) => (walk(a) < walk(b) ? -1 : walk(a) > walk(b) ? 1 : 0));
    layers.push(decodeLayerIndex(structuredClone(encodeLayerIndex(sorted))));
    // The generator's own order: consecutive files rotate over three subdirectories, which no
    // tar writer produces; kept as the worst case for locality.
    interleaved.push(decodeLayerIndex(structuredClone(encodeLayerIndex(out))));
  }
  return { layers, interleaved, counts };
}

/** The image of the unit test in src/core/union/apply.test.ts (100,000 files under 3 top
 * directories, directory whiteouts, one opaque directory per layer): a reference in the same run. */
export function generateSimple(): LayerEntry[][] {
  const layers: LayerEntry[][] = [];
  const e = (path: string, type: LayerEntry['type'], size: number): LayerEntry => ({
    path,
    type,
    mode: type === 'dir' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime: 1_700_000_000,
    offset: 512,
  });
  for (let l = 0; l < LAYERS; l++) {
    const layer: LayerEntry[] = [];
    for (let d = 0; d < 100; d++) {
      layer.push(e(`l${l % 3}/d${d}`, 'dir', 0));
      for (let f = 0; f < 100; f++) layer.push(e(`l${l % 3}/d${d}/f${f}`, 'file', f));
    }
    if (l > 0) {
      for (let d = 0; d < 10; d++) layer.push(e(`l${(l + 1) % 3}/.wh.d${d * 7}`, 'file', 0));
      layer.push(e(`l${(l + 2) % 3}/d50/.wh..wh..opq`, 'file', 0));
    }
    layers.push(layer);
  }
  return layers;
}
