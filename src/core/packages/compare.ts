/** Packages changed between two images (the compare view's Packages section). */
import type { InstalledPackage } from './history.ts';
import { compareDebVersions, compareRpm } from './version.ts';

export interface PackageDiffRow {
  key: string;
  type: InstalledPackage['type'];
  name: string;
  arch: string;
  kind: 'added' | 'removed' | 'upgraded' | 'downgraded' | 'changed';
  /** In the first image (absent for `added`). */
  before?: string;
  /** In the second image (absent for `removed`). */
  after?: string;
}

export interface PackageDiff {
  rows: PackageDiffRow[];
  /** Packages with the same version in both. */
  unchanged: number;
}

function order(a: InstalledPackage, b: InstalledPackage): number {
  if (a.type === 'deb') return compareDebVersions(a.version, b.version);
  if (a.type === 'rpm') return compareRpm(a, b);
  return NaN;
}

/** Keyed by type/name/arch: rows sorted by name, then arch. */
export function comparePackages(a: readonly InstalledPackage[], b: readonly InstalledPackage[]): PackageDiff {
  const left = new Map(a.map((p) => [p.key, p]));
  const right = new Map(b.map((p) => [p.key, p]));
  const rows: PackageDiffRow[] = [];
  let unchanged = 0;
  for (const [k, p] of left) {
    const q = right.get(k);
    if (!q) rows.push({ key: k, type: p.type, name: p.name, arch: p.arch, kind: 'removed', before: p.version });
    else if (q.version === p.version && (q.epoch ?? 0) === (p.epoch ?? 0)) unchanged++;
    else {
      const c = order(p, q);
      rows.push({
        key: k,
        type: p.type,
        name: p.name,
        arch: p.arch,
        kind: c < 0 ? 'upgraded' : c > 0 ? 'downgraded' : 'changed',
        before: p.version,
        after: q.version,
      });
    }
  }
  for (const [k, q] of right)
    if (!left.has(k)) rows.push({ key: k, type: q.type, name: q.name, arch: q.arch, kind: 'added', after: q.version });
  rows.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : x.arch < y.arch ? -1 : x.arch > y.arch ? 1 : 0));
  return { rows, unchanged };
}
