import type { FileContent, FileRow, ImageDetail } from '../../app/api.ts';
import type { EngineClient } from './engine-client.ts';
import { saveAs } from './download.ts';
import { Latest } from './latest.ts';
import { toFailure, type Failure } from './failure.ts';
import type { RouteTab } from './route.ts';

export type ImageTab = RouteTab;

/** Rows fetched around the visible ones, so scrolling rarely waits for the worker. */
const OVERSCAN = 60;

/**
 * One opened image. View state (tab, expanded directories, selection, scroll) lives here,
 * keyed by path, never in the model the worker computes (dive keeps it in its tree; we don't).
 * Opening, listing rows and reading a file each keep only their latest answer: a slow answer
 * for the image or file the person left never replaces the one they moved to.
 */
export class ExplorerState {
  id = $state<string | null>(null);
  /** What the person opened it by (a name or the ID), for its URL. */
  ref = $state<string | null>(null);
  detail = $state.raw<ImageDetail | null>(null);
  error = $state.raw<Failure | null>(null);
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
  fileError = $state.raw<Failure | null>(null);
  /** A download of a file or the filesystem that failed. */
  downloadError = $state.raw<Failure | null>(null);
  busy = $state(false);
  /** The image went from the store while it was open (another tab or window removed it). */
  removed = $state(false);
  /** The open image has been seen in a listing, so its absence from one means it was removed. */
  #listed = false;
  #opening = new Latest();
  #listing = new Latest();
  #reading = new Latest();
  #visible = { start: 0, count: 40 };

  constructor(private engine: EngineClient) {}

  async open(id: string, ref?: string): Promise<void> {
    this.#listing.cancel();
    this.#reading.cancel();
    this.id = id;
    this.ref = ref ?? null;
    this.detail = null;
    this.error = null;
    this.tab = 'summary';
    this.layer = undefined;
    this.mode = 'upto';
    this.search = '';
    this.expanded = new Set();
    this.file = null;
    this.fileError = null;
    this.downloadError = null;
    this.removed = false;
    this.#listed = false;
    this.focused = 0;
    this.total = 0;
    this.rows = [];
    const out = await this.#opening.run(() => this.engine.api.imageDetail(id, ref));
    if (!out) return;
    if (!out.ok) {
      this.error = toFailure(out.error);
      return;
    }
    this.detail = out.value;
    await this.reload();
  }

  /**
   * The images list changed (here or in another tab): the open image is gone if a listing
   * that had it no longer does. A listing that never had it (a pull that just committed, a
   * refresh still on its way) proves nothing.
   */
  noticeListing(ids: ReadonlySet<string>): void {
    if (!this.id) return;
    if (ids.has(this.id)) {
      this.#listed = true;
      this.removed = false;
    } else if (this.#listed) this.removed = true;
  }

  close(): void {
    this.#opening.cancel();
    this.#listing.cancel();
    this.#reading.cancel();
    this.id = null;
    this.ref = null;
    this.detail = null;
    this.file = null;
  }

  /** Opens a file by path (a link to it): its directories expand and the viewer shows it. */
  async openPath(path: string): Promise<void> {
    const parts = path.split('/');
    const ancestors = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    this.expanded = new Set([...this.expanded, ...ancestors]);
    void this.reload();
    await this.select({ path, isDir: false });
  }

  /** Fetches the rows around the visible range (latest request wins). */
  async reload(): Promise<void> {
    const id = this.id;
    if (!id) return;
    const start = Math.max(0, this.#visible.start - OVERSCAN);
    this.busy = true;
    const query = {
      ...(this.layer !== undefined ? { layer: this.layer } : {}),
      mode: this.layer === undefined ? ('upto' as const) : this.mode,
      sortBy: this.sortBy,
      expanded: [...this.expanded],
      search: this.search,
      start,
      count: this.#visible.count + 2 * OVERSCAN,
    };
    const out = await this.#listing.run(() => this.engine.api.files(id, query));
    if (!out) return;
    this.busy = false;
    if (!out.ok) {
      this.error = toFailure(out.error);
      return;
    }
    const w = out.value;
    this.total = w.total;
    this.windowStart = w.start;
    this.rows = w.rows;
    this.matches = w.matches;
    if (this.focused >= w.total) this.focused = Math.max(0, w.total - 1);
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

  async select(row: Pick<FileRow, 'path' | 'isDir' | 'removed'>): Promise<void> {
    const id = this.id;
    if (!id) return;
    this.fileError = null;
    if (row.isDir || row.removed) {
      this.#reading.cancel();
      this.file = null;
      return;
    }
    const out = await this.#reading.run(() => this.engine.api.readFile(id, row.path));
    if (!out) return;
    if (out.ok) this.file = out.value;
    else {
      this.file = null;
      this.fileError = toFailure(out.error);
    }
  }

  /** Saves the open file (its link target's bytes for a symlink) where the person chooses. */
  downloadFile(): Promise<void> {
    const f = this.file;
    const id = this.id;
    if (!f || !id) return Promise.resolve();
    return this.#download(f.resolved.split('/').pop() || 'file', (h) => this.engine.api.downloadFile(id, f.path, h));
  }

  /** Saves the merged filesystem as one tar. */
  downloadFilesystem(): Promise<void> {
    const id = this.id;
    if (!id) return Promise.resolve();
    const name = `${(this.detail?.repoTags[0] ?? 'image').replace(/[/:]/g, '_')}-filesystem.tar`;
    return this.#download(name, (h) => this.engine.api.downloadFilesystem(id, h));
  }

  async #download(name: string, write: (h: FileSystemFileHandle | null) => Promise<Blob | null>): Promise<void> {
    this.downloadError = null;
    try {
      await saveAs(name, write);
    } catch (e) {
      this.downloadError = toFailure(e);
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
