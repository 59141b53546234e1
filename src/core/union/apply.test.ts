import { describe, expect, it } from 'vitest';
import type { LayerEntry } from '../layer/entry.ts';
import { readTar } from '../tar/reader.ts';
import { tarBuilder, type TarBuilder } from '../tar/builder.ts';
import { applyLayers, inodeGroups, sortChanges, type UnionView } from './apply.ts';
import { resolvePath } from './resolve.ts';
import { dir, file, hardlink, opaque, symlink, whiteout } from './test-layers.ts';

/** The merged listing as `path type size` lines, sorted. */
function listing(v: UnionView): string[] {
  return [...v.entries.values()]
    .map((e) => `${e.path} ${e.type}${e.type === 'file' ? ` ${e.size}` : ''}${e.linkname ? ` -> ${e.linkname}` : ''}`)
    .sort();
}

function changesOf(v: UnionView, layer: number): string[] {
  return sortChanges(v.layers[layer]!.changes).map((c) => `${c.kind[0]} ${c.path}`);
}

async function entriesOf(b: TarBuilder): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  for await (const e of readTar(
    (async function* () {
      yield b.bytes();
    })(),
  )) {
    const { headerOffset: _, ...entry } = e.header;
    out.push(entry);
    await e.skip();
  }
  return out;
}

describe('applyLayers: overlay semantics', () => {
  it('merges layers bottom first, upper metadata wins for directories', () => {
    const v = applyLayers([
      [dir('etc', { mode: 0o755 }), file('etc/a', 3), file('etc/b', 4)],
      [dir('etc', { mode: 0o700, uid: 5 }), file('etc/c', 5), file('etc/a', 9)],
    ]);
    expect(listing(v)).toEqual(['etc dir', 'etc/a file 9', 'etc/b file 4', 'etc/c file 5']);
    expect(v.entries.get('etc')).toMatchObject({ mode: 0o700, uid: 5, layer: 1 });
    expect(sortChanges(v.layers[1]!.changes)).toEqual([
      {
        path: 'etc',
        kind: 'modified',
        type: 'dir',
        size: 0,
        fields: ['mode', 'uid'],
        before: { type: 'dir', size: 0 },
      },
      { path: 'etc/a', kind: 'modified', type: 'file', size: 9, fields: ['size'], before: { type: 'file', size: 3 } },
      { path: 'etc/c', kind: 'added', type: 'file', size: 5 },
    ]);
    expect(v.errors).toEqual([]);
  });

  it('whiteout removes a file, and a directory with its whole subtree', () => {
    const v = applyLayers([
      [dir('a'), dir('a/d'), file('a/d/x', 1), dir('a/d/e'), file('a/d/e/y', 2), file('a/f', 3), file('a/g', 4)],
      [whiteout('a', 'd'), whiteout('a', 'f')],
    ]);
    expect(listing(v)).toEqual(['a dir', 'a/g file 4']);
    expect(sortChanges(v.layers[1]!.changes)).toEqual([
      { path: 'a/d', kind: 'removed', type: 'dir', size: 0, via: 'whiteout' },
      { path: 'a/d/e', kind: 'removed', type: 'dir', size: 0, via: 'whiteout' },
      { path: 'a/d/e/y', kind: 'removed', type: 'file', size: 2, via: 'whiteout' },
      { path: 'a/d/x', kind: 'removed', type: 'file', size: 1, via: 'whiteout' },
      { path: 'a/f', kind: 'removed', type: 'file', size: 3, via: 'whiteout' },
    ]);
    expect([...v.children.get('a')!]).toEqual(['a/g']);
    expect(v.children.has('a/d')).toBe(false);
  });

  it('a whiteout hides only lower layers: the same layer may recreate the name, in any order', () => {
    const lower = [dir('d'), file('d/old', 1)];
    for (const upper of [
      [whiteout('', 'd'), dir('d'), file('d/new', 2)],
      [dir('d'), file('d/new', 2), whiteout('', 'd')],
    ]) {
      const v = applyLayers([lower, upper]);
      expect(listing(v)).toEqual(['d dir', 'd/new file 2']);
      expect(changesOf(v, 1)).toEqual(['a d/new', 'r d/old']);
    }
  });

  it('whiteouts of names that do not exist below are harmless', () => {
    const v = applyLayers([[file('a', 1)], [whiteout('', 'nothing'), whiteout('a', 'under-a-file')]]);
    expect(listing(v)).toEqual(['a file 1']);
    expect(v.errors).toEqual([]);
    expect(sortChanges(v.layers[1]!.changes)).toEqual([]);
  });

  it('a whiteout in a missing directory makes that directory, as containerd and moby do', () => {
    const v = applyLayers([[file('a', 1)], [whiteout('x/y', 'z')]]);
    expect(listing(v)).toEqual(['a file 1', 'x dir', 'x/y dir']);
    expect(v.entries.get('x')).toMatchObject({ implicit: true, mode: 0o755, uid: 0, gid: 0 });
  });

  it('AUFS metadata (.wh..wh.plnk) is skipped, not treated as a whiteout', () => {
    const v = applyLayers([[file('a', 1)], [dir('.wh..wh.plnk'), file('.wh..wh.plnk/123.4', 7), file('.wh..wh.aufs')]]);
    expect(listing(v)).toEqual(['a file 1']);
  });
});

