/** Streaming SHA-256 (`crypto.subtle.digest` is one-shot only), giving a `sha256:<hex>` Digest. */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Digest } from './digest.ts';

export interface Sha256Stream {
  update(chunk: Uint8Array): void;
  /** Bytes hashed so far. */
  readonly length: number;
  digest(): Digest;
}

export function createSha256(): Sha256Stream {
  const h = sha256.create();
  let length = 0;
  let done: Digest | undefined;
  return {
    update(chunk) {
      if (done) throw new Error('sha256: update after digest');
      h.update(chunk);
      length += chunk.length;
    },
    get length() {
      return length;
    },
    /** Idempotent: the digest is computed once. */
    digest: () => (done ??= `sha256:${bytesToHex(h.digest())}`),
  };
}

export function sha256Digest(bytes: Uint8Array): Digest {
  return `sha256:${bytesToHex(sha256(bytes))}`;
}
