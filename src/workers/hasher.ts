/**
 * SHA-256 in dedicated workers, beside the decompression (docs/ARCHITECTURE.md, "The pull path": the two
 * pure-JS hashes are ~60% of a layer's ingest on one thread). Bytes are copied into 512 KiB
 * batches whose ArrayBuffers are transferred to the worker and transferred back once hashed, so
 * the caller's chunks are never detached and steady state allocates nothing. A session (one hash)
 * lives on one worker, whose messages are handled in order: the digest covers every batch sent
 * before it, by construction. At most MAX_IN_FLIGHT bytes per session wait for the worker;
 * `update` then returns a promise (backpressure).
 *
 * Worker side: `hasherService` (hasher.worker.ts; bench/hash-thread.ts for Node worker_threads).
 * Main side: `createHasherPool` over any `HasherPort`; `workerHasher` is the browser one.
 */
import type { Digest } from '../core/digest.ts';
import { inThreadHasher, type AsyncHasher } from '../core/layer/ingest.ts';
import { createSha256, type Sha256Stream } from '../core/sha256.ts';

export type ToHasher =
  { t: 'update'; id: number; buf: ArrayBuffer; len: number } | { t: 'digest'; id: number } | { t: 'drop'; id: number };
export type FromHasher =
  | { t: 'ack'; id: number; buf: ArrayBuffer }
  | { t: 'digest'; id: number; digest: Digest }
  | { t: 'error'; id: number; message: string };

export const BATCH = 512 << 10;
export const MAX_IN_FLIGHT = 4 << 20;
/** A terminated worker's buffers are lost with it; a few are kept per worker for reuse. */
const FREE_BUFFERS = 16;
/** An idle worker is terminated after this long (the engine lives as long as the tab). */
const IDLE_MS = 30_000;

/** The worker side: one streaming hash per session id. */
export function hasherService(post: (m: FromHasher, transfer: ArrayBuffer[]) => void): (m: ToHasher) => void {
  const sessions = new Map<number, Sha256Stream>();
  return (m) => {
    try {
      if (m.t === 'update') {
        let h = sessions.get(m.id);
        if (!h) sessions.set(m.id, (h = createSha256()));
        if (!(m.buf instanceof ArrayBuffer) || !Number.isSafeInteger(m.len) || m.len < 0 || m.len > m.buf.byteLength) {
          throw new Error('malformed update');
        }
        h.update(new Uint8Array(m.buf, 0, m.len));
        post({ t: 'ack', id: m.id, buf: m.buf }, [m.buf]);
      } else if (m.t === 'digest') {
        const h = sessions.get(m.id) ?? createSha256();
        sessions.delete(m.id);
        post({ t: 'digest', id: m.id, digest: h.digest() }, []);
      } else if (m.t === 'drop') {
        sessions.delete(m.id);
      }
    } catch (e) {
      sessions.delete(m.id);
      post({ t: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) }, []);
    }
  };
}

/** A channel to one hasher worker (a Web Worker, or worker_threads in Node benches). */
export interface HasherPort {
  post(m: ToHasher, transfer: ArrayBuffer[]): void;
  /** Called once: messages from the worker, and a failure that ends it (load error, crash). */
  listen(onMessage: (m: FromHasher) => void, onFailure: (e: Error) => void): void;
  close(): void;
}

export function webWorkerPort(w: Worker): HasherPort {
  return {
    post: (m, transfer) => w.postMessage(m, transfer),
    listen(onMessage, onFailure) {
      w.onmessage = (e: MessageEvent<FromHasher>) => onMessage(e.data);
      w.onerror = (e) => {
        e.preventDefault();
        onFailure(new Error(`sha256 worker failed: ${e.message || 'could not start'}`));
      };
      w.onmessageerror = () => onFailure(new Error('sha256 worker: a message could not be read'));
    },
    close: () => w.terminate(),
  };
}

interface Session {
  inFlight: number;
  /** Resolves the pending backpressure promise, if any. */
  drained: (() => void) | undefined;
  result: { resolve(d: Digest): void; reject(e: Error): void } | undefined;
  fail(e: Error): void;
}

interface Slot {
  port: HasherPort;
  sessions: Map<number, Session>;
  free: ArrayBuffer[];
  idle: ReturnType<typeof setTimeout> | undefined;
  dead: boolean;
}

export interface HasherPool {
  hasher(): AsyncHasher;
  /** Workers currently running. */
  readonly size: number;
  close(): void;
}

/**
 * Up to `size` workers, spawned lazily; a new hash goes to the least busy (a fresh one first).
 * A worker idle for `idleMs` is terminated (Infinity: never).
 */
