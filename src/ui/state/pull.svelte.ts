import type { EngineError, PullOutcome } from '../../app/api.ts';
import { toFailure } from './failure.ts';
import { Comlink, newJobId, type EngineClient } from './engine-client.ts';
import { applyPullEvent, emptyProgress, type PullProgress } from './pull-progress.ts';

export type PullPhase = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

export class PullState {
  open = $state(false);
  reference = $state('');
  platform = $state('');
  phase = $state<PullPhase>('idle');
  progress = $state.raw<PullProgress>(emptyProgress());
  error = $state.raw<EngineError | null>(null);
  #job: string | null = null;

  constructor(
    private engine: EngineClient,
    private onChange: () => void,
  ) {}

  show(defaultPlatform: string): void {
    this.open = true;
    if (this.phase !== 'running') {
      this.platform = defaultPlatform;
      this.phase = 'idle';
      this.error = null;
      this.progress = emptyProgress();
    }
  }

  async start(): Promise<void> {
    const ref = this.reference.trim();
    if (!ref || this.phase === 'running') return;
    const job = (this.#job = newJobId());
    this.phase = 'running';
    this.error = null;
    this.progress = emptyProgress();
    let outcome: PullOutcome;
    try {
      outcome = await this.engine.api.pull(
        job,
        ref,
        this.platform || undefined,
        Comlink.proxy((e) => {
          this.progress = applyPullEvent(this.progress, e);
        }),
      );
    } catch (e) {
      // The worker itself failed (not the registry): still an answer the person sees.
      outcome = { ok: false, cancelled: false, error: toFailure(e) };
    }
    this.#job = null;
    if (outcome.ok) this.phase = 'done';
    else if (outcome.cancelled) this.phase = 'cancelled';
    else {
      this.phase = 'failed';
      this.error = outcome.error;
    }
    this.onChange();
  }

  async cancel(): Promise<void> {
    try {
      if (this.#job) await this.engine.api.cancel(this.#job);
    } catch (e) {
      this.error = toFailure(e);
    }
  }
}
