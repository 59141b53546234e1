import { describe, expect, it } from 'vitest';
import { applyLayers } from '../union/apply.ts';
import { dir, file, hardlink, symlink, whiteout } from '../union/test-layers.ts';
import { ancestorsOf, fileTree, flattenVisible } from './file-tree.ts';

const layers = [
  [
    dir('usr'),
    dir('usr/bin'),
    file('usr/bin/busybox', 1000),
    hardlink('usr/bin/sh', 'usr/bin/busybox'),
    dir('usr/lib'),
    file('usr/lib/a.so', 300),
    file('usr/lib/b.so', 20),
    dir('etc'),
    file('etc/hosts', 7),
    hardlink('etc/busybox-too', 'usr/bin/busybox'),
    symlink('bin', 'usr/bin'),
    dir('tmp'),
  ],
  [whiteout('usr/lib', 'b.so'), file('usr/lib/c.so', 50), file('etc/hosts', 9)],
];
const view = applyLayers(layers);

describe('fileTree', () => {
  it('directory sizes sum the files below, each hard-linked inode once', () => {
    const t = fileTree(view);
    const size = (p: string) => t.byPath.get(p)!.size;
    expect(size('usr/bin')).toBe(1000); // busybox and sh are one inode
    expect(size('usr/lib')).toBe(350);
    expect(size('etc')).toBe(9 + 1000); // hosts + a link to busybox
    expect(size('usr')).toBe(1350);
    expect(size('')).toBe(9 + 1000 + 350); // busybox counted once in the whole image
    expect(size('tmp')).toBe(0);
    expect(t.byPath.get('usr')!.files).toBe(4);
    expect(t.root.files).toBe(7);
    expect(t.root.children!.map((c) => c.name)).toEqual(['bin', 'etc', 'tmp', 'usr']);
    expect(t.byPath.get('bin')).toMatchObject({ type: 'symlink', linkname: 'usr/bin', size: 0 });
  });

  it("a layer's own changes: markers, removed paths shown, only changed paths", () => {
    const t = fileTree(view, { changes: view.layers[1]!, onlyChanged: true });
    const rows = flattenVisible(t, new Set(['etc', 'usr', 'usr/lib']));
    expect(
      rows.map(
        (r) =>
          `${'  '.repeat(r.depth)}${r.name} ${r.size}${r.change ? ` ${r.change}` : ''}${r.removed ? ' (removed)' : ''}`,
      ),
    ).toEqual([
      'etc 9',
      '  hosts 9 modified',
      'usr 50',
      '  lib 50',
      '    b.so 20 removed (removed)',
      '    c.so 50 added',
    ]);
    const full = fileTree(view, { changes: view.layers[1]! });
    expect(full.byPath.get('usr/lib/a.so')!.change).toBeUndefined();
    expect(full.byPath.get('usr/lib/b.so')).toMatchObject({ removed: true, change: 'removed' });
    expect(full.byPath.get('usr/lib')!.size).toBe(350); // removed files do not count
  });
});

describe('flattenVisible', () => {
  const t = fileTree(view);
  it('lists the root children and the children of expanded directories, depth first', () => {
    expect(flattenVisible(t, new Set()).map((r) => r.path)).toEqual(['bin', 'etc', 'tmp', 'usr']);
    const rows = flattenVisible(t, new Set(['usr', 'usr/lib', 'etc/not-a-dir']));
    expect(rows.map((r) => [r.path, r.depth, r.expanded])).toEqual([
      ['bin', 0, false],
      ['etc', 0, false],
      ['tmp', 0, false],
      ['usr', 0, true],
      ['usr/bin', 1, false],
      ['usr/lib', 1, true],
      ['usr/lib/a.so', 2, false],
      ['usr/lib/c.so', 2, false],
    ]);
    expect(rows.find((r) => r.path === 'tmp')).toMatchObject({ isDir: true, hasChildren: false });
  });

  it('sorts by size (largest first) or by name descending; the model is not changed', () => {
    const bySize = flattenVisible(t, new Set(['usr', 'usr/lib']), { by: 'size' });
    expect(bySize.map((r) => r.path)).toEqual([
      'usr',
      'usr/bin',
      'usr/lib',
      'usr/lib/a.so',
      'usr/lib/c.so',
      'etc',
      'bin',
      'tmp',
    ]);
    const asc = flattenVisible(t, new Set(), { by: 'size', descending: false });
    expect(asc.map((r) => r.path)).toEqual(['bin', 'tmp', 'etc', 'usr']);
    const nameDesc = flattenVisible(t, new Set(), { by: 'name', descending: true });
    expect(nameDesc.map((r) => r.path)).toEqual(['usr', 'tmp', 'etc', 'bin']);
    expect(t.root.children!.map((c) => c.name)).toEqual(['bin', 'etc', 'tmp', 'usr']);
  });

  it('ancestorsOf gives the directories to expand for search hits', () => {
    expect([...ancestorsOf(['usr/lib/a.so', 'usr/bin/sh', 'bin'])].sort()).toEqual(['usr', 'usr/bin', 'usr/lib']);
  });

  it('100,000 paths: tree and rows quickly', () => {
    const big = [dir('r')];
    for (let d = 0; d < 1000; d++) {
      big.push(dir(`r/d${d}`));
      for (let f = 0; f < 100; f++) big.push(file(`r/d${d}/f${f}`, f));
    }
    const v = applyLayers([big]);
    const t0 = performance.now();
    const tree = fileTree(v);
    const t1 = performance.now();
    const rows = flattenVisible(tree, new Set(['r', 'r/d1']), { by: 'size' });
    const t2 = performance.now();
    console.log(
      `fileTree of ${v.entries.size} paths: ${(t1 - t0).toFixed(1)} ms; flattenVisible: ${(t2 - t1).toFixed(1)} ms`,
    );
    expect(tree.root.size).toBe(1000 * 4950);
    expect(rows).toHaveLength(1 + 1000 + 100);
  });
});
