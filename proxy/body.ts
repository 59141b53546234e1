/**
 * The proxied body: a pass-through stream that pulls from upstream only when
 * the client reads (backpressure), with idle bounds on both sides and an
 * optional byte bound. No Node APIs (runs on edge runtimes).
 */
import type { AbortKind, ProxyAbort } from './responses.ts';

export interface GuardOptions {
  /** Longest wait for upstream's next chunk, and longest time the client may leave a chunk unread. */
  idleTimeoutMs: number;
  maxBodyBytes: number | undefined;
  abort: (kind: AbortKind) => void;
  reason: () => ProxyAbort | undefined;
  /** Called once when the exchange is over (finished, failed or cancelled). */
  done: () => void;
}

/**
 * Upstream idle: armed while waiting on `reader.read()`. Client idle: armed
 * while the stream waits for the client to ask for more (from creation, and
 * after each chunk handed over). A client that stops reading therefore
 * releases the upstream connection after `idleTimeoutMs`, not after the whole
 * exchange's bound. Cancelling the stream (client gone) aborts upstream too.
 */
export function guardBody(source: ReadableStream<Uint8Array>, opts: GuardOptions): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let seen = 0;
  let finished = false;
  let clientIdle: ReturnType<typeof setTimeout> | undefined;
  let out: ReadableStreamDefaultController<Uint8Array> | undefined;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(clientIdle);
    opts.done();
  };
  const waitForClient = (): void => {
    clientIdle = setTimeout(() => {
      opts.abort('client-idle');
      finish();
      void reader.cancel().catch(() => {});
      out?.error(new Error('layerscope proxy: the client stopped reading (client idle timeout)'));
    }, opts.idleTimeoutMs);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        out = controller;
        waitForClient();
      },
      async pull(controller) {
        clearTimeout(clientIdle);
        if (finished) return;
        const idle = setTimeout(() => opts.abort('idle-timeout'), opts.idleTimeoutMs);
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch {
          clearTimeout(idle);
          finish();
          const kind = opts.reason()?.kind;
          controller.error(new Error(`layerscope proxy: upstream body ${kind ? kind.replace('-', ' ') : 'failed'}`));
          return;
        }
        clearTimeout(idle);
        if (finished) return;
        if (result.done) {
          finish();
          controller.close();
          return;
        }
        seen += result.value.byteLength;
        if (opts.maxBodyBytes !== undefined && seen > opts.maxBodyBytes) {
          opts.abort('too-large');
          finish();
          await reader.cancel().catch(() => {});
          controller.error(new Error(`layerscope proxy: upstream body over the ${opts.maxBodyBytes}-byte limit`));
          return;
        }
        controller.enqueue(result.value);
        waitForClient();
      },
      async cancel(reason) {
        opts.abort('client');
        finish();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
