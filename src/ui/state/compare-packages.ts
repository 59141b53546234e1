/**
 * The compare view's Packages tab, computed from the engine's package difference without a
 * browser: the kinds and name filter, and the counts on the kind toggles.
 */
import type { PackageDiffRow } from '../../core/packages/compare.ts';
import { PACKAGE_DIFF_KINDS, type PackageDiffKind } from './route.ts';

export type PackageDiffCounts = Record<PackageDiffKind, number>;

export function countPackageDiff(rows: readonly PackageDiffRow[]): PackageDiffCounts {
  const n = Object.fromEntries(PACKAGE_DIFF_KINDS.map((k) => [k, 0])) as PackageDiffCounts;
  for (const r of rows) n[r.kind]++;
  return n;
}

/** Rows of the given kinds whose name or either version contains `query` (case-insensitive). */
export function filterPackageDiff(
  rows: readonly PackageDiffRow[],
  kinds: readonly PackageDiffKind[],
  query: string,
): PackageDiffRow[] {
  const q = query.trim().toLowerCase();
  const want = new Set(kinds);
  return rows.filter(
    (r) =>
      want.has(r.kind) &&
      (!q ||
        r.name.toLowerCase().includes(q) ||
        (r.before ?? '').toLowerCase().includes(q) ||
        (r.after ?? '').toLowerCase().includes(q)),
  );
}
