import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { generate } from '../../scripts/gen-sha256.mjs';
import { createSha256, sha256Digest } from './sha256.ts';

const openssl = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('sha256', () => {
  it('gives the FIPS 180-4 / NIST example digests', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(sha256Digest(text(''))).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Digest(text('abc'))).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Digest(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      'sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    // One million 'a', fed in uneven pieces.
    const h = createSha256();
    const a = new Uint8Array(1000).fill(0x61);
    for (let i = 0; i < 1000; i++) {
      const k = (i * 37) % 1000;
      h.update(a.subarray(0, k));
      h.update(a.subarray(k));
    }
    expect(h.digest()).toBe('sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('agrees with node:crypto for every length 0–300 and across padding boundaries', () => {
    const data = randomBytes(300);
    for (let n = 0; n <= 300; n++)
      expect(sha256Digest(data.subarray(0, n)), `length ${n}`).toBe(openssl(data.subarray(0, n)));
  });

  it('gives the same digest however the stream is cut', () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const want = openssl(data);
    for (const cut of [1, 3, 63, 64, 65, 4095, 65536, 1 << 20]) {
      const h = createSha256();
      for (let o = 0; o < data.length; o += cut) h.update(data.subarray(o, o + cut));
      expect(h.length).toBe(data.length);
      expect(h.digest(), `pieces of ${cut}`).toBe(want);
    }
    // Random piece sizes, including empty ones and chunks that are views into a larger buffer.
    let seed = 7;
    const h = createSha256();
    for (let o = 0; o < data.length;) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const n = seed % 9000;
      h.update(data.subarray(o, o + n));
      o += n;
    }
    expect(h.digest()).toBe(want);
  });

  it('digest is idempotent and refuses updates after it', () => {
    const h = createSha256();
    h.update(new Uint8Array([1, 2, 3]));
    const d = h.digest();
    expect(h.digest()).toBe(d);
    expect(() => h.update(new Uint8Array(1))).toThrow(/update after digest/);
  });

  it('sha256-blocks.ts is what scripts/gen-sha256.mjs generates', () => {
    const committed = readFileSync(new URL('./sha256-blocks.ts', import.meta.url), 'utf8');
    expect(committed).toBe(generate());
  });
});
