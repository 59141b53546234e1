import type { ComparisonResult, CompareRowsQuery, FileDiffResult } from '../../app/compare-api.ts';
import type { FileChange } from '../../core/compare/index.ts';
import type { EngineClient } from './engine-client.ts';
import { Latest } from './latest.ts';
import { findBase } from '../../core/compare/base.ts';
import { toFailure, type Failure } from './failure.ts';
import { CHANGE_KINDS, PACKAGE_DIFF_KINDS, type ChangeKind, type CompareRoute, type PackageDiffKind } from './route.ts';
import type { PackageDiff } from '../../core/packages/compare.ts';
import { countPackageDiff, filterPackageDiff } from './compare-packages.ts';

/** Rows fetched around the visible ones, so scrolling rarely waits for the worker. */
const OVERSCAN = 60;

export interface CompareTarget {
  /** What the person named each side by (a name or an ID), for the URL and the header. */
  a: string;
  b: string;
  aId: string;
  bId: string;
  aLayer?: number;
  bLayer?: number;
}

/**
 * One comparison on screen. The worker keeps the comparison itself (its changes can be 100,000
 * rows); this class asks it for the window of rows the list shows, filtered and sorted, and for
 * one file's diff at a time. Each of the three keeps only its latest answer.
 */
export class CompareState {
  target = $state.raw<CompareTarget | null>(null);
  result = $state.raw<ComparisonResult | null>(null);
  error = $state.raw<Failure | null>(null);
  kinds = $state.raw<ChangeKind[]>([...CHANGE_KINDS]);
  path = $state('');
  sort = $state<'path' | 'delta'>('path');
  total = $state(0);
  windowStart = $state(0);
  rows = $state.raw<FileChange[]>([]);
  focused = $state(0);
  selected = $state<string | null>(null);
  diff = $state.raw<FileDiffResult | null>(null);
  diffError = $state.raw<Failure | null>(null);
  /** The image the images list's "Compare…" picker compares from. */
  pickFrom = $state.raw<{ id: string; ref: string } | null>(null);
  /** The outcome of the last "Compare with base" lookup that found none, or failed. */
  baseMissing = $state(false);
  baseError = $state.raw<Failure | null>(null);
  /** Files (the default) or the packages changed (whole images only). */
  tab = $state<'files' | 'packages'>('files');
  packages = $state.raw<PackageDiff | null>(null);
  packagesError = $state.raw<Failure | null>(null);
  pkgKinds = $state.raw<PackageDiffKind[]>([...PACKAGE_DIFF_KINDS]);
  pkgQuery = $state('');
  readonly pkgRows = $derived(this.packages ? filterPackageDiff(this.packages.rows, this.pkgKinds, this.pkgQuery) : []);
  readonly pkgCounts = $derived(this.packages ? countPackageDiff(this.packages.rows) : null);
  #packaging = new Latest();
  #comparing = new Latest();
  #listing = new Latest();
  #reading = new Latest();
  #visible = { start: 0, count: 40 };

  constructor(private engine: EngineClient) {}

