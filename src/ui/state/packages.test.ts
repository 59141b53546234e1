import { describe, expect, it } from 'vitest';
import type { InstalledPackage, PackageChange } from '../../core/packages/history.ts';
import {
  changedLayers,
  countChanges,
  filterPackages,
  layerChanges,
  packagesStatus,
  packageWarnings,
} from './packages.ts';

const pkg = (name: string, version: string, layer = 0): InstalledPackage => ({
  type: 'deb',
  name,
  version,
  arch: 'amd64',
  key: `deb/${name}/amd64`,
  database: 'var/lib/dpkg/status',
  addedIn: layer,
  layer,
});
const change = (layer: number, kind: PackageChange['kind'], name: string): PackageChange => ({
  layer,
  kind,
  key: `deb/${name}/amd64`,
  type: 'deb',
  name,
  arch: 'amd64',
});

describe('the Packages tab’s figures', () => {
  const pkgs = [pkg('libc6', '2.36-9+deb12u4'), pkg('bash', '5.2.15-2+b2'), pkg('zlib1g', '1:1.2.13.dfsg-1')];

  it('searches names and versions, case-insensitively; an empty search shows all', () => {
    expect(filterPackages(pkgs, '').map((p) => p.name)).toEqual(['libc6', 'bash', 'zlib1g']);
    expect(filterPackages(pkgs, '  LIB ').map((p) => p.name)).toEqual(['libc6', 'zlib1g']);
    expect(filterPackages(pkgs, 'deb12').map((p) => p.name)).toEqual(['libc6']);
    expect(filterPackages(pkgs, '1:1.2').map((p) => p.name)).toEqual(['zlib1g']);
    expect(filterPackages(pkgs, 'nothing')).toEqual([]);
  });

  it('lists one layer’s changes by kind, then name, and counts them', () => {
    const changes = [
      change(0, 'added', 'zlib1g'),
      change(0, 'added', 'bash'),
      change(2, 'removed', 'aaa'),
      change(2, 'upgraded', 'zlib1g'),
      change(2, 'added', 'curl'),
      change(2, 'downgraded', 'bash'),
    ];
    expect(layerChanges(changes, 2).map((c) => `${c.kind} ${c.name}`)).toEqual([
      'added curl',
      'upgraded zlib1g',
      'downgraded bash',
      'removed aaa',
    ]);
    expect(layerChanges(changes, 1)).toEqual([]);
    expect(countChanges(layerChanges(changes, 2))).toEqual({
      added: 1,
      upgraded: 1,
      downgraded: 1,
      changed: 0,
      removed: 1,
    });
    expect(changedLayers(changes)).toEqual([0, 2]);
  });

  it('warns of unreadable and deleted databases, each final error once', () => {
    const w = packageWarnings({
      events: [
        { layer: 0, path: '/var/lib/dpkg/status', kind: 'dpkg', event: 'written' },
        { layer: 1, path: '/var/lib/dpkg/status', kind: 'dpkg', event: 'removed' },
        { layer: 2, path: '/lib/apk/db/installed', kind: 'apk', event: 'unreadable', message: 'bad line 3' },
      ],
      errors: ['bad line 3', 'other database broken'],
    });
    expect(w).toEqual([
      { kind: 'removed', layer: 1, path: '/var/lib/dpkg/status' },
      { kind: 'unreadable', layer: 2, path: '/lib/apk/db/installed', message: 'bad line 3' },
      { kind: 'error', message: 'other database broken' },
    ]);
  });

  it('says "no database" only when no layer had one; a deleted database is not that', () => {
    const none = { packages: [], databases: [], events: [], errors: [] };
    expect(packagesStatus(none)).toBe('none');
    expect(
      packagesStatus({
        ...none,
        events: [{ layer: 1, path: '/var/lib/dpkg/status', kind: 'dpkg', event: 'removed' }],
      }),
    ).toBe('empty');
    expect(packagesStatus({ ...none, errors: ['unreadable'] })).toBe('empty');
    expect(packagesStatus({ ...none, packages: pkgs })).toBe('packages');
  });
});
