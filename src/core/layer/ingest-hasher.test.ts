// ingestLayer with an injected AsyncHasher (the path the browser takes with hashes in workers):
// a fake that behaves like a worker (bytes copied at update, hashed later in order after random
// delays, a bounded queue with backpressure) must give sha256sum's digests, keep the queue
// bounded, and leave mismatch errors as they were.
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../digest.ts';
import { createSha256 } from '../sha256.ts';
import { LayerError } from './errors.ts';
import { ingestLayer, inThreadHasher, type AsyncHasher } from './ingest.ts';
import { chunkedStream } from './test-streams.ts';

const sha256sum = (file: string): Digest =>
  `sha256:${execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]}`;

const streamOf = chunkedStream;

const LIMIT = 256 << 10;
const delay = () => new Promise<void>((r) => setTimeout(r, Math.random() < 0.2 ? 1 : 0));

interface Fake {
  factory: () => AsyncHasher;
  made: number;
  disposed: number;
  digested: number;
  /** Most bytes ever queued in one hasher, and the largest single chunk. */
  maxQueued: number;
  maxChunk: number;
}

/** A worker-like hasher: copies at update, hashes later in order, bounded queue of LIMIT bytes. */
function fakeWorker(opts: { failDigest?: boolean; failUpdateAfter?: number } = {}): Fake {
  const fake: Fake = { factory, made: 0, disposed: 0, digested: 0, maxQueued: 0, maxChunk: 0 };
  function factory(): AsyncHasher {
    fake.made++;
    const h = createSha256();
    const queue: Uint8Array[] = [];
    let queued = 0;
    let running: Promise<void> | undefined;
    let drained: (() => void) | undefined;
    let updates = 0;
    const run = async () => {
      while (queue.length) {
        await delay();
        const c = queue.shift()!;
        h.update(c);
        queued -= c.length;
        if (queued <= LIMIT && drained) {
          drained();
          drained = undefined;
        }
      }
      running = undefined;
    };
    return {
      update(chunk) {
        if (opts.failUpdateAfter !== undefined && ++updates > opts.failUpdateAfter) throw new Error('hasher gone');
        const copy = chunk.slice(); // the contract: nothing of the chunk is kept past update
        queue.push(copy);
        queued += copy.length;
        fake.maxQueued = Math.max(fake.maxQueued, queued);
        fake.maxChunk = Math.max(fake.maxChunk, copy.length);
        running ??= run();
        if (queued > LIMIT) return new Promise<void>((r) => (drained = r));
      },
      async digest() {
        while (running) await running;
        fake.digested++;
        if (opts.failDigest) throw new Error('digest lost');
        return h.digest();
      },
      dispose() {
        fake.disposed++;
      },
    };
  }
  return fake;
}