  /** Opens a comparison (again only when the sides changed); filters and selection come along. */
  async open(t: CompareTarget, view: Omit<CompareRoute, 'view' | 'a' | 'b' | 'aLayer' | 'bLayer'> = {}): Promise<void> {
    const same =
      this.target &&
      this.target.aId === t.aId &&
      this.target.bId === t.bId &&
      this.target.aLayer === t.aLayer &&
      this.target.bLayer === t.bLayer;
    this.kinds = view.kinds ?? [...CHANGE_KINDS];
    this.path = view.path ?? '';
    this.sort = view.sort ?? 'path';
    this.pkgKinds = view.pkgKinds ?? [...PACKAGE_DIFF_KINDS];
    this.pkgQuery = view.pkg ?? '';
    // Packages are an image's: a comparison of layers has no Packages tab.
    this.tab = view.tab === 'packages' && t.aLayer === undefined && t.bLayer === undefined ? 'packages' : 'files';
    if (same && this.tab === 'packages' && !this.packages && !this.packagesError) void this.loadPackages();
    if (!same) {
      this.#packaging.cancel();
      this.packages = null;
      this.packagesError = null;
      this.#listing.cancel();
      this.#reading.cancel();
      this.target = t;
      this.result = null;
      this.error = null;
      this.rows = [];
      this.total = 0;
      this.focused = 0;
      this.selected = null;
      this.diff = null;
      if (this.tab === 'packages') void this.loadPackages();
      const out = await this.#comparing.run(() =>
        this.engine.api.compare({
          a: t.aId,
          b: t.bId,
          aName: t.a,
          bName: t.b,
          ...(t.aLayer !== undefined ? { aLayer: t.aLayer } : {}),
          ...(t.bLayer !== undefined ? { bLayer: t.bLayer } : {}),
        }),
      );
      if (!out) return;
      if (!out.ok) {
        this.error = toFailure(out.error);
        return;
      }
      this.result = out.value;
    }
    await this.reload();
    if (view.file && view.file !== this.selected) await this.select(view.file);
  }

  /** Shows the files or the packages changed; the packages are asked for once per comparison. */
  showTab(tab: 'files' | 'packages'): void {
    if (tab === 'packages' && !this.packagesAvailable) return;
    this.tab = tab;
    if (tab === 'packages' && !this.packages && !this.packagesError) void this.loadPackages();
  }

  get packagesAvailable(): boolean {
    const t = this.target;
    return !!t && t.aLayer === undefined && t.bLayer === undefined;
  }

  async loadPackages(): Promise<void> {
    const t = this.target;
    if (!t) return;
    this.packagesError = null;
    const out = await this.#packaging.run(() => this.engine.api.comparePackages(t.aId, t.bId));
    if (!out) return;
    if (out.ok) this.packages = out.value;
    else this.packagesError = toFailure(out.error);
  }

  togglePkgKind(k: PackageDiffKind): void {
    const on = this.pkgKinds.includes(k);
    this.pkgKinds = PACKAGE_DIFF_KINDS.filter((x) => (x === k ? !on : this.pkgKinds.includes(x)));
  }

  close(): void {
    this.#packaging.cancel();
    this.packages = null;
    this.packagesError = null;
    this.tab = 'files';
    this.#comparing.cancel();
    this.#listing.cancel();
    this.#reading.cancel();
    this.target = null;
    this.result = null;
    this.error = null;
    this.rows = [];
    this.selected = null;
    this.diff = null;
  }

  /** The route this comparison is at (reads reactive state). */
  route(): CompareRoute | null {
    const t = this.target;
    if (!t) return null;
    return {
      view: 'compare',
      a: t.a,
      b: t.b,
      ...(t.aLayer !== undefined ? { aLayer: t.aLayer } : {}),
      ...(t.bLayer !== undefined ? { bLayer: t.bLayer } : {}),
      ...(this.kinds.length < CHANGE_KINDS.length ? { kinds: [...this.kinds] } : {}),
      ...(this.path ? { path: this.path } : {}),
      ...(this.sort === 'delta' ? { sort: 'delta' as const } : {}),
      ...(this.selected ? { file: this.selected } : {}),
      ...(this.tab === 'packages'
        ? {
            tab: 'packages' as const,
            ...(this.pkgKinds.length < PACKAGE_DIFF_KINDS.length ? { pkgKinds: [...this.pkgKinds] } : {}),
            ...(this.pkgQuery ? { pkg: this.pkgQuery } : {}),
          }
        : {}),
    };
  }

  async reload(): Promise<void> {
    if (!this.result) return;
    const start = Math.max(0, this.#visible.start - OVERSCAN);
    const query: CompareRowsQuery = {
      kinds: [...this.kinds],
      path: this.path,
      sort: this.sort,
      start,
      count: this.#visible.count + 2 * OVERSCAN,
    };
    const out = await this.#listing.run(() => Promise.resolve(this.engine.api.compareRows(query)));
    if (!out) return;
    if (!out.ok) {
      this.error = toFailure(out.error);
      return;
    }
    this.total = out.value.total;
    this.windowStart = out.value.start;
    this.rows = out.value.rows;
    if (this.focused >= this.total) this.focused = Math.max(0, this.total - 1);
  }

  /** The list scrolled: refetch when the visible range leaves the fetched window. */
  visible(start: number, count: number): void {
    this.#visible = { start, count };
    const end = Math.min(start + count, this.total);
    if (start < this.windowStart || end > this.windowStart + this.rows.length) void this.reload();
  }

  rowAt(i: number): FileChange | undefined {
    return this.rows[i - this.windowStart];
  }

  setFilter(f: Partial<{ kinds: ChangeKind[]; path: string; sort: 'path' | 'delta' }>): void {
    if (f.kinds) this.kinds = CHANGE_KINDS.filter((k) => f.kinds!.includes(k));
    if (f.path !== undefined) this.path = f.path;
    if (f.sort) this.sort = f.sort;
    this.focused = 0;
    this.#visible = { start: 0, count: this.#visible.count };
    void this.reload();
  }

  toggleKind(k: ChangeKind): void {
    this.setFilter({ kinds: this.kinds.includes(k) ? this.kinds.filter((x) => x !== k) : [...this.kinds, k] });
  }

  async select(path: string): Promise<void> {
    this.selected = path;
    this.diff = null;
    this.diffError = null;
    const out = await this.#reading.run(() => this.engine.api.compareFile(path));
    if (!out) return;
    if (out.ok) this.diff = out.value;
    else this.diffError = toFailure(out.error);
  }

  /** Arrow keys, Home/End, Page keys and Enter in the list; true when the key was the list's. */
  key(e: KeyboardEvent, page: number): boolean {
    const last = this.total - 1;
    const moves: Record<string, number> = {
      ArrowDown: this.focused + 1,
      ArrowUp: this.focused - 1,
      PageDown: this.focused + page,
      PageUp: this.focused - page,
      Home: 0,
      End: last,
    };
    if (e.key in moves) {
      this.focused = Math.max(0, Math.min(last, moves[e.key]!));
      return true;
    }
    if (e.key === 'Enter' || e.key === ' ') {
      const r = this.rowAt(this.focused);
      if (r) void this.select(r.path);
      return true;
    }
    return false;
  }

  /** The stored image this one was built on (longest proper layer prefix), if any. */
  async baseOf(id: string): Promise<string | undefined> {
    this.baseMissing = false;
    this.baseError = null;
    try {
      const stored = await this.engine.api.imageLayers();
      const self = stored.find((i) => i.id === id);
      const base = self ? findBase(self, stored)?.id : undefined;
      this.baseMissing = !base;
      return base;
    } catch (e) {
      this.baseError = toFailure(e);
      return undefined;
    }
  }
}
