/// <reference lib="webworker" />
// A dedicated SHA-256 worker (see hasher.ts); the engine worker starts it.
import { hasherService, type ToHasher } from './hasher.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = hasherService((m, transfer) => scope.postMessage(m, transfer));
scope.onmessage = (e: MessageEvent<ToHasher>) => handle(e.data);
