import type { FileContent, FileRow, ImageDetail } from '../../app/api.ts';
import type { EngineClient } from './engine-client.ts';

export type ImageTab = 'summary' | 'layers' | 'files' | 'treemap' | 'history' | 'inspect';

/** Rows fetched around the visible ones, so scrolling rarely waits for the worker. */
const OVERSCAN = 60;

/**
 * One opened image. View state (tab, expanded directories, selection, scroll) lives here,
 * keyed by path, never in the model the worker computes (dive keeps it in its tree; we don't).
 */
export class ExplorerState {
  id = $state<string | null>(null);
  detail = $state.raw<ImageDetail | null>(null);
  error = $state<string | null>(null);
  tab = $state<ImageTab>('summary');

  layer = $state<number | undefined>(undefined);
  mode = $state<'upto' | 'own'>('upto');
  sortBy = $state<'name' | 'size'>('name');
  search = $state('');
  expanded = $state.raw<Set<string>>(new Set());
  total = $state(0);
  matches = $state<number | undefined>(undefined);
  windowStart = $state(0);
  rows = $state.raw<FileRow[]>([]);
  focused = $state(0);
  file = $state.raw<FileContent | null>(null);
  fileError = $state<string | null>(null);
  busy = $state(false);
  #request = 0;
  #visible = { start: 0, count: 40 };

  constructor(private engine: EngineClient) {}

  async open(id: string): Promise<void> {
    this.id = id;
    this.detail = null;
    this.error = null;
    this.tab = 'summary';
    this.layer = undefined;
    this.mode = 'upto';
    this.search = '';
    this.expanded = new Set();
    this.file = null;
    this.focused = 0;
    try {
      this.detail = await this.engine.api.imageDetail(id);
      await this.reload();
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  close(): void {
    this.id = null;
    this.detail = null;
  }

  /** Fetches the rows around the visible range (latest request wins). */
  async reload(): Promise<void> {
    if (!this.id) return;
    const n = ++this.#request;
    const start = Math.max(0, this.#visible.start - OVERSCAN);
    this.busy = true;
    try {
      const w = await this.engine.api.files(this.id, {
        ...(this.layer !== undefined ? { layer: this.layer } : {}),
        mode: this.layer === undefined ? 'upto' : this.mode,
        sortBy: this.sortBy,
        expanded: [...this.expanded],
        search: this.search,
        start,
        count: this.#visible.count + 2 * OVERSCAN,
      });
      if (n !== this.#request) return;
      this.total = w.total;
      this.windowStart = w.start;
      this.rows = w.rows;
      this.matches = w.matches;
      if (this.focused >= w.total) this.focused = Math.max(0, w.total - 1);
    } catch (e) {
      if (n === this.#request) this.error = e instanceof Error ? e.message : String(e);
    } finally {
      if (n === this.#request) this.busy = false;
    }
  }

  /** The list scrolled: refetch when the visible range leaves the fetched window. */
  visible(start: number, count: number): void {
    this.#visible = { start, count };
    const end = start + count;
    if (start < this.windowStart || end > this.windowStart + this.rows.length) {
      if (this.windowStart + this.rows.length < this.total || start < this.windowStart) void this.reload();
    }
  }

  rowAt(i: number): FileRow | undefined {
    return this.rows[i - this.windowStart];
  }

  toggle(row: FileRow): void {
    if (!row.isDir) return;
    const next = new Set(this.expanded);
    if (next.has(row.path)) next.delete(row.path);
    else next.add(row.path);
    this.expanded = next;
    void this.reload();
  }

  setQuery(
    q: Partial<{ layer: number | undefined; mode: 'upto' | 'own'; sortBy: 'name' | 'size'; search: string }>,
  ): void {
    if ('layer' in q) this.layer = q.layer;
    if (q.mode) this.mode = q.mode;
    if (q.sortBy) this.sortBy = q.sortBy;
    if (q.search !== undefined) this.search = q.search;
    this.focused = 0;
    void this.reload();
  }

  async select(row: FileRow): Promise<void> {
    if (!this.id) return;
    this.fileError = null;
    if (row.isDir || row.removed) {
      this.file = null;
      return;
    }
    try {
      this.file = await this.engine.api.readFile(this.id, row.path);
    } catch (e) {
      this.file = null;
      this.fileError = e instanceof Error ? e.message : String(e);
    }
  }

  /** Keyboard navigation of the tree, as a file manager's: arrows, Home/End, Enter. */
  key(e: KeyboardEvent): boolean {
    const row = this.rowAt(this.focused);
    switch (e.key) {
      case 'ArrowDown':
        this.focused = Math.min(this.total - 1, this.focused + 1);
        return true;
      case 'ArrowUp':
        this.focused = Math.max(0, this.focused - 1);
        return true;
      case 'Home':
        this.focused = 0;
        return true;
      case 'End':
        this.focused = Math.max(0, this.total - 1);
        return true;
      case 'ArrowRight':
        if (row?.isDir && !row.expanded) this.toggle(row);
        return true;
      case 'ArrowLeft':
        if (row?.isDir && row.expanded) this.toggle(row);
        else if (row && row.depth > 0) {
          const parent = row.path.slice(0, row.path.lastIndexOf('/'));
          for (let i = this.focused - 1; i >= this.windowStart; i--) {
            if (this.rowAt(i)?.path === parent) {
              this.focused = i;
              break;
            }
          }
        }
        return true;
      case 'Enter':
      case ' ':
        if (row) {
          if (row.isDir) this.toggle(row);
          else void this.select(row);
        }
        return true;
    }
    return false;
  }
}
