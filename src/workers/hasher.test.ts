// The worker hasher's protocol and pool, over an in-process port that behaves like a worker
// (messages structured-cloned with their ArrayBuffers transferred, i.e. detached on the sender,
// delivered in order, later), and once over real worker_threads.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { threadPort } from '../../bench/hash-thread.ts';
import { ingestLayer } from '../core/layer/ingest.ts';
import {
  BATCH,
  createHasherPool,
  hasherService,
  byteBudget,
  MAX_IN_FLIGHT,
  oneShotFirst,
  workerHasher,
  type FromHasher,
  type HasherPort,
  type ToHasher,
} from './hasher.ts';

const hex = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed + (i >> 9)) & 0xff;
  return b;
}

interface FakeWorld {
  spawn: () => HasherPort;
  ports: { posted: ToHasher[]; outstanding: number; maxOutstanding: number; fail(e: Error): void; closed: boolean }[];
}

/** Ports whose worker side is hasherService, with `lag` ms before each message is handled. */
function fakeWorld(lag = 0): FakeWorld {
  const world: FakeWorld = { spawn, ports: [] };
  function spawn(): HasherPort {
    let onMessage: (m: FromHasher) => void = () => {};
    let onFailure: (e: Error) => void = () => {};
    const toWorker: ToHasher[] = [];
    let busy = false;
    const state = {
      posted: [] as ToHasher[],
      outstanding: 0,
      maxOutstanding: 0,
      fail: (e: Error) => onFailure(e),
      closed: false,
    };
    world.ports.push(state);
    const service = hasherService((m, transfer) => {
      const copy = structuredClone(m, { transfer });
      if (copy.t === 'ack') state.outstanding -= BATCH;
      setTimeout(() => !state.closed && onMessage(copy), 0);
    });
    const pump = () => {
      if (busy) return;
      busy = true;
      setTimeout(() => {
        busy = false;
        const m = toWorker.shift();
        if (m && !state.closed) service(m);
        if (toWorker.length) pump();
      }, lag);
    };
    return {
      post(m, transfer) {
        state.posted.push(m);
        const copy = structuredClone(m, { transfer });
        if (copy.t === 'update') state.maxOutstanding = Math.max(state.maxOutstanding, (state.outstanding += BATCH));
        toWorker.push(copy);
        pump();
      },
      listen(m, f) {
        onMessage = m;
        onFailure = f;
      },
      close: () => void (state.closed = true),
    };
  }
  return world;
}