describe('applyLayers: opaque directories', () => {
  const lower = [dir('d'), file('d/old', 1), dir('d/sub'), file('d/sub/deep', 2), file('keep', 3)];
  const orders: [string, LayerEntry[]][] = [
    ['marker first', [dir('d', { mode: 0o711 }), opaque('d'), file('d/new', 4), dir('d/sub'), file('d/sub/n2', 5)]],
    ['marker last', [dir('d', { mode: 0o711 }), file('d/new', 4), dir('d/sub'), file('d/sub/n2', 5), opaque('d')]],
    ['marker between', [dir('d', { mode: 0o711 }), file('d/new', 4), opaque('d'), dir('d/sub'), file('d/sub/n2', 5)]],
  ];
  for (const [name, upper] of orders) {
    it(`hides everything below in the directory, keeps the layer's own entries (${name})`, () => {
      const v = applyLayers([lower, upper]);
      expect(listing(v)).toEqual(['d dir', 'd/new file 4', 'd/sub dir', 'd/sub/n2 file 5', 'keep file 3']);
      expect(v.entries.get('d')!.mode).toBe(0o711);
      // d/sub existed below and exists again: same type and metadata → not a change.
      expect(changesOf(v, 1)).toEqual(['m d', 'a d/new', 'r d/old', 'r d/sub/deep', 'a d/sub/n2']);
      expect(v.layers[1]!.changes.find((c) => c.path === 'd/old')!.via).toBe('opaque');
    });
  }

  it('an opaque marker without a directory entry keeps the directory (lower metadata)', () => {
    const v = applyLayers([lower, [opaque('d')]]);
    expect(listing(v)).toEqual(['d dir', 'keep file 3']);
  });

  it('a later opaque layer hides entries of every layer below', () => {
    const v = applyLayers([lower, [dir('d'), file('d/mid', 1)], [opaque('d'), file('d/top', 1)]]);
    expect(listing(v)).toEqual(['d dir', 'd/top file 1', 'keep file 3']);
  });
});

