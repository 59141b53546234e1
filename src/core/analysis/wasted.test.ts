import { describe, expect, it } from 'vitest';
import { dir, file, hardlink, opaque, symlink, whiteout } from '../union/test-layers.ts';
import { wasted } from './wasted.ts';

describe('wasted (dive definition)', () => {
  it('an empty image, or one with nothing repeated, is 100% efficient', () => {
    expect(wasted([])).toEqual({ totalBytes: 0, minimalBytes: 0, wastedBytes: 0, efficiency: 1, paths: [] });
    expect(wasted([[file('nothing', 0)], [], []]).efficiency).toBe(1);
    const r = wasted([[dir('a'), file('a/x', 10)], [file('a/y', 20)]]);
    expect(r).toMatchObject({ totalBytes: 30, minimalBytes: 30, wastedBytes: 0, efficiency: 1, paths: [] });
  });

  it("dive's own example without the deletion: overwrite costs the copies (0.75)", () => {
    // dive/filetree/efficiency_test.go: nginx.conf 2000 then 5000, public 3000, athing 10000.
    const r = wasted([
      [dir('etc'), dir('etc/nginx'), file('etc/nginx/nginx.conf', 2000), file('etc/nginx/public', 3000)],
      [file('etc/nginx/nginx.conf', 5000), file('etc/athing', 10000)],
    ]);
    expect(r.totalBytes).toBe(20000);
    expect(r.minimalBytes).toBe(15000);
    expect(r.wastedBytes).toBe(5000);
    expect(r.efficiency).toBe(0.75);
    expect(r.paths).toEqual([
      { path: 'etc/nginx/nginx.conf', count: 2, layers: [0, 1], cumulativeSize: 7000, minSize: 2000, wastedSize: 5000 },
    ]);
  });

  it('a directory deleted later is wasted in full, file by file', () => {
    const r = wasted([
      [dir('etc'), dir('etc/nginx'), file('etc/nginx/nginx.conf', 2000), file('etc/nginx/public', 3000)],
      [file('etc/nginx/nginx.conf', 5000), file('etc/athing', 10000)],
      [whiteout('etc', 'nginx')],
    ]);
    expect(r).toMatchObject({ totalBytes: 20000, minimalBytes: 10000, wastedBytes: 10000, efficiency: 0.5 });
    expect(r.paths.map((p) => [p.path, p.count, p.layers, p.cumulativeSize, p.wastedSize])).toEqual([
      ['etc/nginx/nginx.conf', 3, [0, 1, 2], 7000, 7000],
      ['etc/nginx/public', 2, [0, 2], 3000, 3000],
    ]);
  });

  it('a smaller overwrite wastes the larger copy; opaque and replacement removals count', () => {
    const r = wasted([
      [dir('d'), file('d/big', 1000), file('d/small', 10), file('f', 7), dir('x'), file('x/in', 40)],
      [file('d/big', 1), dir('f'), file('x', 3)],
      [opaque('d'), file('d/new', 5)],
    ]);
    // d/big: 1000 + 1 + 0 (opaque) → min 0; d/small: 10 + 0 → min 0; f: 7 + 0 (replaced by a dir);
    // x/in: 40 + 0 (its dir replaced by a file); x: 3; d/new: 5.
    expect(r.totalBytes).toBe(1000 + 1 + 10 + 7 + 40 + 3 + 5);
    expect(r.minimalBytes).toBe(8);
    expect(r.wastedBytes).toBe(1058);
    expect(r.efficiency).toBeCloseTo(8 / 1066, 12);
    expect(r.paths.map((p) => `${p.path} ${p.wastedSize}`)).toEqual(['d/big 1001', 'x/in 40', 'd/small 10', 'f 7']);
  });

  it('hard links and symlinks cost nothing themselves; a refused layer is left out', () => {
    const r = wasted([
      [file('a', 100), hardlink('b', 'a'), symlink('c', 'a')],
      [file('c', 50), hardlink('x', 'nope')],
      [file('b', 100)],
    ]);
    // c: 0 (symlink) + 50 → min 0, wasted 50; b: 0 + 100 → wasted 100; layer 1 refused.
    expect(r.paths.map((p) => `${p.path} ${p.count} ${p.wastedSize}`)).toEqual(['b 2 100']);
    expect(r).toMatchObject({ totalBytes: 200, minimalBytes: 100, wastedBytes: 100, efficiency: 0.5 });
  });
});
