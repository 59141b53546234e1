import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompressionError,
  decompress,
  decompressionStream,
  nativeGzipHandlesMembers,
  sniffCompression,
  type DecompressOptions,
} from './compression.ts';

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function all(
  bytes: Uint8Array,
  kind: 'gzip' | 'zstd' | 'none',
  opts: DecompressOptions = {},
  chunk = 65536,
): Promise<{ data: Buffer; maxChunk: number }> {
  const parts: Uint8Array[] = [];
  let maxChunk = 0;
  for await (const c of decompress(chunked(bytes, chunk), kind, opts)) {
    parts.push(c);
    maxChunk = Math.max(maxChunk, c.length);
  }
  return { data: Buffer.concat(parts), maxChunk };
}

describe('compression', () => {
  let dir: string;
  let plain: Buffer;
  const f = (n: string) => new Uint8Array(readFileSync(join(dir, n)));
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ls-comp-'));
    plain = Buffer.alloc(400_000);
    for (let i = 0; i < plain.length; i++) plain[i] = (i % 251) ^ (i >> 11);
    writeFileSync(join(dir, 'a'), plain.subarray(0, 150_000));
    writeFileSync(join(dir, 'b'), plain.subarray(150_000));
    const sh = (cmd: string) => execSync(cmd, { cwd: dir, shell: '/bin/sh' });
    sh('gzip -c a > a.gz && gzip -c b > b.gz && cat a.gz b.gz > ab.gz');
    sh('zstd -q -c a > a.zst && zstd -q -c b > b.zst && cat a.zst b.zst > ab.zst');
    // A skippable frame between two frames (RFC 8878 §3.1.2).
    sh(
      "cat a.zst > skip.zst && printf '\\120\\052\\115\\030\\003\\000\\000\\000xyz' >> skip.zst && cat b.zst >> skip.zst",
    );
    // Piped input: zstd cannot shrink the window to the content size, so the frame says 256 MiB.
    sh('cat a | zstd -q --long=28 -c > long.zst');
    // 20 MB of zeros: a small input that expands a lot (bounded output chunks).
    sh('head -c 20000000 /dev/zero | gzip -1 -c > zeros.gz && head -c 20000000 /dev/zero | zstd -q -1 -c > zeros.zst');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sniffs by magic bytes', () => {
    expect(sniffCompression(f('a.gz'))).toBe('gzip');
    expect(sniffCompression(f('a.zst'))).toBe('zstd');
    expect(sniffCompression(f('a'))).toBe('none');
    expect(sniffCompression(new Uint8Array([0x1f]))).toBe('none');
  });

  it('Node’s DecompressionStream decodes multi-member gzip (Chromium’s does not; see compression.ts)', async () => {
    expect(await nativeGzipHandlesMembers()).toBe(true);
  });

  for (const gzip of ['native', 'fflate'] as const) {
    it(`gunzips single and multi-member gzip (${gzip})`, async () => {
      expect((await all(f('a.gz'), 'gzip', { gzip })).data.equals(plain.subarray(0, 150_000))).toBe(true);
      expect((await all(f('ab.gz'), 'gzip', { gzip })).data.equals(plain)).toBe(true);
      expect((await all(f('ab.gz'), 'gzip', { gzip }, 1)).data.equals(plain)).toBe(true);
    });

    it(`bounds output chunks of a highly compressed stream (${gzip})`, async () => {
      const { data, maxChunk } = await all(f('zeros.gz'), 'gzip', { gzip });
      expect(data.length).toBe(20_000_000);
      expect(maxChunk).toBeLessThanOrEqual(9 << 20);
    });

    it(`refuses corrupt and truncated gzip (${gzip})`, async () => {
      const bad = f('a.gz');
      bad.fill(0xff, 20, 60);
      await expect(all(bad, 'gzip', { gzip })).rejects.toMatchObject({ code: 'COMPRESSION_CORRUPT' });
      const cut = f('a.gz').slice(0, 1000);
      await expect(all(cut, 'gzip', { gzip })).rejects.toBeInstanceOf(CompressionError);
    });
  }

  it('decompresses multi-frame zstd and skips skippable frames', async () => {
    expect((await all(f('ab.zst'), 'zstd')).data.equals(plain)).toBe(true);
    expect((await all(f('skip.zst'), 'zstd', {}, 1)).data.equals(plain)).toBe(true);
  });

  it('bounds zstd output chunks', async () => {
    const { data, maxChunk } = await all(f('zeros.zst'), 'zstd');
    expect(data.length).toBe(20_000_000);
    expect(maxChunk).toBeLessThanOrEqual(128 << 10);
  });

  it('refuses a zstd window above the limit before allocating it', async () => {
    await expect(all(f('long.zst'), 'zstd')).rejects.toMatchObject({ code: 'COMPRESSION_LIMIT' });
    expect((await all(f('long.zst'), 'zstd', { maxZstdWindow: 1 << 28 })).data.equals(plain.subarray(0, 150_000))).toBe(
      true,
    );
  });

  it('refuses corrupt and truncated zstd', async () => {
    await expect(all(f('a.zst').slice(0, 500), 'zstd')).rejects.toMatchObject({ code: 'COMPRESSION_CORRUPT' });
    const junk = new Uint8Array([...f('a.zst'), 1, 2, 3, 4, 5]);
    await expect(all(junk, 'zstd')).rejects.toMatchObject({ code: 'COMPRESSION_CORRUPT' });
  });

  it('works as a stream pair for pipeThrough', async () => {
    const src = new Blob([f('ab.zst')]).stream();
    const out = Buffer.from(await new Response(src.pipeThrough(decompressionStream('zstd'))).arrayBuffer());
    expect(out.equals(plain)).toBe(true);
    expect(execFileSync('zstd', ['-dc', join(dir, 'ab.zst')]).equals(out)).toBe(true);
  });
});
