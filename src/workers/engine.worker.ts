/// <reference lib="webworker" />
/**
 * The engine worker: pulls, store operations and the command bar run here, off the main
 * thread. The UI talks to it through comlink (src/ui/state/engine-client.ts).
 */
import * as Comlink from 'comlink';
import { Engine } from './engine.ts';

const engine = new Engine({ fetch: (input, init) => fetch(input, init) });
Comlink.expose(engine);
