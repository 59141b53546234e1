/**
 * The peek inflater against zlib (Node's zlib, which is zlib itself): every level and strategy,
 * stored/fixed/dynamic blocks, multi-member gzip, input cut at every size, and a restart from
 * every block boundary with the reported window equal to zlib's output from there.
 */
import { execFileSync } from 'node:child_process';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CompressionError } from '../compression-error.ts';
import { Inflater, type BlockBoundary } from './inflate.ts';
import { noise, prng } from '../../../tests/helpers/prng.ts';

function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decodes `gz` pushed in pieces of the given sizes; returns output and boundaries. */
function inflateAll(gz: Uint8Array, sizes: () => number): { out: Uint8Array; boundaries: BlockBoundary[] } {
  const boundaries: BlockBoundary[] = [];
  const inf = new Inflater({ onBoundary: (b) => boundaries.push({ ...b, window: inf.window() } as BlockBoundary) });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < gz.length;) {
    const n = Math.max(1, sizes());
    parts.push(...inf.push(gz.subarray(i, i + n)));
    i += n;
  }
  parts.push(...inf.push(new Uint8Array(0), true));
  return { out: concat(parts), boundaries };
}

/** Text-like data: words from a small vocabulary, with runs and binary stretches. */
function corpus(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const words = ['alpha', 'beta', 'usr/lib/', 'x86_64-linux-gnu', '\n', ' ', 'the', '\0\0\0\0', 'libc.so.6', '{"a":1}'];
  const out = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const k = r();
    if (k < 0.05) {
      const run = Math.floor(r() * 300);
      out.fill(Math.floor(r() * 256), i, Math.min(n, i + run));
      i += run;
    } else if (k < 0.1) {
      const z = noise(Math.min(n - i, Math.floor(r() * 2000)), Math.floor(r() * 1e9));
      out.set(z, i);
      i += z.length;
    } else {
      const w = new TextEncoder().encode(words[Math.floor(r() * words.length)]!);
      out.set(w.subarray(0, n - i), i);
      i += w.length;
    }
  }
  return out;
}

const data = corpus(600_000, 7);

