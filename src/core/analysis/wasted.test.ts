import { describe, expect, it } from 'vitest';
import { dir, file, hardlink, opaque, symlink, whiteout } from '../union/test-layers.ts';
import { wasted } from './wasted.ts';

describe('wasted: dive’s numbers and Layerscope’s reclaimable bytes', () => {
  it('an empty image, or one with nothing repeated, is 100% efficient with nothing reclaimable', () => {
    expect(wasted([])).toEqual({
      totalBytes: 0,
      minimalBytes: 0,
      wastedBytes: 0,
      efficiency: 1,
      paths: [],
      reclaimableBytes: 0,
    });
    const r = wasted([[dir('a'), file('a/x', 10)], [file('a/y', 20)]]);
    expect(r).toMatchObject({ wastedBytes: 0, efficiency: 1, paths: [], reclaimableBytes: 0 });
  });

  it("dive's example: dive says 0.75 and 7000 wasted; only the 2000-byte copy is reclaimable", () => {
    // dive/filetree/efficiency_test.go: score 0.75, /etc/nginx/nginx.conf cumulative 7000;
    // dive/image/analysis.go sums the cumulative sizes into its wasted bytes.
    const r = wasted([
      [dir('etc'), dir('etc/nginx'), file('etc/nginx/nginx.conf', 2000), file('etc/nginx/public', 3000)],
      [file('etc/nginx/nginx.conf', 5000), file('etc/athing', 10000)],
      [whiteout('etc', 'nginx')],
    ]);
    expect(r.efficiency).toBe(0.75);
    expect(r.wastedBytes).toBe(7000);
    expect(r.paths.map((p) => [p.path, p.count, p.wastedSize])).toEqual([['etc/nginx/nginx.conf', 2, 7000]]);
    // Reclaimable: the deleted directory's files (2000 + 3000 + 5000): nothing of it survives.
    expect(r.reclaimableBytes).toBe(10000);
  });

  it('a surviving larger copy is not reclaimable; a deleted or overwritten one is', () => {
    const r = wasted([
      [file('a', 100), file('b', 7)],
      [file('a', 5000), file('b', 1)],
    ]);
    expect(r.reclaimableBytes).toBe(107);
  });

  it('the same path twice in one layer is one version for both', () => {
    const r = wasted([[file('a', 100), file('a', 50)], [file('x', 1)]]);
    expect(r.paths).toEqual([]);
    expect(r.reclaimableBytes).toBe(0);
    expect(r.totalBytes).toBe(51);
  });

  it('a hard link keeps its target’s bytes; opaque directories and refused layers', () => {
    const r = wasted([
      [file('a', 100), dir('d'), file('d/x', 30), symlink('s', 'a')],
      [hardlink('b', 'a'), hardlink('bad', 'nope')], // refused: its link points at nothing
      [hardlink('b', 'a'), opaque('d'), file('d/y', 2)],
      [whiteout('', 'a')],
    ]);
    // a's bytes survive through b; d/x is hidden by the opaque directory.
    expect(r.reclaimableBytes).toBe(30);
  });
});