describe('ingestLayer with an async hasher', () => {
  let dir: string;
  const f = (n: string) => new Uint8Array(readFileSync(join(dir, n)));
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ls-ingest-hasher-'));
    const root = join(dir, 'root');
    mkdirSync(join(root, 'data'), { recursive: true });
    const big = Buffer.alloc(3_000_017);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 11)) & 0xff;
    writeFileSync(join(root, 'data/big'), big);
    for (let i = 0; i < 100; i++) writeFileSync(join(root, 'data', `f${i}`), 'y'.repeat(i * 7));
    const sh = (cmd: string) => execSync(cmd, { cwd: dir, shell: '/bin/sh' });
    sh('tar --format=pax --sort=name -cf layer.tar -C root .');
    sh('gzip -c layer.tar > layer.tar.gz && zstd -q -c layer.tar > layer.tar.zst');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [blobName, compression, hashes] of [
    ['layer.tar', 'none', 1],
    ['layer.tar.gz', 'gzip', 2],
    ['layer.tar.zst', 'zstd', 2],
  ] as const) {
    it(`${blobName}: sha256sum's digest and diff_id, the queue bounded`, async () => {
      const blob = f(blobName);
      const fake = fakeWorker();
      const stored: Uint8Array[] = [];
      const r = await ingestLayer(streamOf(blob), {
        expectedDigest: sha256sum(join(dir, blobName)),
        expectedDiffId: sha256sum(join(dir, 'layer.tar')),
        expectedSize: blob.length,
        onChunk: (c) => void stored.push(c.slice()),
        hasher: fake.factory,
      });
      expect(r.compression).toBe(compression);
      expect(r.digest).toBe(sha256sum(join(dir, blobName)));
      expect(r.diffId).toBe(sha256sum(join(dir, 'layer.tar')));
      expect(r.entries.find((e) => e.path === 'data/big')?.size).toBe(3_000_017);
      expect(r.entries).toHaveLength(102 + 1); // ./, data/, 101 files
      expect(fake.made).toBe(hashes);
      expect(fake.digested).toBe(hashes);
      // Ingest awaited the backpressure promise: never more than LIMIT plus one chunk queued
      // (without the await the whole 3 MB layer would queue up).
      expect(fake.maxQueued).toBeGreaterThan(LIMIT);
      expect(fake.maxQueued).toBeLessThanOrEqual(LIMIT + fake.maxChunk);
      expect(Buffer.concat(stored).equals(blob)).toBe(true);
    });
  }

  it('gives the in-thread hasher’s results through inThreadHasher', async () => {
    const blob = f('layer.tar.gz');
    const a = await ingestLayer(streamOf(blob, 4093), { hasher: inThreadHasher });
    const b = await ingestLayer(streamOf(blob, 4093));
    expect(a).toEqual(b);
  });

  it('throws the same mismatch errors, after the stream ends, and disposes the hashers', async () => {
    const blob = f('layer.tar.zst');
    const digest = sha256sum(join(dir, 'layer.tar.zst'));
    const wrong = `sha256:${'0'.repeat(64)}` as Digest;
    const fake = fakeWorker();
    const e1 = await ingestLayer(streamOf(blob), { expectedDigest: wrong, hasher: fake.factory }).catch(
      (e: unknown) => e,
    );
    expect(e1).toBeInstanceOf(LayerError);
    expect(e1).toMatchObject({ code: 'LAYER_DIGEST_MISMATCH', message: `layer ${wrong}: digest is ${digest}` });
    const e2 = await ingestLayer(streamOf(blob), {
      expectedDigest: digest,
      expectedDiffId: wrong,
      hasher: fake.factory,
    }).catch((e: unknown) => e);
    expect(e2).toMatchObject({
      code: 'LAYER_DIFFID_MISMATCH',
      message: `layer ${digest}: diff_id is ${sha256sum(join(dir, 'layer.tar'))}, expected ${wrong}`,
    });
    const e3 = await ingestLayer(streamOf(blob), { expectedSize: blob.length - 1, hasher: fake.factory }).catch(
      (e: unknown) => e,
    );
    expect(e3).toMatchObject({ code: 'LAYER_SIZE_MISMATCH' });
    expect(fake.disposed).toBe(fake.made);
  });

  it('passes a hasher failure through and cancels the blob', async () => {
    const blob = f('layer.tar.gz');
    let cancelled = false;
    const inner = streamOf(blob, 1024);
    const reader = inner.getReader();
    const watched = new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel: () => void (cancelled = true),
    });
    const failing = fakeWorker({ failUpdateAfter: 5 });
    await expect(ingestLayer(watched, { hasher: failing.factory })).rejects.toThrow('hasher gone');
    expect(cancelled).toBe(true);
    expect(failing.disposed).toBe(failing.made);

    const lost = fakeWorker({ failDigest: true });
    await expect(ingestLayer(streamOf(blob), { hasher: lost.factory })).rejects.toThrow('digest lost');
  });

  it('refuses a corrupt layer as before, disposing the hashers', async () => {
    const blob = f('layer.tar.gz').slice();
    blob[blob.length >> 1]! ^= 0xff;
    const fake = fakeWorker();
    const e = await ingestLayer(streamOf(blob), { hasher: fake.factory }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LayerError);
    expect((e as LayerError).code).toMatch(/^(LAYER_CORRUPT|TAR_)/);
    expect(fake.disposed).toBe(fake.made);
  });
});