describe('applyLayers: replacement', () => {
  it('a file replacing a directory drops the subtree', () => {
    const v = applyLayers([[dir('x'), dir('x/y'), file('x/y/z', 1), file('x/w', 2)], [file('x', 10)]]);
    expect(listing(v)).toEqual(['x file 10']);
    expect(sortChanges(v.layers[1]!.changes)).toEqual([
      {
        path: 'x',
        kind: 'modified',
        type: 'file',
        size: 10,
        fields: ['type', 'size', 'mode'],
        before: { type: 'dir', size: 0 },
      },
      { path: 'x/w', kind: 'removed', type: 'file', size: 2, via: 'replaced' },
      { path: 'x/y', kind: 'removed', type: 'dir', size: 0, via: 'replaced' },
      { path: 'x/y/z', kind: 'removed', type: 'file', size: 1, via: 'replaced' },
    ]);
    expect(v.children.has('x')).toBe(false);
  });

  it('a symlink replacing a directory drops the subtree too', () => {
    const v = applyLayers([[dir('x'), file('x/y', 1)], [symlink('x', '/elsewhere')]]);
    expect(listing(v)).toEqual(['x symlink -> /elsewhere']);
  });

  it('a directory replacing a file', () => {
    const v = applyLayers([[file('x', 5)], [dir('x'), file('x/in', 1)]]);
    expect(listing(v)).toEqual(['x dir', 'x/in file 1']);
    expect(changesOf(v, 1)).toEqual(['m x', 'a x/in']);
  });

  it('symlink target change and mode/uid/gid changes are modifications', () => {
    const v = applyLayers([
      [symlink('l', 'a'), file('f', 1, { mode: 0o644, uid: 1, gid: 1, mtime: 5 })],
      [symlink('l', 'b'), file('f', 1, { mode: 0o600, uid: 2, gid: 3, mtime: 5 })],
    ]);
    expect(sortChanges(v.layers[1]!.changes).map((c) => [c.path, c.fields])).toEqual([
      ['f', ['mode', 'uid', 'gid']],
      ['l', ['linkname']],
    ]);
  });

  it('the same file re-emitted unchanged is not a change', () => {
    const v = applyLayers([[file('f', 1, { mtime: 5 })], [file('f', 1, { mtime: 5 })]]);
    expect(sortChanges(v.layers[1]!.changes)).toEqual([]);
  });

  it('missing parent directories are created implicitly (0755 root:root)', () => {
    const v = applyLayers([[file('a/b/c', 1)]]);
    expect(listing(v)).toEqual(['a dir', 'a/b dir', 'a/b/c file 1']);
    expect(v.entries.get('a/b')).toMatchObject({ implicit: true, mode: 0o755, uid: 0, gid: 0 });
    expect(changesOf(v, 0)).toEqual(['a a', 'a a/b', 'a a/b/c']);
    // An explicit entry later takes over the implicit one.
    const w = applyLayers([[file('a/b', 1), dir('a', { mode: 0o700 })]]);
    expect(w.entries.get('a')).toMatchObject({ mode: 0o700 });
    expect(w.entries.get('a')!.implicit).toBeUndefined();
  });

  it('an entry below a symlinked directory lands in the target (inside the root)', () => {
    const v = applyLayers([[dir('usr'), dir('usr/lib'), symlink('lib', 'usr/lib')], [file('lib/x.so', 8)]]);
    expect(listing(v)).toEqual(['lib symlink -> usr/lib', 'usr dir', 'usr/lib dir', 'usr/lib/x.so file 8']);
    // An absolute symlink means the image root, not the host.
    const w = applyLayers([[symlink('lib', '/../../usr/lib')], [file('lib/y', 1)]]);
    expect(listing(w)).toEqual(['lib symlink -> /../../usr/lib', 'usr dir', 'usr/lib dir', 'usr/lib/y file 1']);
  });
});

describe('applyLayers: hard links', () => {
  it('a hard link carries its target type and size and shares its inode', () => {
    const v = applyLayers([
      [
        dir('bin'),
        file('bin/busybox', 1000, { mode: 0o755 }),
        hardlink('bin/sh', 'bin/busybox'),
        hardlink('bin/ls', 'bin/sh'),
      ],
    ]);
    const sh = v.entries.get('bin/sh')!;
    expect(sh).toMatchObject({ type: 'file', size: 1000, mode: 0o755, hardlinkTo: 'bin/busybox' });
    expect(sh.inode).toBe(v.entries.get('bin/busybox')!.inode);
    expect(sh.dataOffset).toBe(v.entries.get('bin/busybox')!.offset);
    expect([...inodeGroups(v).values()].map((g) => g.sort())).toEqual([['bin/busybox', 'bin/ls', 'bin/sh']]);
  });

  it('a link made in an upper layer to a lower file; replacing the target keeps the old inode', () => {
    const v = applyLayers([[file('a', 10)], [hardlink('b', 'a')], [file('a', 20)]]);
    expect(v.entries.get('b')).toMatchObject({ size: 10, dataLayer: 0 });
    expect(v.entries.get('a')).toMatchObject({ size: 20, dataLayer: 2 });
    expect(inodeGroups(v).size).toBe(0);
  });
});

