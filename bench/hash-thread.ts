/**
 * Node's worker_threads as the stand-in for a Web Worker (bench and tests): the same
 * hasherService as src/workers/hasher.worker.ts, behind the same HasherPort.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { hasherService, type HasherPort, type ToHasher } from '../src/workers/hasher.ts';

if (!isMainThread && parentPort) {
  const port = parentPort;
  const handle = hasherService((m, transfer) => port.postMessage(m, transfer));
  port.on('message', (m: ToHasher) => handle(m));
}

/** A HasherPort on a new worker thread running this file (through hash-thread.mjs). */
export function threadPort(): HasherPort {
  const w = new Worker(new URL('./hash-thread.mjs', import.meta.url));
  w.unref();
  return {
    post: (m, transfer) => w.postMessage(m, transfer),
    listen(onMessage, onFailure) {
      w.on('message', onMessage);
      w.on('error', (e) => onFailure(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => onFailure(new Error(`sha256 thread exited (${code})`)));
    },
    close: () => void w.terminate(),
  };
}
