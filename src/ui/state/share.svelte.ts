import type { ExportRequest } from '../../app/api.ts';
import { Comlink, newJobId, type EngineClient } from './engine-client.ts';
import { saveAs, type SaveOutcome } from './download.ts';
import { toFailure, type Failure } from './failure.ts';

export type ExportFormat = ExportRequest['format'];

/** File name for an export: one image → its name; several → layerscope-images. */
export function exportFileName(names: string[], format: ExportFormat, gzip: boolean): string {
  const base = names.length === 1 ? names[0]!.replace(/[/:@]/g, '_') : 'layerscope-images';
  return `${base}${format === 'oci-archive' ? '.oci' : ''}.tar${gzip ? '.gz' : ''}`;
}

/** Folders come as files with relative paths (input webkitdirectory, or a dropped folder). */
export function folderEntries(files: readonly File[]): { path: string; file: Blob }[] {
  return files.map((f) => ({
    path: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name,
    file: f,
  }));
}

/**
 * Export and import of image archives (docker save / load, OCI layouts) from the GUI: the
 * worker streams; this class tracks progress, results and cancellation.
 */
export class ShareState {
  exporting = $state(false);
  importing = $state(false);
  progress = $state({ done: 0, total: 0 });
  lines = $state.raw<string[]>([]);
  error = $state.raw<Failure | null>(null);
  /** How the last export or share ended, for the person to read (in their language). */
  outcome = $state.raw<{ kind: SaveOutcome | 'shared'; name: string } | null>(null);
  #job: string | null = null;

  constructor(
    private engine: EngineClient,
    private onChange: () => void,
  ) {}

  async export(req: ExportRequest, names: string[]): Promise<void> {
    this.error = null;
    this.outcome = null;
    const job = (this.#job = newJobId());
    try {
      const name = exportFileName(names, req.format, req.gzip);
      const kind = await saveAs(name, async (target) => {
        this.exporting = true;
        this.progress = { done: 0, total: 0 };
        return this.engine.api.exportImages(
          job,
          req,
          target,
          Comlink.proxy((done: number, total: number) => (this.progress = { done, total })),
        );
      });
      this.outcome = { kind, name };
    } catch (e) {
      this.error = toFailure(e);
    } finally {
      this.exporting = false;
      this.#job = null;
    }
  }

  /** The platform can share files (Web Share Level 2: Android, ChromeOS, Windows, macOS Safari). */
  get canShareFiles(): boolean {
    const nav = navigator as Navigator & { canShare?: (d: { files: File[] }) => boolean };
    try {
      return (
        typeof nav.share === 'function' &&
        !!nav.canShare?.({ files: [new File([''], 'x.tar', { type: 'application/x-tar' })] })
      );
    } catch {
      return false;
    }
  }

  /** Export to a file, then hand it to the platform's share sheet. */
  async shareFile(req: ExportRequest, names: string[]): Promise<void> {
    this.error = null;
    this.outcome = null;
    const job = (this.#job = newJobId());
    this.exporting = true;
    try {
      const name = exportFileName(names, req.format, req.gzip);
      const blob = await this.engine.api.exportImages(
        job,
        req,
        null,
        Comlink.proxy((done: number, total: number) => (this.progress = { done, total })),
      );
      if (!blob) return;
      await navigator.share({
        files: [new File([blob], name, { type: blob.type || 'application/x-tar' })],
        title: name,
      });
      this.outcome = { kind: 'shared', name };
    } catch (e) {
      // The person closed the share sheet: nothing was shared, and that is not an error.
      if ((e as DOMException).name === 'AbortError') this.outcome = { kind: 'cancelled', name: '' };
      else this.error = toFailure(e);
    } finally {
      this.exporting = false;
      this.#job = null;
    }
  }

  async importFiles(files: readonly File[]): Promise<void> {
    if (files.length === 0 || this.importing) return;
    this.error = null;
    this.lines = [];
    this.importing = true;
    const job = (this.#job = newJobId());
    try {
      const isFolder = files.length > 1 || (files[0] as File & { webkitRelativePath?: string }).webkitRelativePath;
      const total = files.reduce((n, f) => n + f.size, 0);
      this.progress = { done: 0, total };
      const r = isFolder
        ? await this.engine.api.importFolder(job, folderEntries(files))
        : await this.engine.api.importArchive(
            job,
            files[0]!,
            Comlink.proxy((done: number) => (this.progress = { done, total })),
          );
      this.lines = r.lines;
      this.onChange();
    } catch (e) {
      this.error = toFailure(e);
    } finally {
      this.importing = false;
      this.#job = null;
    }
  }

  async loadSample(): Promise<void> {
    this.error = null;
    this.importing = true;
    try {
      this.lines = (await this.engine.api.loadSample()).lines;
      this.onChange();
    } catch (e) {
      this.error = toFailure(e);
    } finally {
      this.importing = false;
    }
  }

  async cancel(): Promise<void> {
    try {
      if (this.#job) await this.engine.api.cancel(this.#job);
    } catch (e) {
      this.error = toFailure(e);
    }
  }
}