describe('applyLayers: breakout and edge table (refused per layer)', () => {
  // Each hostile layer sits on a good base layer and under a good top layer: only it is refused,
  // the view is the base plus the top, and the error names the layer and the path.
  const baseLayer = [dir('etc'), file('etc/passwd', 10), dir('d'), file('d/x', 1)];
  const top = [file('top', 1)];
  const table: [string, LayerEntry[], string, string][] = [
    ['whiteout of ..', [whiteout('etc', '..')], 'bad-whiteout', 'etc/.wh...'],
    ['whiteout of .', [whiteout('etc', '.')], 'bad-whiteout', 'etc/.wh..'],
    ['whiteout of nothing (.wh.)', [file('etc/.wh.')], 'bad-whiteout', 'etc/.wh.'],
    ['.. component', [file('../evil', 1)], 'bad-path', '../evil'],
    ['.. in the middle', [file('etc/../../evil', 1)], 'bad-path', 'etc/../../evil'],
    ['absolute path', [file('/etc/shadow', 1)], 'bad-path', '/etc/shadow'],
    ['. component', [file('./etc/x', 1)], 'bad-path', './etc/x'],
    ['empty component', [file('etc//x', 1)], 'bad-path', 'etc//x'],
    ['whiteout used as a directory', [file('d/.wh.x/y', 1)], 'bad-path', 'd/.wh.x/y'],
    ['hard link escaping the root', [hardlink('d/l', '../../../etc/passwd')], 'hardlink-escape', 'd/l'],
    ['hard link to a missing target', [hardlink('d/l', 'nope')], 'hardlink-missing', 'd/l'],
    ['hard link to a directory', [hardlink('d/l', 'etc')], 'hardlink-dir', 'd/l'],
    ['hard link to the root', [hardlink('d/l', '.')], 'hardlink-dir', 'd/l'],
    [
      'hard link to a target whited out in the same layer',
      [whiteout('etc', 'passwd'), hardlink('d/l', 'etc/passwd')],
      'hardlink-missing',
      'd/l',
    ],
    ['entry below a regular file', [file('etc/passwd/x', 1)], 'parent-not-dir', 'etc/passwd'],
    ['root entry that is not a directory', [file('', 1)], 'bad-root', ''],
    ['symlink loop as a parent', [symlink('loop', 'loop'), file('loop/x', 1)], 'symlink-loop', 'loop'],
  ];
  for (const [name, hostile, code, path] of table) {
    it(name, () => {
      const v = applyLayers([baseLayer, [file('partial', 1), whiteout('d', 'x'), ...hostile], top]);
      expect(v.errors).toHaveLength(1);
      expect(v.errors[0]).toMatchObject({ layer: 1, code, path });
      expect(v.errors[0]!.message).toMatch(/^layer 1: /);
      // Nothing of the refused layer is applied — not even its harmless entries before the bad one.
      expect(listing(v)).toEqual(['d dir', 'd/x file 1', 'etc dir', 'etc/passwd file 10', 'top file 1']);
      expect(v.layers[1]).toEqual({ layer: 1, applied: false, added: 0, modified: 0, removed: 0, changes: [] });
      expect(v.layers[2]!.applied).toBe(true);
      expect([...v.children.get('')!].sort()).toEqual(['d', 'etc', 'top']);
      expect([...v.children.get('d')!]).toEqual(['d/x']);
    });
  }

  // The same kind of table through real tar bytes: what the reader lets through (it refuses
  // `..` and absolute names itself), the union refuses or keeps inside the root.
  const tarTable: [string, (b: TarBuilder) => TarBuilder, string, string][] = [
    ['tar: whiteout of ..', (b) => b.whiteout('etc', '..'), 'bad-whiteout', 'etc/.wh...'],
    ['tar: whiteout of .', (b) => b.whiteout('etc', '.'), 'bad-whiteout', 'etc/.wh..'],
    ['tar: whiteout as a directory', (b) => b.file('d/.wh.x/y', 'y'), 'bad-path', 'd/.wh.x/y'],
    ['tar: hard link to a missing target', (b) => b.link('d/l', 'etc/nope'), 'hardlink-missing', 'd/l'],
    ['tar: hard link to a directory', (b) => b.link('d/l', 'etc'), 'hardlink-dir', 'd/l'],
    ['tar: file below a file', (b) => b.file('etc/passwd/x', 'x'), 'parent-not-dir', 'etc/passwd'],
    [
      'tar: symlink loop as a parent',
      (b) => b.symlink('a', 'b').symlink('b', 'a').file('a/x', 'x'),
      'symlink-loop',
      'a',
    ],
  ];
  for (const [name, build, code, path] of tarTable) {
    it(name, async () => {
      const hostile = await entriesOf(build(tarBuilder().file('partial', 'p').whiteout('d', 'x')));
      const v = applyLayers([baseLayer, hostile, top]);
      expect(v.errors.map((e) => [e.layer, e.code, e.path])).toEqual([[1, code, path]]);
      expect(listing(v)).toEqual(['d dir', 'd/x file 1', 'etc dir', 'etc/passwd file 10', 'top file 1']);
    });
  }

  it('tar: an entry below a symlink that climbs out lands inside the root', async () => {
    const layer = await entriesOf(
      tarBuilder().symlink('up', '../../..').symlink('abs', '/').file('up/etc/x', 'x').file('abs/tmp/y', 'y'),
    );
    const v = applyLayers([baseLayer, layer]);
    expect(v.errors).toEqual([]);
    expect(listing(v)).toEqual([
      'abs symlink -> /',
      'd dir',
      'd/x file 1',
      'etc dir',
      'etc/passwd file 10',
      'etc/x file 1',
      'tmp dir',
      'tmp/y file 1',
      'up symlink -> ../../..',
    ]);
  });

  it('symlinks pointing outside are legal and resolve inside the root', () => {
    const v = applyLayers([baseLayer, [symlink('out', '../../../../etc/passwd'), symlink('abs', '/etc/passwd')]]);
    expect(v.errors).toEqual([]);
    expect(resolvePath(v, 'out').path).toBe('etc/passwd');
    expect(resolvePath(v, 'abs').entry!.size).toBe(10);
  });

  it('the tar reader already refuses .. and absolute names before they get here', async () => {
    const bad = tarBuilder().file('../evil', 'x');
    await expect(entriesOf(bad)).rejects.toThrow(/escapes the root/);
  });

  it('layers built with the tar builder apply the same as literals', async () => {
    const l0 = await entriesOf(
      tarBuilder().dir('etc').file('etc/a', 'hello').file('etc/b', 'x').dir('var').file('var/log', 'yy'),
    );
    const l1 = await entriesOf(
      tarBuilder().whiteout('etc', 'a').opaque('var').file('var/new', 'zzz').link('etc/b2', 'etc/b'),
    );
    const v = applyLayers([l0, l1]);
    expect(listing(v)).toEqual(['etc dir', 'etc/b file 1', 'etc/b2 file 1', 'var dir', 'var/new file 3']);
    expect(changesOf(v, 1)).toEqual(['r etc/a', 'a etc/b2', 'r var/log', 'a var/new']);
  });
});

