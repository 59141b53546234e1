import { describe, expect, it } from 'vitest';
import { comparePackages } from './compare.ts';
import type { InstalledPackage } from './history.ts';

const p = (name: string, version: string, type: InstalledPackage['type'] = 'deb'): InstalledPackage => ({
  type,
  name,
  version,
  arch: 'amd64',
  key: `${type}/${name}/amd64`,
  database: 'var/lib/dpkg/status',
  addedIn: 0,
  layer: 0,
});

describe('comparePackages', () => {
  it('lists added, removed, upgraded and downgraded packages in name order', () => {
    // Orders as `dpkg --compare-versions` and rpmvercmp order them (deb-version(5), rpm's vercmp).
    const d = comparePackages(
      [p('a', '1.0'), p('b', '1.0~rc1'), p('c', '2:1'), p('keep', '1'), p('gone', '3'), p('r', '1.10-1', 'rpm')],
      [p('a', '1.0'), p('b', '1.0'), p('c', '1:9'), p('keep', '1'), p('new', '1'), p('r', '1.9-1', 'rpm')].map((x) =>
        x.name === 'a' ? x : { ...x },
      ),
    );
    expect(d.unchanged).toBe(2);
    expect(d.rows.map((r) => [r.name, r.kind, r.before ?? '', r.after ?? ''])).toEqual([
      ['b', 'upgraded', '1.0~rc1', '1.0'],
      ['c', 'downgraded', '2:1', '1:9'],
      ['gone', 'removed', '3', ''],
      ['new', 'added', '', '1'],
      ['r', 'downgraded', '1.10-1', '1.9-1'],
    ]);
  });
});
