/**
 * Streaming SHA-256 (FIPS 180-4) giving a `sha256:<hex>` Digest. Browsers have no streaming
 * hash (`crypto.subtle.digest` is one-shot) and the app runs no WebAssembly, so this is plain
 * JS: whole 64-byte blocks are compressed straight from the caller's chunk, only a partial
 * block is copied. The compression function is generated, unrolled (sha256-blocks.ts); it ran
 * 1.5–2× as fast as @noble/hashes here (bench/RESULTS.md), and hashing is most of ingest's work.
 */
import type { Digest } from './digest.ts';
import { compressBlocks } from './sha256-blocks.ts';

export interface Sha256Stream {
  update(chunk: Uint8Array): void;
  /** Bytes hashed so far. */
  readonly length: number;
  digest(): Digest;
}

/** FIPS 180-4 5.3.3. */
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

class Sha256 implements Sha256Stream {
  private readonly state = new Int32Array(IV);
  /** A partial block carried to the next update. */
  private readonly block = new Uint8Array(64);
  private fill = 0;
  private total = 0;
  private done: Digest | undefined;

  get length(): number {
    return this.total;
  }

  update(chunk: Uint8Array): void {
    if (this.done !== undefined) throw new Error('sha256: update after digest');
    const n = chunk.length;
    this.total += n;
    let pos = 0;
    if (this.fill > 0) {
      const take = Math.min(64 - this.fill, n);
      this.block.set(chunk.subarray(0, take), this.fill);
      this.fill += take;
      pos = take;
      if (this.fill < 64) return;
      compressBlocks(this.state, this.block, 0, 64);
      this.fill = 0;
    }
    const whole = pos + ((n - pos) & ~63);
    if (whole > pos) compressBlocks(this.state, chunk, pos, whole);
    if (whole < n) {
      this.block.set(chunk.subarray(whole), 0);
      this.fill = n - whole;
    }
  }

  /** Idempotent: the digest is computed once. */
  digest(): Digest {
    if (this.done !== undefined) return this.done;
    // Padding (5.1.1): 0x80, zeros, then the length in bits as a 64-bit big-endian number.
    const b = this.block;
    b.fill(0, this.fill);
    b[this.fill] = 0x80;
    if (this.fill >= 56) {
      compressBlocks(this.state, b, 0, 64);
      b.fill(0);
    }
    const hi = Math.floor(this.total / 0x20000000); // total · 8 / 2^32
    const lo = (this.total * 8) % 0x100000000;
    const view = new DataView(b.buffer);
    view.setUint32(56, hi);
    view.setUint32(60, lo);
    compressBlocks(this.state, b, 0, 64);
    let hex = 'sha256:';
    for (const w of this.state) hex += (w >>> 0).toString(16).padStart(8, '0');
    this.done = hex as Digest;
    return this.done;
  }
}

export function createSha256(): Sha256Stream {
  return new Sha256();
}

export function sha256Digest(bytes: Uint8Array): Digest {
  const h = new Sha256();
  h.update(bytes);
  return h.digest();
}
