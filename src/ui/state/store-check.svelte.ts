import type { StoreCheck } from '../../app/api.ts';
import type { EngineClient } from './engine-client.ts';
import { toFailure, type Failure } from './failure.ts';

/** Settings → Check stored data: the store's invariant check, run in the worker. */
export class StoreCheckState {
  result = $state.raw<StoreCheck | null>(null);
  error = $state.raw<Failure | null>(null);
  checking = $state(false);

  constructor(private engine: EngineClient) {}

  async run(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    this.error = null;
    try {
      this.result = await this.engine.api.checkStore();
    } catch (e) {
      this.result = null;
      this.error = toFailure(e);
    } finally {
      this.checking = false;
    }
  }
}
