import type { EngineSettings, ImageRow, SharingSnapshot, StoreSummary } from '../../app/api.ts';
import { toFailure, type Failure } from './failure.ts';
import { Latest } from './latest.ts';
import { sharingFigures } from './sharing-figures.ts';
import type { EngineClient } from './engine-client.ts';
import { filterRows, rowKey, ROWS_PAGE, sortRows, type SortDir, type SortKey } from './image-rows.ts';
import { allState, emptySelection, retain, setAll, toggle, type Selection } from './selection.ts';

export { ROWS_PAGE };

export class ImagesState {
  rows = $state.raw<ImageRow[]>([]);
  summary = $state.raw<StoreSummary | null>(null);
  sharing = $state.raw<SharingSnapshot | null>(null);
  loaded = $state(false);
  error = $state.raw<Failure | null>(null);
  filter = $state('');
  showDangling = $state(false);
  sortKey = $state<SortKey>('created');
  sortDir = $state<SortDir>('desc');
  visible = $derived(sortRows(filterRows(this.rows, this.filter, this.showDangling), this.sortKey, this.sortDir));
  /** Rows drawn: the first ROWS_PAGE, more on demand. A thousand rows at once cost the main
   * thread seconds of layout (bench/RESULTS.md "Scale"); the filter finds the rest. */
  limit = $state(ROWS_PAGE);
  shown = $derived(this.visible.length > this.limit ? this.visible.slice(0, this.limit) : this.visible);

  /** Rows ticked for a bulk action (Remove, Export), by rowKey. */
  selection = $state.raw<Selection>(emptySelection);
  /** The ticked rows that are shown: bulk actions act on these only. */
  selected = $derived(this.visible.filter((r) => this.selection.keys.has(rowKey(r))));
  selectAllState = $derived(allState(this.selection, this.visible.map(rowKey)));

  /** The one source of the sharing figures the header and the sharing panel show. */
  figures = $derived(this.summary ? sharingFigures(this.summary, this.sharing) : null);
  #latest = new Latest();
  #latestSharing = new Latest();
  #loaded!: () => void;
  /** Settles once the first listing has arrived (a link to an image waits for it). */
  ready = new Promise<void>((resolve) => (this.#loaded = resolve));

  constructor(private engine: EngineClient) {}

  /** The worker gets the settings before anything else it does, and again on every change. */
  async configure(settings: EngineSettings): Promise<void> {
    try {
      await this.engine.api.configure(settings);
    } catch (e) {
      this.error = toFailure(e);
      return;
    }
    await this.refresh();
  }

  /** Lists again; refreshes overlap (pull, import and another tab), so the latest wins. The rows
   * are shown as soon as they arrive; the sharing figures (a second pass over every image's
   * layers) follow. `change`: what another tab announced, passed to the engine so its cached
   * records are current even if its own channel has not delivered the message yet. */
  async refresh(change?: unknown): Promise<void> {
    const out = await this.#latest.run(() => this.engine.api.images(change));
    if (!out) return;
    if (out.ok) {
      this.rows = out.value.rows;
      this.selection = retain(this.selection, this.rows.map(rowKey));
      this.summary = out.value.summary;
      this.error = null;
    } else this.error = toFailure(out.error);
    this.loaded = true;
    this.#loaded();
    if (!out.ok) return;
    const sharing = await this.#latestSharing.run(async () =>
      out.value.rows.length > 1 ? await this.engine.api.sharing() : null,
    );
    if (!sharing) return;
    if (sharing.ok) this.sharing = sharing.value;
    else this.error = toFailure(sharing.error);
  }

  /** Draws ROWS_PAGE more rows. */
  more(): void {
    this.limit += ROWS_PAGE;
  }

  /** A row's checkbox: Space or a click toggles it; Shift+click ticks the range from the last one. */
  toggleRow(key: string, range: boolean): void {
    this.selection = toggle(this.selection, this.visible.map(rowKey), key, range);
  }

  /** The header checkbox: every shown row, or none. */
  selectAll(on: boolean): void {
    this.selection = setAll(this.selection, this.visible.map(rowKey), on);
  }

  clearSelection(): void {
    this.selection = emptySelection;
  }

  sortBy(key: SortKey): void {
    if (this.sortKey === key) this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    else {
      this.sortKey = key;
      this.sortDir = key === 'created' || key === 'size' ? 'desc' : 'asc';
    }
  }
}
