import type { RemovePreview } from '../../app/api.ts';
import { Comlink, newJobId, type EngineClient } from './engine-client.ts';
import { toFailure, type Failure } from './failure.ts';

/** POSIX single quotes: the command bar's parser reads them back as one word. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export type ManageDialog =
  | { kind: 'tag'; source: string; label: string }
  | { kind: 'remove'; ref: string; id: string; byId: boolean }
  | { kind: 'prune'; all: boolean }
  /** Several rows of the images list at once: `docker rmi A B …`, one name after another. */
  | { kind: 'removeMany'; refs: string[] };

/** What one name of a bulk removal did: Docker's lines, or its error. */
export interface RemoveResult {
  ref: string;
  ok: boolean;
  text: string;
}

/**
 * Tag, remove and prune from the GUI. Every action runs the same `docker …` command the
 * command bar would (one set of semantics and messages); previews come from the same plans.
 */
export class ManageState {
  dialog = $state.raw<ManageDialog | null>(null);
  target = $state('');
  force = $state(false);
  removePreview = $state.raw<RemovePreview | null>(null);
  /** Removing without force is Docker's conflict: the Force option is offered. */
  conflict = $state(false);
  prunePreview = $state.raw<{ records: string[]; reclaim: number } | null>(null);
  output = $state('');
  error = $state('');
  busy = $state(false);
  /** Per name, after a bulk removal ran (partial failures are shown name by name). */
  results = $state.raw<RemoveResult[]>([]);
  /** A worker call that failed (the preview or the command itself). */
  failure = $state.raw<Failure | null>(null);

  constructor(
    private engine: EngineClient,
    private onChange: () => void,
  ) {}

  #reset(d: ManageDialog): void {
    this.dialog = d;
    this.output = '';
    this.error = '';
    this.force = false;
    this.conflict = false;
    this.removePreview = null;
    this.prunePreview = null;
    this.failure = null;
    this.results = [];
  }

  openTag(source: string, label: string): void {
    this.#reset({ kind: 'tag', source, label });
    this.target = '';
  }

  async openRemove(ref: string, id: string): Promise<void> {
    this.#reset({ kind: 'remove', ref, id, byId: false });
    await this.previewRemove();
  }

  /** Bulk remove: `refs` are the rows' names (`repo:tag`, or a dangling image's short ID). */
  async openRemoveMany(refs: string[]): Promise<void> {
    if (refs.length === 0) return;
    this.#reset({ kind: 'removeMany', refs: [...refs] });
    await this.previewRemove();
  }

  async openPrune(): Promise<void> {
    this.#reset({ kind: 'prune', all: false });
    await this.previewPrune();
  }

  async previewRemove(): Promise<void> {
    const d = this.dialog;
    if (d?.kind !== 'remove' && d?.kind !== 'removeMany') return;
    const arg = d.kind === 'removeMany' ? d.refs : [d.byId ? d.id : d.ref];
    try {
      const plain = await this.engine.api.previewRemove(arg, false);
      this.conflict = plain.conflict;
      this.removePreview = this.force && plain.conflict ? await this.engine.api.previewRemove(arg, true) : plain;
      this.failure = null;
    } catch (e) {
      this.failure = toFailure(e);
    }
  }

  async previewPrune(): Promise<void> {
    const d = this.dialog;
    if (d?.kind !== 'prune') return;
    try {
      this.prunePreview = await this.engine.api.previewPrune(d.all);
      this.failure = null;
    } catch (e) {
      this.failure = toFailure(e);
    }
  }

  setRemoveById(byId: boolean): void {
    const d = this.dialog;
    if (d?.kind === 'remove') {
      this.dialog = { ...d, byId };
      void this.previewRemove();
    }
  }

  setPruneAll(all: boolean): void {
    if (this.dialog?.kind === 'prune') {
      this.dialog = { kind: 'prune', all };
      void this.previewPrune();
    }
  }

  /** The `docker …` line the dialog stands for. */
  command(): string {
    const d = this.dialog;
    if (!d) return '';
    if (d.kind === 'tag') return `docker tag ${shellQuote(d.source)} ${shellQuote(this.target.trim())}`;
    if (d.kind === 'remove') return `docker rmi ${this.force ? '-f ' : ''}${shellQuote(d.byId ? d.id : d.ref)}`;
    if (d.kind === 'removeMany') return `docker rmi ${this.force ? '-f ' : ''}${d.refs.map(shellQuote).join(' ')}`;
    return `docker image prune -f${d.all ? ' -a' : ''}`;
  }

  async confirm(): Promise<boolean> {
    if (!this.dialog || this.busy) return false;
    if (this.dialog.kind === 'removeMany') return this.#removeMany(this.dialog.refs);
    this.busy = true;
    let out = '';
    let err = '';
    try {
      const code = await this.engine.api.run(
        newJobId(),
        this.command(),
        Comlink.proxy({ stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) }),
      );
      this.output = out;
      this.error = err;
      if (code === 0) {
        this.onChange();
        return true;
      }
      return false;
    } catch (e) {
      this.failure = toFailure(e);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /**
   * `docker rmi A B …` removes name by name and goes on after a failure, as the CLI does (one
   * ImageRemove call per argument); run one by one here so each name gets its own outcome.
   */
  async #removeMany(refs: string[]): Promise<boolean> {
    this.busy = true;
    const results: RemoveResult[] = [];
    try {
      for (const ref of refs) {
        let out = '';
        let err = '';
        try {
          const code = await this.engine.api.run(
            newJobId(),
            `docker rmi ${this.force ? '-f ' : ''}${shellQuote(ref)}`,
            Comlink.proxy({ stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) }),
          );
          results.push({ ref, ok: code === 0, text: (out + err).trimEnd() });
        } catch (e) {
          const f = toFailure(e);
          results.push({ ref, ok: false, text: f.message });
        }
        this.results = [...results];
      }
      if (results.some((r) => r.ok)) this.onChange();
      return results.every((r) => r.ok);
    } finally {
      this.busy = false;
    }
  }

  close(): void {
    this.dialog = null;
  }
}
