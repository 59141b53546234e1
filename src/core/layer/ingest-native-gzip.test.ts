// Chromium's DecompressionStream('gzip') errors on a multi-member gzip ("Junk found after end of
// compressed data", checked by hand with the chromium in this image); Node's decodes every
// member. This file stands in a Chromium-like DecompressionStream to test both strategies:
// fflate from the start (no reread), or native then a second pass with fflate (reread).
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeGzipHandlesMembers } from '../compression.ts';
import { createSha256 } from '../sha256.ts';
import { ingestLayer, type AsyncHasher } from './ingest.ts';
import { chunkedStream } from './test-streams.ts';

const RealDecompressionStream = globalThis.DecompressionStream;
let firstMember = 0;

/** Decodes the first gzip member only, then fails on what follows, as Chromium does. */
class ChromiumLikeDecompressionStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  constructor(format: CompressionFormat) {
    let seen = 0;
    let boundary = -1;
    const cut = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        if (boundary < 0) boundary = chunk.length === 42 ? 21 : firstMember; // the probe: 2 × 21 bytes
        const room = boundary - seen;
        seen += chunk.length;
        if (chunk.length > room) {
          if (room > 0) c.enqueue(chunk.subarray(0, room));
          throw new TypeError('Junk found after end of compressed data.');
        }
        c.enqueue(chunk);
      },
    });
    this.writable = cut.writable;
    this.readable = cut.readable.pipeThrough(
      new RealDecompressionStream(format) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
    );
  }
}

const streamOf = chunkedStream;

describe('gzip on a platform whose DecompressionStream stops at the first member', () => {
  let dir: string;
  let multi: Uint8Array;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ls-native-'));
    execSync(
      'mkdir root && head -c 300000 /dev/urandom > root/r && seq 1 50000 > root/s && tar --sort=name -cf l.tar -C root .',
      { cwd: dir, shell: '/bin/sh' },
    );
    execSync('head -c 200000 l.tar | gzip -c > m.gz', { cwd: dir, shell: '/bin/sh' });
    firstMember = statSync(join(dir, 'm.gz')).size;
    execSync('tail -c +200001 l.tar | gzip -c >> m.gz', { cwd: dir, shell: '/bin/sh' });
    multi = new Uint8Array(readFileSync(join(dir, 'm.gz')));
    (globalThis as { DecompressionStream: unknown }).DecompressionStream = ChromiumLikeDecompressionStream;
  });
  afterAll(() => {
    (globalThis as { DecompressionStream: unknown }).DecompressionStream = RealDecompressionStream;
    rmSync(dir, { recursive: true, force: true });
  });

  it('the probe sees it', async () => {
    expect(await nativeGzipHandlesMembers()).toBe(false);
  });

  it('the stand-in really fails on the layer natively', async () => {
    await expect(ingestLayer(streamOf(multi), { gzip: 'native' })).rejects.toMatchObject({ code: 'LAYER_CORRUPT' });
  });

  it('without reread: fflate from the start', async () => {
    const r = await ingestLayer(streamOf(multi));
    const want = `sha256:${execSync(`sha256sum ${join(dir, 'l.tar')}`, { encoding: 'utf8' }).split(' ')[0]}`;
    expect(r.diffId).toBe(want);
    expect(r.entries.map((e) => e.path)).toEqual(['', 'r', 's']);
  });

  it('with reread: native, then one more pass with fflate over the stored bytes', async () => {
    const stored: Uint8Array[] = [];
    let rereads = 0;
    const r = await ingestLayer(streamOf(multi), {
      expectedDigest: `sha256:${execSync(`sha256sum ${join(dir, 'm.gz')}`, { encoding: 'utf8' }).split(' ')[0]}`,
      expectedDiffId: `sha256:${execSync(`sha256sum ${join(dir, 'l.tar')}`, { encoding: 'utf8' }).split(' ')[0]}`,
      onChunk: (c) => void stored.push(c.slice()),
      reread: () => {
        rereads++;
        return streamOf(new Uint8Array(Buffer.concat(stored)), 1000);
      },
    });
    expect(rereads).toBe(1);
    expect(Buffer.concat(stored).equals(Buffer.from(multi))).toBe(true); // each byte stored once
    expect(r.compressedSize).toBe(multi.length);
    expect(r.entries.map((e) => e.path)).toEqual(['', 'r', 's']);
  });

  it('with reread and an async hasher: the first diff_id hash is dropped, the second verifies', async () => {
    const stored: Uint8Array[] = [];
    const log: string[] = [];
    let n = 0;
    const hasher = (): AsyncHasher => {
      const id = n++;
      const h = createSha256();
      return {
        update: async (c) => {
          h.update(c);
          await new Promise((r) => setTimeout(r, 0));
        },
        digest: async () => (log.push(`digest ${id}`), h.digest()),
        dispose: () => void log.push(`dispose ${id}`),
      };
    };
    const r = await ingestLayer(streamOf(multi), {
      expectedDigest: `sha256:${execSync(`sha256sum ${join(dir, 'm.gz')}`, { encoding: 'utf8' }).split(' ')[0]}`,
      expectedDiffId: `sha256:${execSync(`sha256sum ${join(dir, 'l.tar')}`, { encoding: 'utf8' }).split(' ')[0]}`,
      onChunk: (c) => void stored.push(c.slice()),
      reread: () => streamOf(new Uint8Array(Buffer.concat(stored)), 1000),
      hasher,
    });
    expect(r.entries.map((e) => e.path)).toEqual(['', 'r', 's']);
    // 0: digest (finished once, before the reread); 1: the failed native pass's diff_id; 2: the
    // fflate pass's diff_id. Every hasher is disposed at the end (a no-op after digest).
    expect(log).toEqual(['digest 0', 'digest 2', 'dispose 0', 'dispose 1', 'dispose 2']);
  });

  it('with reread: a single-member layer needs no second pass', async () => {
    let rereads = 0;
    const single = new Uint8Array(execSync(`gzip -c ${join(dir, 'l.tar')}`));
    firstMember = single.length;
    const r = await ingestLayer(streamOf(single), { reread: () => (rereads++, streamOf(single)) });
    expect(rereads).toBe(0);
    expect(r.entries).toHaveLength(3);
  });

  it('with reread: corrupt data still fails, with the digest pass complete', async () => {
    const bad = multi.slice();
    bad.fill(0xff, 10, 40);
    let seen = 0;
    await expect(
      ingestLayer(streamOf(bad), { reread: () => streamOf(bad), onChunk: (c) => void (seen += c.length) }),
    ).rejects.toMatchObject({ code: 'LAYER_CORRUPT' });
    expect(seen).toBe(bad.length);
  });

  it('with reread: a failing onChunk (a full disk) ends the ingest with its own error, no re-read', async () => {
    // Found by the e2e quota test in CI: the native decoder reported the aborted source as
    // corrupt data, ingest then re-read, and a size mismatch hid the quota error.
    let rereads = 0;
    let stored = 0;
    const full = Object.assign(new Error('quota is full'), { code: 'QUOTA_EXCEEDED' });
    await expect(
      ingestLayer(streamOf(multi, 64 * 1024), {
        expectedSize: multi.length,
        reread: () => (rereads++, streamOf(multi)),
        onChunk: (c) => {
          if (stored + c.length > 100_000) throw full;
          stored += c.length;
        },
      }),
    ).rejects.toBe(full);
    expect(rereads).toBe(0);
  });
});
