import type { ImagePackages, SbomFormat } from '../../app/packages.ts';
import type { EngineClient } from './engine-client.ts';
import { saveAs, type SaveOutcome } from './download.ts';
import { Latest } from './latest.ts';
import { toFailure, type Failure } from './failure.ts';
import { changedLayers, filterPackages, layerChanges, packagesStatus, packageWarnings } from './packages.ts';

/**
 * The Packages tab of one image: its package history from the engine (latest request wins,
 * so a slow answer for the image the person left never shows), the search, the layer picked
 * in the per-layer view, and the outcome of the last SBOM export.
 */
export class PackagesState {
  data = $state.raw<ImagePackages | null>(null);
  error = $state.raw<Failure | null>(null);
  busy = $state(false);
  search = $state('');
  /** The layer whose changes the per-layer view shows. */
  layer = $state(0);
  exporting = $state<SbomFormat | null>(null);
  exported = $state.raw<{ outcome: SaveOutcome; name: string } | null>(null);
  exportError = $state.raw<Failure | null>(null);
  #latest = new Latest();

  readonly shown = $derived(this.data ? filterPackages(this.data.packages, this.search) : []);
  readonly changes = $derived(this.data ? layerChanges(this.data.changes, this.layer) : []);
  readonly warnings = $derived(this.data ? packageWarnings(this.data) : []);
  readonly status = $derived(this.data ? packagesStatus(this.data) : null);

  constructor(private engine: EngineClient) {}

  async load(id: string): Promise<void> {
    this.data = null;
    this.error = null;
    this.exported = null;
    this.exportError = null;
    this.busy = true;
    const out = await this.#latest.run(() => this.engine.api.packages(id));
    if (!out) return;
    this.busy = false;
    if (!out.ok) {
      this.error = toFailure(out.error);
      return;
    }
    this.data = out.value;
    // Start the per-layer view at the first layer that changed packages.
    this.layer = changedLayers(out.value.changes)[0] ?? 0;
  }

  /** Builds the SBOM in the worker and saves it where the person chooses. */
  async exportSbom(format: SbomFormat): Promise<void> {
    const id = this.data?.id;
    if (!id || this.exporting) return;
    this.exporting = format;
    this.exported = null;
    this.exportError = null;
    try {
      const file = await this.engine.api.packageSbom(id, format);
      const outcome = await saveAs(file.fileName, async (handle) => {
        const blob = new Blob([file.text], { type: file.mediaType });
        if (!handle) return blob;
        const w = await handle.createWritable();
        await w.write(blob);
        await w.close();
        return null;
      });
      this.exported = { outcome, name: file.fileName };
    } catch (e) {
      this.exportError = toFailure(e);
    } finally {
      this.exporting = null;
    }
  }

  dispose(): void {
    this.#latest.cancel();
  }
}
