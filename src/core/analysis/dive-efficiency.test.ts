/**
 * dive's efficiency port against dive itself: tests/fixtures/dive-efficiency/cases.json holds
 * layer sets and what dive's own `filetree.Efficiency` returned for them (see its README; the
 * first two are dive's efficiency_test.go vectors).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LayerEntry } from '../layer/entry.ts';
import { diveEfficiency } from './dive-efficiency.ts';

interface Case {
  name: string;
  layers: { path: string; type: LayerEntry['type']; size: number; linkname?: string }[][];
  dive: { efficiency: number; wastedBytes: number; matches: { path: string; count: number; cumulativeSize: number }[] };
}

const cases = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../tests/fixtures/dive-efficiency/cases.json'), 'utf8'),
) as Case[];

describe("dive's Efficiency()", () => {
  for (const c of cases) {
    it(c.name, () => {
      let offset = 0;
      const layers = c.layers.map((l) =>
        l.map((e): LayerEntry => ({ mode: 0o644, uid: 0, gid: 0, mtime: 0, offset: (offset += 512), ...e })),
      );
      const got = diveEfficiency(layers);
      expect(got.efficiency).toBe(c.dive.efficiency);
      expect(got.wastedBytes).toBe(c.dive.wastedBytes);
      const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);
      expect(
        got.paths.map((p) => ({ path: `/${p.path}`, count: p.count, cumulativeSize: p.cumulativeSize })).sort(byPath),
      ).toEqual([...c.dive.matches].sort(byPath));
    });
  }
});
