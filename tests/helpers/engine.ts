/**
 * The engine as integration tests drive it in Node: its own fresh fake-indexeddb database (so
 * tests never share a store), in-memory Web Locks, no BroadcastChannel and no StorageManager,
 * configured as the app's defaults are (no proxy: the test registries are reached directly,
 * linux/amd64, no credentials).
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import type { FetchLike } from '../../src/core/registry/transport.ts';
import { memoryLocks } from '../../src/store/index.ts';
import type { EngineSettings } from '../../src/app/api.ts';
import { Engine } from '../../src/app/engine.ts';

export interface TestEngineOptions {
  /** Defaults to Node's fetch. */
  fetch?: FetchLike;
  now?: () => number;
  /** Merged over the defaults (proxyUrl '', linux/amd64, no credentials). */
  settings?: Partial<EngineSettings>;
}

export async function testEngine(opts: TestEngineOptions = {}): Promise<Engine> {
  const engine = new Engine({
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    storeOptions: { indexedDB: new IDBFactory(), locks: memoryLocks(), channel: null, storage: null },
    ...(opts.now ? { now: opts.now } : {}),
  });
  await engine.configure({ proxyUrl: '', defaultPlatform: 'linux/amd64', credentials: {}, ...opts.settings });
  return engine;
}
