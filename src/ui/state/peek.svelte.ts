import type { FileRow } from '../../app/api.ts';
import type { PeekFileContent, PeekIndexProgress, PeekListItem, PeekSummary } from '../../app/peek.ts';
import { Comlink, newJobId, type EngineClient } from './engine-client.ts';
import { saveAs } from './download.ts';
import { Latest } from './latest.ts';
import { toFailure, type Failure } from './failure.ts';
import type { PeekRoute } from './route.ts';

/**
 * The Peek view: the peeked images (apart from pulled ones), one image seen in its registry
 * without pulling it (manifest, config, history, inspect, layer sizes), its layers indexed on
 * request (streamed once, no blob stored), its files listed from the index and opened with a
 * Range request each. Latest request wins for the image and the file, as in the explorer.
 */
export class PeekState {
  list = $state.raw<PeekListItem[]>([]);
  /** The reference typed in the form. */
  reference = $state('');
  summary = $state.raw<PeekSummary | null>(null);
  /** What the URL named (a reference or an image ID). */
  ref = $state<string | undefined>(undefined);
  error = $state.raw<Failure | null>(null);
  busy = $state(false);
  indexing = $state.raw<PeekIndexProgress | null>(null);
  indexError = $state.raw<Failure | null>(null);
  search = $state('');
  expanded = $state.raw<string[]>([]);
  rows = $state.raw<FileRow[]>([]);
  total = $state(0);
  file = $state.raw<PeekFileContent | null>(null);
  fileError = $state.raw<Failure | null>(null);
  downloadError = $state.raw<Failure | null>(null);
  #image = new Latest();
  #file = new Latest();
  #rows = new Latest();
  #job: string | null = null;

  constructor(private engine: EngineClient) {}

  route(): PeekRoute {
    if (!this.ref) return { view: 'peek' };
    return { view: 'peek', ref: this.ref, ...(this.file ? { file: this.file.path } : {}) };
  }

  async refreshList(): Promise<void> {
    try {
      this.list = await this.engine.api.peekList();
    } catch (e) {
      this.error = toFailure(e);
    }
  }

  /** Shows what a URL names: the list (no ref), or an image, peeked at again if not stored. */
  async show(ref: string | undefined, file?: string): Promise<void> {
    if (!ref) {
      this.close();
      await this.refreshList();
      return;
    }
    if (ref !== this.ref || !this.summary) await this.open(ref);
    if (file && file !== this.file?.path) await this.openFile(file);
  }

  close(): void {
    this.#image.cancel();
    this.#file.cancel();
    this.ref = undefined;
    this.summary = null;
    this.error = null;
    this.file = null;
    this.fileError = null;
    this.rows = [];
    this.total = 0;
    this.expanded = [];
    this.search = '';
    this.indexError = null;
  }

  /** A stored peeked image (by ID or the reference it was peeked by), else peek at the registry. */
  async open(ref: string): Promise<void> {
    this.close();
    this.ref = ref;
    this.busy = true;
    const out = await this.#image.run(async () => {
      const known = this.list.length ? this.list : await this.engine.api.peekList();
      const hit = known.find((p) => p.id === ref || p.reference === ref || p.familiar === ref);
      return hit ? this.engine.api.peekSummary(hit.id) : this.engine.api.peek(ref);
    });
    if (!out) return;
    this.busy = false;
    if (!out.ok) {
      this.error = toFailure(out.error);
      return;
    }
    this.summary = out.value;
    void this.refreshList();
    if (out.value.allIndexed) await this.loadRows();
  }

  /** Streams every layer not yet indexed once; nothing of the blobs is stored. */
  async index(): Promise<void> {
    const s = this.summary;
    if (!s || this.#job) return;
    const job = newJobId();
    this.#job = job;
    this.indexError = null;
    this.indexing = { layer: 0, digest: '', bytes: 0, total: 0, done: false };
    try {
      this.summary = await this.engine.api.peekIndex(
        job,
        s.id,
        Comlink.proxy((p: PeekIndexProgress) => {
          this.indexing = p;
        }),
      );
      await this.loadRows();
      void this.refreshList();
    } catch (e) {
      this.indexError = toFailure(e);
    } finally {
      this.#job = null;
      this.indexing = null;
    }
  }

  async cancelIndex(): Promise<void> {
    if (this.#job) await this.engine.api.cancel(this.#job);
  }

  async loadRows(): Promise<void> {
    const s = this.summary;
    if (!s?.allIndexed) return;
    const out = await this.#rows.run(() =>
      this.engine.api.peekFiles(s.id, {
        mode: 'upto',
        sortBy: 'name',
        search: this.search,
        expanded: this.expanded,
        start: 0,
        count: 500,
      }),
    );
    if (!out) return;
    if (!out.ok) {
      this.error = toFailure(out.error);
      return;
    }
    this.rows = out.value.rows;
    this.total = out.value.total;
  }

  toggle(path: string): void {
    this.expanded = this.expanded.includes(path) ? this.expanded.filter((p) => p !== path) : [...this.expanded, path];
    void this.loadRows();
  }

  async openFile(path: string): Promise<void> {
    const s = this.summary;
    if (!s) return;
    this.fileError = null;
    const out = await this.#file.run(() => this.engine.api.peekReadFile(s.id, path));
    if (!out) return;
    if (out.ok) this.file = out.value;
    else {
      this.file = null;
      this.fileError = toFailure(out.error);
    }
  }

  /** Saves the open file, read whole with Range and verified, where the person chooses. */
  async downloadFile(): Promise<void> {
    const s = this.summary;
    const f = this.file;
    if (!s || !f) return;
    this.downloadError = null;
    try {
      await saveAs(f.resolved.split('/').pop() || 'file', async (handle) => {
        const whole = await this.engine.api.peekReadFile(s.id, f.path, true);
        const blob = new Blob([new Uint8Array(whole.bytes)], { type: 'application/octet-stream' });
        if (!handle) return blob;
        const w = await handle.createWritable();
        await w.write(blob);
        await w.close();
        return null;
      });
    } catch (e) {
      this.downloadError = toFailure(e);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.engine.api.peekRemove(id);
      if (this.summary?.id === id) this.close();
      await this.refreshList();
    } catch (e) {
      this.error = toFailure(e);
    }
  }
}