export function createHasherPool(spawn: () => HasherPort, size: number, idleMs = IDLE_MS): HasherPool {
  const slots: Slot[] = [];
  let nextId = 1;

  function retire(slot: Slot, e: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    clearTimeout(slot.idle);
    slots.splice(slots.indexOf(slot), 1);
    for (const s of slot.sessions.values()) s.fail(e);
    slot.sessions.clear();
    slot.port.close();
  }

  function open(): Slot {
    const slot: Slot = { port: spawn(), sessions: new Map(), free: [], idle: undefined, dead: false };
    slot.port.listen(
      (m) => {
        const s = slot.sessions.get(m.id);
        if (m.t === 'ack') {
          if (slot.free.length < FREE_BUFFERS && m.buf.byteLength === BATCH) slot.free.push(m.buf);
          if (!s) return;
          s.inFlight -= BATCH;
          if (s.inFlight <= MAX_IN_FLIGHT && s.drained) {
            const d = s.drained;
            s.drained = undefined;
            d();
          }
        } else if (m.t === 'digest') {
          slot.sessions.delete(m.id);
          s?.result?.resolve(m.digest);
          release(slot);
        } else if (m.t === 'error') {
          slot.sessions.delete(m.id);
          s?.fail(new Error(`sha256 worker: ${m.message}`));
          release(slot);
        }
      },
      (e) => retire(slot, e),
    );
    slots.push(slot);
    return slot;
  }

  function release(slot: Slot): void {
    if (slot.sessions.size > 0 || slot.dead || idleMs === Infinity) return;
    clearTimeout(slot.idle);
    slot.idle = setTimeout(() => {
      if (slot.sessions.size === 0) retire(slot, new Error('sha256 worker: idle'));
    }, idleMs);
    // Node: an idle timer must not keep the process alive.
    (slot.idle as { unref?: () => void }).unref?.();
  }

  function pick(): Slot {
    let best: Slot | undefined;
    for (const s of slots) if (!best || s.sessions.size < best.sessions.size) best = s;
    if (!best || (best.sessions.size > 0 && slots.length < size)) return open();
    return best;
  }

  function hasher(): AsyncHasher {
    const slot = pick();
    clearTimeout(slot.idle);
    const id = nextId++;
    let staging: ArrayBuffer | undefined;
    let fill = 0;
    let failed: Error | undefined;
    let finished = false;
    let waiting: { resolve(): void; reject(e: Error): void } | undefined;
    let digestP: Promise<Digest> | undefined;
    const session: Session = {
      inFlight: 0,
      drained: undefined,
      result: undefined,
      fail(e) {
        failed ??= e;
        waiting?.reject(e);
        waiting = undefined;
        session.result?.reject(e);
      },
    };
    slot.sessions.set(id, session);

    function flush(): void {
      const buf = staging!;
      slot.port.post({ t: 'update', id, buf, len: fill }, [buf]);
      session.inFlight += BATCH;
      staging = undefined;
      fill = 0;
    }

    return {
      update(chunk) {
        if (failed) throw failed;
        if (finished) throw new Error('sha256 worker: update after digest');
        // Copied now: the caller may reuse the chunk's buffer as soon as we return.
        for (let at = 0; at < chunk.length;) {
          staging ??= slot.free.pop() ?? new ArrayBuffer(BATCH);
          const n = Math.min(BATCH - fill, chunk.length - at);
          new Uint8Array(staging, fill, n).set(chunk.subarray(at, at + n));
          fill += n;
          at += n;
          if (fill === BATCH) flush();
        }
        if (session.inFlight <= MAX_IN_FLIGHT) return;
        return new Promise<void>((resolve, reject) => {
          waiting = { resolve, reject };
          session.drained = () => {
            waiting = undefined;
            resolve();
          };
        });
      },
      digest() {
        return (digestP ??= new Promise<Digest>((resolve, reject) => {
          if (failed) return reject(failed);
          finished = true;
          session.result = { resolve, reject };
          if (fill > 0) flush();
          slot.port.post({ t: 'digest', id }, []);
        }));
      },
      dispose() {
        if (finished || failed || !slot.sessions.has(id)) return;
        failed = new Error('sha256 worker: disposed');
        slot.sessions.delete(id);
        // A caller still waiting on backpressure goes on; its next update throws.
        session.drained?.();
        if (!slot.dead) slot.port.post({ t: 'drop', id }, []);
        release(slot);
      },
    };
  }

  return {
    hasher,
    get size() {
      return slots.length;
    },
    close() {
      for (const s of [...slots]) retire(s, new Error('sha256 workers closed'));
    },
  };
}

/**
 * At least 2, so a layer's digest and diff_id hash on two threads: the longest chain is then the
 * diff_id alone and the OS balances the rest, which beat one hash thread even on 2 cores
 * (bench/RESULTS.md); ≤ 4, one less than the cores past that (pulls run 3 layers at once).
 */
export function poolSize(cores: number): number {
  return Math.max(2, Math.min(4, cores - 1));
}

let pool: HasherPool | undefined;

/** The streaming hash in dedicated workers, or in this thread where there are none. */
function streamingHasher(): AsyncHasher {
  if (typeof Worker === 'undefined') return inThreadHasher();
  try {
    pool ??= createHasherPool(
      () =>
        webWorkerPort(new Worker(new URL('./hasher.worker.ts', import.meta.url), { type: 'module', name: 'sha256' })),
      poolSize(typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2),
    );
    return pool.hasher();
  } catch {
    return inThreadHasher();
  }
}

