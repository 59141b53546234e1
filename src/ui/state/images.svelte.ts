import type { ImageRow, SharingSnapshot, StoreSummary } from '../../app/api.ts';
import type { EngineClient } from './engine-client.ts';
import { filterRows, sortRows, type SortDir, type SortKey } from './image-rows.ts';

export class ImagesState {
  rows = $state.raw<ImageRow[]>([]);
  summary = $state.raw<StoreSummary | null>(null);
  sharing = $state.raw<SharingSnapshot | null>(null);
  loaded = $state(false);
  error = $state<string | null>(null);
  filter = $state('');
  showDangling = $state(false);
  sortKey = $state<SortKey>('created');
  sortDir = $state<SortDir>('desc');
  visible = $derived(sortRows(filterRows(this.rows, this.filter, this.showDangling), this.sortKey, this.sortDir));

  constructor(private engine: EngineClient) {}

  async refresh(): Promise<void> {
    try {
      const snap = await this.engine.api.images();
      this.rows = snap.rows;
      this.summary = snap.summary;
      this.sharing = snap.rows.length > 1 ? await this.engine.api.sharing() : null;
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.loaded = true;
    }
  }

  sortBy(key: SortKey): void {
    if (this.sortKey === key) this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    else {
      this.sortKey = key;
      this.sortDir = key === 'created' || key === 'size' ? 'desc' : 'asc';
    }
  }
}