describe('resolvePath', () => {
  const v = applyLayers([
    [
      dir('usr'),
      dir('usr/bin'),
      file('usr/bin/env', 5),
      symlink('bin', 'usr/bin'),
      symlink('up', '../../..'),
      symlink('rel', '../usr/bin/env'),
      symlink('usr/bin/self', '.'),
      symlink('a', 'b'),
      symlink('b', 'a'),
      symlink('dangling', '/no/such'),
    ],
  ]);
  it('follows absolute and relative links clamped at the root', () => {
    expect(resolvePath(v, 'bin/env')).toMatchObject({ path: 'usr/bin/env', entry: { size: 5 } });
    expect(resolvePath(v, '/up/up/usr/bin/env').path).toBe('usr/bin/env');
    expect(resolvePath(v, 'rel').path).toBe('usr/bin/env');
    expect(resolvePath(v, 'bin/self/self/env').path).toBe('usr/bin/env');
    expect(resolvePath(v, '../../..').path).toBe('');
    expect(resolvePath(v, '').entry).toBe(v.root);
  });
  it('keeps the last link with followLast: false, reports a dangling link as missing', () => {
    expect(resolvePath(v, 'bin', { followLast: false })).toMatchObject({ path: 'bin', entry: { type: 'symlink' } });
    expect(resolvePath(v, 'dangling')).toEqual({ path: 'no/such', entry: undefined });
  });
  it('stops a loop after 40 links', () => {
    expect(() => resolvePath(v, 'a')).toThrow(/too many levels of symbolic links/);
    // 40 links is fine, 41 is not.
    const chain = [file('t', 1)];
    for (let i = 0; i < 41; i++) chain.push(symlink(`s${i}`, i === 0 ? 't' : `s${i - 1}`));
    const w = applyLayers([chain]);
    expect(resolvePath(w, 's39').path).toBe('t');
    expect(() => resolvePath(w, 's40')).toThrow(/symbolic links/);
  });
});

describe('applyLayers: performance', () => {
  it('100,000 files over 10 layers', () => {
    const layers: LayerEntry[][] = [];
    let n = 0;
    for (let l = 0; l < 10; l++) {
      const layer: LayerEntry[] = [];
      for (let d = 0; d < 100; d++) {
        layer.push(dir(`l${l % 3}/d${d}`));
        for (let f = 0; f < 100; f++, n++) layer.push(file(`l${l % 3}/d${d}/f${f}`, f));
      }
      // Some deletions: whole directories, single files, an opaque directory.
      if (l > 0) {
        for (let d = 0; d < 10; d++) layer.push(whiteout(`l${(l + 1) % 3}`, `d${d * 7}`));
        layer.push(opaque(`l${(l + 2) % 3}/d50`));
      }
      layers.push(layer);
    }
    expect(n).toBe(100_000);
    applyLayers(layers); // warm up the JIT
    const times: number[] = [];
    let v!: UnionView;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      v = applyLayers(layers);
      times.push(performance.now() - t0);
    }
    const ms = Math.min(...times);
    console.log(
      `union of ${n} files over ${layers.length} layers: best ${ms.toFixed(1)} ms of ${times.map((t) => t.toFixed(0)).join('/')} ms (target < 300 ms), ${v.entries.size} paths in the view`,
    );
    expect(v.errors).toEqual([]);
    expect(ms).toBeLessThan(5000);
  });
});