describe('Inflater against zlib', () => {
  const cases: [string, Parameters<typeof gzipSync>[1]][] = [];
  for (let level = 0; level <= 9; level++) cases.push([`level ${level}`, { level }]);
  cases.push(['Z_FIXED', { strategy: constants.Z_FIXED }]);
  cases.push(['Z_HUFFMAN_ONLY', { strategy: constants.Z_HUFFMAN_ONLY }]);
  cases.push(['Z_RLE', { strategy: constants.Z_RLE }]);
  cases.push(['Z_FILTERED memLevel 1', { strategy: constants.Z_FILTERED, memLevel: 1 }]);
  cases.push(['windowBits 9', { windowBits: 9 }]);

  for (const [name, opts] of cases) {
    it(`decodes ${name} and restarts at every block boundary`, () => {
      const gz = gzipSync(data, opts);
      const r = prng(name.length);
      const { out, boundaries } = inflateAll(gz, () => Math.floor(r() * 70_000));
      expect(Buffer.compare(Buffer.from(out), Buffer.from(data))).toBe(0);
      const blocks = boundaries.filter((b) => !b.member);
      expect(blocks.length).toBeGreaterThan(0);
      const step = Math.max(1, Math.floor(blocks.length / 25));
      for (const b of blocks.filter((_, i) => i % step === 0 || i === blocks.length - 1)) {
        const window = (b as BlockBoundary & { window: Uint8Array }).window;
        expect(Buffer.from(window).equals(Buffer.from(data.subarray(Math.max(0, b.out - 32768), b.out)))).toBe(true);
        const inf = new Inflater({
          start: 'deflate',
          skipBits: b.inBit & 7,
          dictionary: window,
          inOffset: b.inBit >>> 3,
          outOffset: b.out,
        });
        const from = gz.subarray(b.inBit >>> 3);
        const got = concat([...inf.push(from.subarray(0, 1000)), ...inf.push(from.subarray(1000), true)]);
        expect(got.length).toBe(data.length - b.out);
        expect(Buffer.from(got).equals(Buffer.from(data.subarray(b.out)))).toBe(true);
      }
    });
  }

  it('decodes every cut of a small stream, one byte at a time', () => {
    const small = corpus(5000, 3);
    const gz = gzipSync(small, { level: 6 });
    expect(Buffer.from(inflateAll(gz, () => 1).out).equals(Buffer.from(small))).toBe(true);
    for (let cut = 1; cut < gz.length; cut += 7) {
      const inf = new Inflater();
      const got = concat([...inf.push(gz.subarray(0, cut)), ...inf.push(gz.subarray(cut), true)]);
      expect(Buffer.from(got).equals(Buffer.from(small))).toBe(true);
    }
  });

  it('decodes multi-member gzip (pigz -i style) and reports each member start', () => {
    const parts = [corpus(70_000, 1), new Uint8Array(0), corpus(120_000, 2), noise(50_000, 3)];
    const gz = concat(parts.map((p, i) => gzipSync(p, { level: i + 1 })));
    const { out, boundaries } = inflateAll(gz, () => 4096);
    expect(Buffer.from(out).equals(Buffer.from(concat(parts)))).toBe(true);
    expect(boundaries.filter((b) => b.member).map((b) => b.out)).toEqual([0, 70_000, 70_000, 190_000]);
    expect(Buffer.from(gunzipSync(gz)).equals(Buffer.from(out))).toBe(true);
  });

  it('decodes what GNU gzip -9 writes (FNAME in the header)', () => {
    const gz = new Uint8Array(execFileSync('gzip', ['-9c'], { input: data }));
    expect(gz[3]! & 8).toBe(0); // from stdin: no name
    const named = new Uint8Array(gz);
    // Same stream with FNAME and FCOMMENT set by hand (RFC 1952 §2.3.1).
    const hdr = concat([gz.subarray(0, 3), new Uint8Array([0x18]), gz.subarray(4, 10)]);
    const withName = concat([hdr, new TextEncoder().encode('file.tar\0a comment\0'), gz.subarray(10)]);
    expect(Buffer.from(inflateAll(named, () => 65536).out).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(inflateAll(withName, () => 3).out).equals(Buffer.from(data))).toBe(true);
  });

  it('stops at an output offset (stopAt) without reading further', () => {
    const gz = gzipSync(data);
    const inf = new Inflater();
    const got = concat(inf.push(gz, false, 100_000));
    expect(got.length).toBeGreaterThanOrEqual(100_000);
    expect(Buffer.from(got.subarray(0, 100_000)).equals(Buffer.from(data.subarray(0, 100_000)))).toBe(true);
  });

  it('refuses truncated streams and garbage with CompressionError, never another error', () => {
    const gz = gzipSync(corpus(20_000, 9));
    for (const cut of [1, 5, 10, 11, 50, gz.length >> 1, gz.length - 8, gz.length - 1]) {
      expect(() => inflateAll(gz.subarray(0, cut), () => 1000)).toThrow(CompressionError);
    }
    const r = prng(42);
    let refused = 0;
    for (let t = 0; t < 300; t++) {
      const bad = new Uint8Array(gz);
      for (let k = 0; k < 3; k++) {
        const at = 10 + Math.floor(r() * (bad.length - 10));
        bad[at] = bad[at]! ^ (1 << Math.floor(r() * 8));
      }
      let zlibOut: Buffer | undefined;
      try {
        zlibOut = gunzipSync(bad);
      } catch {
        /* zlib refuses */
      }
      try {
        const { out } = inflateAll(bad, () => 777);
        // We check no CRC (the caller hashes the output): when zlib accepts, we agree with it.
        if (zlibOut) expect(Buffer.from(out).equals(zlibOut)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(CompressionError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(10);
  });
});
