/**
 * Resource caps on one layer: its decompressed size and its entry count, refused with errors
 * that name the limit, and stopped early (a bomb is not decompressed to the end first).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tarBuilder } from '../tar/builder.ts';
import { LayerError } from './errors.ts';
import { DEFAULT_MAX_LAYER_BYTES, DEFAULT_MAX_LAYER_ENTRIES, formatLimitBytes, ingestLayer } from './ingest.ts';

const streamOf = (b: Uint8Array, chunk = 64 * 1024) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < b.length; i += chunk) c.enqueue(b.subarray(i, i + chunk));
      c.close();
    },
  });

describe('layer resource caps', () => {
  it.each(['fflate', 'native'] as const)(
    'a layer that decompresses beyond maxUncompressedBytes is refused early, naming the limit (%s gunzip)',
    async (gzip) => {
      // 64 gzip members of 64 MiB of zeros each: 4 GiB from ~4 MiB, as in the bomb reported.
      const member = gzipSync(new Uint8Array(64 << 20), { level: 9 });
      const bomb = new Uint8Array(member.length * 64);
      for (let i = 0; i < 64; i++) bomb.set(member, i * member.length);
      expect(bomb.length).toBeLessThan(5 << 20);
      let seen = 0;
      const started = Date.now();
      const err = await ingestLayer(streamOf(bomb, 16 * 1024), {
        maxUncompressedBytes: 16 << 20,
        gzip,
        onProgress: (n) => (seen = n),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LayerError);
      expect(err).toMatchObject({ code: 'LAYER_LIMIT' });
      expect((err as Error).message).toMatch(/expands beyond 16 MiB when decompressed/);
      // Stopped near the limit, not after inflating 4 GiB (21 s of CPU when this was reported).
      // fflate is fed in slices, so it stops reading at once; the platform's DecompressionStream
      // reads its input ahead, but its output is dropped once the limit is hit.
      if (gzip === 'fflate') expect(seen).toBeLessThan(bomb.length / 4);
      expect(Date.now() - started).toBeLessThan(10_000);
    },
  );

  it('the same cap lets a layer under it through, and covers the tar, not the padding only', async () => {
    const tar = tarBuilder()
      .file('a', new Uint8Array(3 << 20))
      .file('b', new Uint8Array(3 << 20))
      .bytes();
    const gz = gzipSync(tar);
    const ok = await ingestLayer(streamOf(gz), { maxUncompressedBytes: tar.length });
    expect(ok.uncompressedSize).toBe(tar.length);
    expect(ok.entries.map((e) => e.path)).toEqual(['a', 'b']);
    await expect(ingestLayer(streamOf(gz), { maxUncompressedBytes: 4 << 20 })).rejects.toMatchObject({
      code: 'LAYER_LIMIT',
      message: expect.stringMatching(/expands beyond 4 MiB/),
    });
  });

  it('an uncompressed layer is bounded the same way', async () => {
    const tar = tarBuilder()
      .file('a', new Uint8Array(2 << 20))
      .bytes();
    await expect(ingestLayer(streamOf(tar), { maxUncompressedBytes: 1 << 20 })).rejects.toMatchObject({
      code: 'LAYER_LIMIT',
    });
  });

  it('more entries than maxEntries: "more than N entries"', async () => {
    let b = tarBuilder();
    for (let i = 0; i < 11; i++) b = b.file(`f${i}`);
    await expect(ingestLayer(streamOf(gzipSync(b.bytes())), { maxEntries: 10 })).rejects.toMatchObject({
      code: 'TAR_LIMIT',
      message: expect.stringMatching(/more than 10 entries/),
    });
  });

  it('defaults no real image reaches: 32 GiB and 1,000,000 entries per layer', () => {
    expect(DEFAULT_MAX_LAYER_BYTES).toBe(32 * 2 ** 30);
    expect(DEFAULT_MAX_LAYER_ENTRIES).toBe(1_000_000);
    expect(formatLimitBytes(DEFAULT_MAX_LAYER_BYTES)).toBe('32 GiB');
    expect(formatLimitBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
  });
});
