/**
 * Layer sizes against the kernel: each layer is extracted with GNU tar into an overlay mount
 * of the layers below (what moby's naive-diff ApplyDiff and containerd's overlay apply do), and
 * the layer's upper directory is measured as moby's `directory.Size` measures it (Lstat sizes
 * of everything but directories, each inode once). Needs root for the mounts.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tarBuilder } from '../../src/core/tar/builder.ts';
import { scanTar } from '../../src/core/tar/reader.ts';
import type { LayerEntry } from '../../src/core/layer/entry.ts';
import { chainLayerSizes, layerSize } from '../../src/core/layer/size.ts';

const root = mkdtempSync(join(tmpdir(), 'ls-size-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function canMount(): boolean {
  try {
    const d = join(root, 'probe');
    for (const s of ['l', 'u', 'w', 'm']) mkdirSync(join(d, s), { recursive: true });
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${d}/l,upperdir=${d}/u,workdir=${d}/w`,
      `${d}/m`,
    ]);
    execFileSync('umount', [`${d}/m`]);
    return true;
  } catch {
    return false;
  }
}

/** moby pkg/directory.Size: Lstat sizes of non-directories, each inode once. */
function directorySize(dir: string, seen = new Set<string>()): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) {
      total += directorySize(p, seen);
      continue;
    }
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1 && seen.has(key)) continue;
    seen.add(key);
    total += st.size;
  }
  return total;
}

async function entriesOf(tar: Uint8Array): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  await scanTar([tar], {}, (e) => out.push(e));
  return out;
}

/** Applies the layers through overlay mounts; returns each upper directory's size. */
function kernelSizes(tars: Uint8Array[]): number[] {
  const uppers: string[] = [];
  const sizes: number[] = [];
  tars.forEach((tar, i) => {
    const d = join(root, `img-${Date.now()}-${i}`);
    for (const s of ['u', 'w', 'm', 'empty']) mkdirSync(join(d, s), { recursive: true });
    const lower = uppers.length ? [...uppers].reverse().join(':') : join(d, 'empty');
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${d}/u,workdir=${d}/w`,
      `${d}/m`,
    ]);
    try {
      writeFileSync(join(d, 'layer.tar'), tar);
      execFileSync('tar', ['-xf', join(d, 'layer.tar'), '-C', join(d, 'm'), '--numeric-owner']);
    } finally {
      execFileSync('umount', [join(d, 'm')]);
    }
    uppers.push(join(d, 'u'));
    sizes.push(directorySize(join(d, 'u')));
  });
  return sizes;
}

const mountable = canMount();

describe.skipIf(!mountable)('layer sizes, measured on an overlay mount', () => {
  it('hard links to lower files count the file once in the linking layer; duplicates count once', async () => {
    const tars = [
      tarBuilder().file('a', 'x'.repeat(1000)).file('big', 'y'.repeat(3000)).symlink('s', 'a-target-of-17-by').bytes(),
      tarBuilder()
        .link('b', 'a') // lower file: copied up
        .link('c', 'a') // the same inode again
        .file('d', 'z'.repeat(50))
        .file('d', 'z'.repeat(10)) // the same path twice: the last one is on disk
        .link('e', 'd') // same-layer target
        .link('t', 's') // a hard link to a lower symlink
        .bytes(),
      tarBuilder().file('big', 'w'.repeat(5)).link('k', 'big').bytes(),
    ];
    const layers = await Promise.all(tars.map(entriesOf));
    const want = kernelSizes(tars);
    const { sizes } = chainLayerSizes(layers);
    expect(sizes).toEqual(want);
    // Measured alone (at ingest) the lower targets are unknown: only the layer's own bytes.
    expect(layerSize(layers[1]!)).toBe(10);
  });
});
