import type { PullOutcome } from '../../app/api.ts';
import { toFailure, type Failure } from './failure.ts';
import { Comlink, newJobId, type EngineClient } from './engine-client.ts';
import { applyPullEvent, emptyProgress, pullBytes, type PullProgress } from './pull-progress.ts';
import { RateMeter } from './rate.ts';

export type PullPhase = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

export class PullState {
  open = $state(false);
  reference = $state('');
  platform = $state('');
  phase = $state<PullPhase>('idle');
  progress = $state.raw<PullProgress>(emptyProgress());
  error = $state.raw<Failure | null>(null);
  /** The reference being (or last) pulled, as typed. */
  pulling = $state('');
  /** Bytes done and total over the layers this pull downloads. */
  bytes = $state.raw({ done: 0, total: 0 });
  /** Bytes per second over the last seconds, and seconds left at that speed. */
  speed = $state<number | null>(null);
  eta = $state<number | null>(null);
  /** The finished pull's line in the tray was dismissed. */
  dismissed = $state(false);
  #meter = new RateMeter();
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
    this.pulling = ref;
    this.dismissed = false;
    this.bytes = { done: 0, total: 0 };
    this.speed = null;
    this.eta = null;
    this.#meter.reset();
    let outcome: PullOutcome | { ok: false; cancelled: false; error: Failure };
    try {
      outcome = await this.engine.api.pull(
        job,
        ref,
        this.platform || undefined,
        Comlink.proxy((e) => {
          this.progress = applyPullEvent(this.progress, e);
          this.#measure();
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

  #measure(): void {
    const b = pullBytes(this.progress);
    this.bytes = b;
    this.#meter.add(performance.now(), b.done);
    this.speed = this.#meter.rate();
    this.eta = this.#meter.eta(b.done, b.total);
  }

  /** The tray line shows while a pull runs with its dialog closed, and after, until dismissed. */
  get inTray(): boolean {
    return !this.open && (this.phase === 'running' || (this.phase !== 'idle' && !this.dismissed));
  }

  async cancel(): Promise<void> {
    try {
      if (this.#job) await this.engine.api.cancel(this.#job);
    } catch (e) {
      this.error = toFailure(e);
    }
  }
}
