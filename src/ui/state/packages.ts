/**
 * What the Packages tab shows, computed from the engine's package history without a browser:
 * the search filter, one layer's changes, and the warnings a person must see (a database that
 * could not be read, or that a layer deleted: neither means "no packages").
 */
import type { ImagePackages } from '../../app/packages.ts';
import type { ChangeKind, InstalledPackage, PackageChange } from '../../core/packages/history.ts';

/** Packages whose name or version contains `query` (case-insensitive); all for an empty one. */
export function filterPackages(packages: readonly InstalledPackage[], query: string): InstalledPackage[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...packages];
  return packages.filter((p) => p.name.toLowerCase().includes(q) || p.version.toLowerCase().includes(q));
}

const KIND_ORDER: readonly ChangeKind[] = ['added', 'upgraded', 'downgraded', 'changed', 'removed'];

export type ChangeCounts = Record<ChangeKind, number>;

/** One layer's package changes, added first then upgraded, downgraded, changed, removed; by name within each. */
export function layerChanges(changes: readonly PackageChange[], layer: number): PackageChange[] {
  return changes
    .filter((c) => c.layer === layer)
    .sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0),
    );
}

export function countChanges(changes: readonly PackageChange[]): ChangeCounts {
  const n: ChangeCounts = { added: 0, upgraded: 0, downgraded: 0, changed: 0, removed: 0 };
  for (const c of changes) n[c.kind]++;
  return n;
}

/** The layers that changed any package, in order: the per-layer view starts at the first. */
export function changedLayers(changes: readonly PackageChange[]): number[] {
  return [...new Set(changes.map((c) => c.layer))].sort((a, b) => a - b);
}

export type PackageWarning =
  | { kind: 'unreadable'; layer: number; path: string; message: string }
  | { kind: 'removed'; layer: number; path: string }
  | { kind: 'error'; message: string };

/**
 * Databases a layer left unreadable or deleted, and errors of the final image's databases
 * that no layer event already names (the final image's unreadable database is both an event
 * and an error: said once).
 */
export function packageWarnings(h: Pick<ImagePackages, 'events' | 'errors'>): PackageWarning[] {
  const out: PackageWarning[] = [];
  const said = new Set<string>();
  for (const e of h.events) {
    if (e.event === 'unreadable') {
      const message = e.message ?? '';
      said.add(message);
      out.push({ kind: 'unreadable', layer: e.layer, path: e.path, message });
    } else if (e.event === 'removed') out.push({ kind: 'removed', layer: e.layer, path: e.path });
  }
  for (const message of h.errors) if (!said.has(message)) out.push({ kind: 'error', message });
  return out;
}

/** What the tab says above the table. */
export type PackagesStatus = 'packages' | 'none' | 'empty';

/**
 * `none`: no package database anywhere in the image's layers; `empty`: databases were found
 * (or deleted, or unreadable) but list no package now; `packages` otherwise.
 */
export function packagesStatus(h: Pick<ImagePackages, 'packages' | 'databases' | 'events' | 'errors'>): PackagesStatus {
  if (h.packages.length > 0) return 'packages';
  return h.databases.length === 0 && h.events.length === 0 && h.errors.length === 0 ? 'none' : 'empty';
}