describe('createHasherPool', () => {
  it('hashes as node:crypto does, whatever the chunking, and never keeps the caller’s chunk', async () => {
    const pool = createHasherPool(fakeWorld().spawn, 1);
    const data = bytes(3 * BATCH + 12345);
    for (const size of [1, 4093, BATCH, 3 * BATCH + 1]) {
      const h = pool.hasher();
      const scratch = new Uint8Array(size);
      for (let at = 0; at < data.length; at += size) {
        // One reused buffer, overwritten right after update: as a producer that recycles chunks.
        const n = Math.min(size, data.length - at);
        scratch.set(data.subarray(at, at + n));
        const p = h.update(scratch.subarray(0, n));
        scratch.fill(0xee);
        if (p) await p;
      }
      void h.update(new Uint8Array(0));
      expect(await h.digest()).toBe(hex(data));
      expect(scratch.byteLength).toBe(size); // not detached by the transfer
    }
    const empty = pool.hasher();
    expect(await empty.digest()).toBe(hex(new Uint8Array(0)));
    pool.close();
  });

  it('holds the producer back once MAX_IN_FLIGHT bytes wait for a slow worker', async () => {
    const world = fakeWorld(2);
    const pool = createHasherPool(world.spawn, 1);
    const h = pool.hasher();
    const data = bytes(4 * MAX_IN_FLIGHT);
    const chunk = 100_000;
    let promises = 0;
    for (let at = 0; at < data.length; at += chunk) {
      const p = h.update(data.subarray(at, at + chunk));
      if (p) {
        promises++;
        await p;
      }
    }
    expect(await h.digest()).toBe(hex(data));
    expect(promises).toBeGreaterThan(0);
    // The limit, plus the batches one chunk can fill before update returns.
    expect(world.ports[0]!.maxOutstanding).toBeGreaterThan(MAX_IN_FLIGHT / 2);
    expect(world.ports[0]!.maxOutstanding).toBeLessThanOrEqual(
      MAX_IN_FLIGHT + BATCH + Math.ceil(chunk / BATCH) * BATCH,
    );
    pool.close();
  });

  it('runs concurrent hashes on up to `size` workers, each digest its own', async () => {
    const world = fakeWorld();
    const pool = createHasherPool(world.spawn, 2);
    const inputs = [bytes(1_500_000, 1), bytes(700_001, 2), bytes(2_100_000, 3)];
    const hs = inputs.map(() => pool.hasher());
    expect(world.ports).toHaveLength(2);
    for (let at = 0; at < 2_100_000; at += 65536) {
      for (const [i, h] of hs.entries()) {
        const part = inputs[i]!.subarray(at, at + 65536);
        if (part.length) await h.update(part);
      }
    }
    expect(await Promise.all(hs.map((h) => h.digest()))).toEqual(inputs.map(hex));
    pool.close();
  });

  it('rejects pending work when its worker fails, and starts a new worker for the next hash', async () => {
    const world = fakeWorld(5);
    const pool = createHasherPool(world.spawn, 1);
    const h = pool.hasher();
    let p: void | Promise<void>;
    const big = bytes(BATCH);
    do p = h.update(big);
    while (!p);
    world.ports[0]!.fail(new Error('sha256 worker failed: boom'));
    await expect(p).rejects.toThrow('boom');
    await expect(h.digest()).rejects.toThrow('boom');
    expect(() => h.update(big)).toThrow('boom');
    expect(world.ports[0]!.closed).toBe(true);
    const again = pool.hasher();
    expect(world.ports).toHaveLength(2);
    void again.update(big);
    expect(await again.digest()).toBe(hex(big));
    pool.close();
  });

  it('drops a disposed hash on the worker, and dispose after digest is a no-op', async () => {
    const world = fakeWorld();
    const pool = createHasherPool(world.spawn, 1);
    const h = pool.hasher();
    void h.update(bytes(BATCH + 1));
    h.dispose!();
    expect(() => h.update(bytes(1))).toThrow('disposed');
    const posted = world.ports[0]!.posted;
    expect(posted.at(-1)).toMatchObject({ t: 'drop' });
    const g = pool.hasher();
    void g.update(bytes(10));
    expect(await g.digest()).toBe(hex(bytes(10)));
    g.dispose!();
    expect(posted.at(-1)).toMatchObject({ t: 'digest' });
    pool.close();
  });
});

describe('idle workers', () => {
  it('are terminated after idleMs, and a later hash starts a new one', async () => {
    const world = fakeWorld();
    const pool = createHasherPool(world.spawn, 1, 20);
    const h = pool.hasher();
    void h.update(bytes(10));
    await h.digest();
    expect(pool.size).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(world.ports[0]!.closed).toBe(true);
    expect(pool.size).toBe(0);
    const g = pool.hasher();
    void g.update(bytes(10));
    expect(await g.digest()).toBe(hex(bytes(10)));
    expect(world.ports).toHaveLength(2);
    pool.close();
  });
});

describe('hasherService', () => {
  it('answers a malformed update with an error naming it', () => {
    const out: FromHasher[] = [];
    const serve = hasherService((m) => void out.push(m));
    serve({ t: 'update', id: 7, buf: new ArrayBuffer(4), len: 5 });
    serve({ t: 'update', id: 8, buf: 'x' as unknown as ArrayBuffer, len: 0 });
    expect(out).toEqual([
      { t: 'error', id: 7, message: 'malformed update' },
      { t: 'error', id: 8, message: 'malformed update' },
    ]);
  });
});

describe('workerHasher', () => {
  it('hashes in this thread where Worker does not exist (Node)', async () => {
    expect(typeof Worker).toBe('undefined');
    const h = workerHasher();
    void h.update(bytes(1000));
    expect(await h.digest()).toBe(hex(bytes(1000)));
  });
});

