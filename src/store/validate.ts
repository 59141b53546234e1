/**
 * Argument checks at the store's door. Every public store method validates what it is given
 * before it takes a lock or opens a transaction, so a bad argument fails fast with
 * INVALID_ARGUMENT (or TOO_LARGE) and nothing is written.
 */
import { isDigest, type Digest } from '../core/digest.ts';
import type { ImageRecord, RemovalStep } from '../core/model.ts';
import { StoreError } from './errors.ts';

/** Cap for putBlob (configs): bigger blobs go through beginBlob. */
export const MAX_PUT_BLOB_BYTES = 64 * 1024 * 1024;
/** Cap for a stored manifest (containerd uses 4 MiB too). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Longest tag name (or lookup reference) the store accepts. */
export const MAX_TAG_NAME = 1024;
const MAX_MEDIA_TYPE = 255;

/** A digest shortened for messages. */
export function short(d: string): string {
  return d.length > 19 ? `${d.slice(0, 19)}…` : d;
}

export function checkDigest(d: unknown, what: string): asserts d is Digest {
  if (typeof d !== 'string' || !isDigest(d)) {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `${what} is not a sha256 digest: ${JSON.stringify(String(d).slice(0, 80))}`,
    );
  }
}

export function checkSize(n: unknown, what: string): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new StoreError('INVALID_ARGUMENT', `${what} must be a non-negative integer, got ${String(n)}`);
  }
}

export function checkMediaType(m: unknown): asserts m is string {
  if (typeof m !== 'string' || m.length > MAX_MEDIA_TYPE) {
    throw new StoreError('INVALID_ARGUMENT', `media type must be a string of at most ${MAX_MEDIA_TYPE} characters`);
  }
}

/** Bytes handed to the store whole (a config, a manifest): a Uint8Array of at most `max` bytes. */
export function checkBytes(
  bytes: unknown,
  max: number,
  what: 'blob' | 'manifest',
  digest: Digest,
  hint: string,
): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new StoreError('INVALID_ARGUMENT', `${what} bytes must be a Uint8Array`);
  if (bytes.byteLength > max) {
    throw new StoreError('TOO_LARGE', `${what} ${short(digest)} is ${bytes.byteLength} bytes; ${hint}`);
  }
}

/** Tags are normalized `registry/repository:tag` names (normalization is the caller's job). */
export function checkTagName(name: unknown): asserts name is string {
  const ok =
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_TAG_NAME &&
    !/[\s\u0000-\u001f@]/.test(name) &&
    (name.split('/').pop() ?? '').includes(':');
  if (!ok) {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `not a normalized tag name (registry/repository:tag): ${JSON.stringify(String(name).slice(0, 120))}`,
    );
  }
}

export function checkImage(image: ImageRecord): void {
  if (typeof image !== 'object' || image === null) throw new StoreError('INVALID_ARGUMENT', 'image record missing');
  checkDigest(image.id, 'image id');
  checkDigest(image.manifestDigest, 'manifest digest');
  if (image.indexDigest !== undefined) checkDigest(image.indexDigest, 'index digest');
  if (!Array.isArray(image.layers)) throw new StoreError('INVALID_ARGUMENT', 'image layers must be an array');
  image.layers.forEach((l, i) => {
    checkDigest(l.digest, `layer ${i} digest`);
    checkDigest(l.diffId, `layer ${i} diffId`);
  });
  if (!Array.isArray(image.repoDigests)) throw new StoreError('INVALID_ARGUMENT', 'image repoDigests must be an array');
  if (image.refManifests !== undefined) {
    if (typeof image.refManifests !== 'object' || image.refManifests === null)
      throw new StoreError('INVALID_ARGUMENT', 'image refManifests must be an object');
    for (const [name, m] of Object.entries(image.refManifests)) {
      if (name.length > MAX_TAG_NAME) throw new StoreError('INVALID_ARGUMENT', 'refManifests: reference too long');
      checkDigest(m?.manifestDigest, `manifest digest of ${name.slice(0, 120)}`);
      if (m.indexDigest !== undefined) checkDigest(m.indexDigest, `index digest of ${name.slice(0, 120)}`);
    }
  }
}

export function checkRemovalSteps(steps: readonly RemovalStep[]): void {
  for (const st of steps) {
    if (st.kind === 'untag') checkTagName(st.name);
    else checkDigest(st.imageId, 'image id');
  }
}
