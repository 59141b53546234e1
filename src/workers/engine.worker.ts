/// <reference lib="webworker" />
/**
 * The engine worker: pulls, store operations and the command bar run here, off the main
 * thread. The UI talks to it through comlink (src/ui/state/engine-client.ts).
 */
import * as Comlink from 'comlink';
import { Engine } from '../app/engine.ts';
import { installErrorTransfer } from '../app/error-transfer.ts';

// `credentials: 'omit'`: registry traffic never needs cookies, and a same-origin 401 with a
// `Basic` challenge (the proxy is same-origin under npm start) would otherwise make the browser
// open its own login prompt and stall the pull (Fetch §4.5 "HTTP-network-or-cache fetch").
const engine = new Engine({ fetch: (input, init) => fetch(input, { ...init, credentials: 'omit' }) });
installErrorTransfer();
Comlink.expose(engine);
