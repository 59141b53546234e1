import { describe, expect, it } from 'vitest';
import { comparePackages } from '../../core/packages/compare.ts';
import type { InstalledPackage } from '../../core/packages/history.ts';
import { countPackageDiff, filterPackageDiff } from './compare-packages.ts';

const deb = (name: string, version: string): InstalledPackage => ({
  type: 'deb',
  name,
  version,
  arch: 'amd64',
  key: `deb/${name}/amd64`,
  database: 'var/lib/dpkg/status',
  addedIn: 0,
  layer: 0,
});

describe('compare view: packages', () => {
  const d = comparePackages(
    [deb('libc6', '2.36-9'), deb('curl', '7.88.1-10'), deb('zlib1g', '1:1.2.13'), deb('tzdata', '2024a')],
    [deb('libc6', '2.36-9+deb12u4'), deb('zlib1g', '1:1.2.11'), deb('tzdata', '2024a'), deb('jq', '1.6-2.1')],
  );

  it('counts each kind', () => {
    expect(countPackageDiff(d.rows)).toEqual({ added: 1, removed: 1, upgraded: 1, downgraded: 1, changed: 0 });
    expect(d.unchanged).toBe(1);
  });

  it('filters by kind and by name or either version', () => {
    const all = ['added', 'removed', 'upgraded', 'downgraded', 'changed'] as const;
    expect(filterPackageDiff(d.rows, all, '').map((r) => r.name)).toEqual(['curl', 'jq', 'libc6', 'zlib1g']);
    expect(filterPackageDiff(d.rows, ['upgraded', 'downgraded'], '').map((r) => r.name)).toEqual(['libc6', 'zlib1g']);
    expect(filterPackageDiff(d.rows, all, 'DEB12').map((r) => r.name)).toEqual(['libc6']);
    expect(filterPackageDiff(d.rows, all, '7.88').map((r) => r.name)).toEqual(['curl']);
    expect(filterPackageDiff(d.rows, ['added'], 'curl')).toEqual([]);
  });
});
