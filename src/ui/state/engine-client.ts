/**
 * Owns the engine worker: started lazily on first use, typed from its API, terminated on
 * dispose. Everything that touches IndexedDB, the network or formats runs in that worker.
 */
import * as Comlink from 'comlink';
import type { EngineApi } from '../../app/api.ts';
import { installErrorTransfer } from '../../app/error-transfer.ts';

// Errors thrown in the worker arrive as their own class, with code and fields.
installErrorTransfer();

export class EngineClient {
  #worker: Worker | undefined;
  #api: Comlink.Remote<EngineApi> | undefined;

  get api(): Comlink.Remote<EngineApi> {
    if (!this.#api) {
      this.#worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
        type: 'module',
        name: 'layerscope-engine',
      });
      this.#api = Comlink.wrap<EngineApi>(this.#worker);
    }
    return this.#api;
  }

  dispose(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#api = undefined;
  }
}

let nextJob = 0;
export const newJobId = (): string => `job-${Date.now().toString(36)}-${++nextJob}`;
export { Comlink };