/**
 * The hasher for `ingestLayer` in the browser. A blob of at most ONE_SHOT_MAX bytes is gathered
 * and hashed by WebCrypto's one-shot digest (native: about 2.5× less CPU than the JS hash here,
 * bench/RESULTS.md); past that, or when the shared budget is spent, the bytes gathered so far go
 * to the streaming hash in dedicated workers (nested in the engine worker) and the rest streams.
 * Where `Worker` does not exist (Node tests), or cannot be constructed, the streaming part
 * hashes in this thread.
 */
export function workerHasher(): AsyncHasher {
  if (typeof crypto === 'undefined' || typeof crypto.subtle?.digest !== 'function') return streamingHasher();
  return oneShotFirst(streamingHasher, sharedBudget());
}

/** Largest blob hashed in one shot. */
export const ONE_SHOT_MAX = 8 << 20;
/** Bytes all one-shot hashes of this thread may hold at once (3 layers, 2 hashes each). */
export const ONE_SHOT_BUDGET = 24 << 20;

/** A count of bytes that hashes take and give back. */
export interface ByteBudget {
  take(n: number): boolean;
  give(n: number): void;
  readonly free: number;
}

export function byteBudget(total: number): ByteBudget {
  let free = total;
  return {
    take(n) {
      if (n > free) return false;
      free -= n;
      return true;
    },
    give(n) {
      free += n;
    },
    get free() {
      return free;
    },
  };
}

let budget: ByteBudget | undefined;
function sharedBudget(): ByteBudget {
  return (budget ??= byteBudget(ONE_SHOT_BUDGET));
}

async function webCryptoDigest(bytes: Uint8Array): Promise<Digest> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = 'sha256:';
  for (const b of d) hex += b.toString(16).padStart(2, '0');
  return hex as Digest;
}

/**
 * Gathers the bytes (up to `max`, within `budget`) and hashes them in one shot with `oneShot`;
 * the moment either bound would be passed, hands what it gathered to `streaming()` (in pieces
 * of BATCH, each awaited, so the hand-over holds no more than the streaming hash's own bound in
 * flight) and streams from then on. Memory: at most `max` per hash and `budget` in all,
 * whatever the blob's size.
 */
export function oneShotFirst(
  streaming: () => AsyncHasher,
  budget: ByteBudget,
  opts: { max?: number; oneShot?: (bytes: Uint8Array) => Promise<Digest> } = {},
): AsyncHasher {
  const max = opts.max ?? ONE_SHOT_MAX;
  const oneShot = opts.oneShot ?? webCryptoDigest;
  let buf: Uint8Array | undefined;
  let len = 0;
  let held = 0; // bytes of the budget this hash holds (buf's capacity)
  let stream: AsyncHasher | undefined;
  /** The hand-over, while it runs: later calls wait for it (ingest awaits each update anyway). */
  let spilling: Promise<void> | undefined;
  let finished = false;
  const giveBack = () => {
    budget.give(held);
    held = 0;
    buf = undefined;
  };
  /** Room for `need` bytes in buf, or false when a bound says stream. */
  const grow = (need: number): boolean => {
    if (need > max) return false;
    const cap = buf?.byteLength ?? 0;
    if (need <= cap) return true;
    const next = Math.min(max, Math.max(need, cap * 2, 256 << 10));
    if (!budget.take(next - cap)) return false;
    const b = new Uint8Array(next);
    if (buf) b.set(buf.subarray(0, len));
    buf = b;
    held = next;
    return true;
  };
  const spill = async (chunk: Uint8Array): Promise<void> => {
    const s = (stream = streaming());
    const gathered = buf?.subarray(0, len);
    try {
      for (let at = 0; gathered && at < gathered.length; at += BATCH) {
        const p = s.update(gathered.subarray(at, at + BATCH));
        if (p) await p;
      }
    } finally {
      giveBack();
    }
    const p = s.update(chunk);
    if (p) await p;
  };
  return {
    update(chunk) {
      if (finished) throw new Error('sha256: update after digest');
      if (spilling) {
        const copy = chunk.slice();
        const p = (spilling = spilling.then(async () => {
          const q = stream!.update(copy);
          if (q) await q;
        }));
        return p.finally(() => {
          if (spilling === p) spilling = undefined;
        });
      }
      if (stream) return stream.update(chunk);
      if (!grow(len + chunk.length)) {
        // The caller may reuse chunk once update returns: the hand-over awaits, so keep a copy.
        const p = (spilling = spill(chunk.slice()));
        return p.finally(() => {
          if (spilling === p) spilling = undefined;
        });
      }
      buf!.set(chunk, len);
      len += chunk.length;
    },
    async digest() {
      finished = true;
      if (spilling) await spilling;
      if (stream) return stream.digest();
      try {
        return await oneShot(buf ? buf.subarray(0, len) : new Uint8Array(0));
      } finally {
        giveBack();
      }
    },
    dispose() {
      finished = true;
      giveBack();
      stream?.dispose?.();
    },
  };
}