describe('oneShotFirst', () => {
  // Records which path hashed: the one-shot digest (WebCrypto) or the streaming hash.
  function setup(max: number, total: number, lag = 0) {
    const world = fakeWorld(lag);
    const pool = createHasherPool(world.spawn, 2);
    const budget = byteBudget(total);
    const used = { oneShot: 0, streaming: 0 };
    const make = () =>
      oneShotFirst(
        () => {
          used.streaming++;
          return pool.hasher();
        },
        budget,
        {
          max,
          oneShot: async (b) => {
            used.oneShot++;
            const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>));
            return `sha256:${Buffer.from(d).toString('hex')}` as const;
          },
        },
      );
    return { make, budget, used, world };
  }
  async function feed(h: ReturnType<ReturnType<typeof setup>['make']>, data: Uint8Array, piece: number) {
    // One reused buffer, as producers reuse theirs: a hash that kept a view would go wrong.
    const scratch = new Uint8Array(piece);
    for (let at = 0; at < data.length; at += piece) {
      const n = Math.min(piece, data.length - at);
      scratch.set(data.subarray(at, at + n));
      const p = h.update(scratch.subarray(0, n));
      if (p) await p;
      scratch.fill(0xee);
    }
    return h.digest();
  }

  it('hashes blobs up to max in one shot, larger ones by handing over to the stream, all as node:crypto does', async () => {
    for (const [n, piece, path] of [
      [0, 1, 'oneShot'],
      [1000, 7, 'oneShot'],
      [64 << 10, 4096, 'oneShot'],
      [(64 << 10) + 1, 4096, 'streaming'],
      [3 * MAX_IN_FLIGHT + 5, 65536, 'streaming'],
      [300 << 10, 300 << 10, 'streaming'],
    ] as const) {
      const s = setup(64 << 10, 1 << 20);
      const data = bytes(n, n);
      expect(await feed(s.make(), data, piece), `${n} bytes in ${piece}`).toBe(hex(data));
      expect(s.used[path], `${n} bytes`).toBe(1);
      expect(s.budget.free, 'the budget is whole again').toBe(1 << 20);
    }
  });

  it('streams from the start of what the budget cannot hold, and gives the budget back', async () => {
    const s = setup(64 << 10, 80 << 10, 1);
    const a = s.make();
    const b = s.make();
    const da = bytes(60 << 10, 3);
    const db = bytes(60 << 10, 4);
    // a takes 60 KiB of the budget's 80; b then cannot grow past 20 and streams.
    const ra = feed(a, da, 60 << 10);
    const rb = feed(b, db, 4096);
    expect(await ra).toBe(hex(da));
    expect(await rb).toBe(hex(db));
    expect(s.used).toEqual({ oneShot: 1, streaming: 1 });
    expect(s.budget.free).toBe(80 << 10);
  });

  it('gives its budget back when disposed before its digest', async () => {
    const s = setup(64 << 10, 1 << 20);
    const h = s.make();
    await h.update(bytes(5000));
    expect(s.budget.free).toBeLessThan(1 << 20);
    h.dispose?.();
    expect(s.budget.free).toBe(1 << 20);
    expect(() => h.update(bytes(1))).toThrow(/after digest/);
  });

  it('keeps the hand-over within the streaming hash’s bound in flight', async () => {
    const s = setup(16 << 20, 32 << 20, 1);
    const data = bytes(16 << 20, 9);
    const h = s.make();
    expect(await feed(h, data, 1 << 20)).toBe(hex(data)); // exactly max: one shot
    const big = bytes((16 << 20) + 1, 10);
    expect(await feed(s.make(), big, 1 << 20)).toBe(hex(big)); // one byte more: handed over
    expect(s.used).toEqual({ oneShot: 1, streaming: 1 });
    expect(Math.max(...s.world.ports.map((p) => p.maxOutstanding))).toBeLessThanOrEqual(MAX_IN_FLIGHT + BATCH);
  });
});

describe('over worker_threads', () => {
  it('ingests a gzip layer with sha256sum’s digest and diff_id', async () => {
    const tar = execSync('tar --format=pax -cf - -C /usr/share/i18n locales', { maxBuffer: 64 << 20 });
    const gz = execSync('gzip -c', { input: tar, maxBuffer: 64 << 20 });
    const pool = createHasherPool(threadPort, 2);
    let at = 0;
    const blob = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= gz.length) return c.close();
        c.enqueue(new Uint8Array(gz.subarray(at, (at += 65536))));
      },
    });
    try {
      const r = await ingestLayer(blob, { hasher: pool.hasher });
      expect(r).toMatchObject({ digest: hex(gz), diffId: hex(tar), compression: 'gzip' });
      expect(r.entries.length).toBeGreaterThan(100);
      // The digest and diff_id hashes ran on two threads.
      expect(pool.size).toBe(2);
    } finally {
      pool.close();
    }
  });
});
