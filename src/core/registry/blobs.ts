/**
 * Blobs: streamed GETs (`/v2/<name>/blobs/<digest>`), resumable with `Range: bytes=N-`
 * (distribution spec "Fetching Blob Parts"), and a pass-through stream that checks the
 * sha256 and size while the bytes flow.
 */
import { LIMITS } from '../limits.ts';
import { isDigest, type Digest } from '../digest.ts';
import { createSha256, type Sha256Stream } from '../sha256.ts';
import type { RegistryClient, RepositoryRef } from './client.ts';
import { readCapped, RegistryError } from './errors.ts';
import { assertRepository, sha256Digest } from './manifests.ts';

export interface BlobResponse {
  /** The bytes from `rangeStart` when `rangeHonoured`, from 0 otherwise. */
  stream: ReadableStream<Uint8Array>;
  /** Total size of the blob when the registry said (Content-Range total or Content-Length). */
  size?: number;
  /** True when the answer starts at `rangeStart` (206); false means it starts at byte 0. */
  rangeHonoured: boolean;
}

export interface FetchBlobOptions {
  signal?: AbortSignal;
  /** Resume from this byte offset. */
  rangeStart?: number;
}

function blobWhat(repo: RepositoryRef, digest: Digest): string {
  return `blob ${digest} of ${repo.repository}`;
}

export async function fetchBlob(
  client: RegistryClient,
  repo: RepositoryRef,
  digest: Digest,
  opts: FetchBlobOptions = {},
): Promise<BlobResponse> {
  if (!isDigest(digest))
    throw new RegistryError('DIGEST_INVALID', `invalid blob digest ${JSON.stringify(String(digest).slice(0, 80))}`);
  assertRepository(repo.repository);
  const what = blobWhat(repo, digest);
  const start = opts.rangeStart ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError('rangeStart must be a non-negative integer');
  const headers: Record<string, string> = {};
  if (start > 0) headers.Range = `bytes=${start}-`;
  const reqOpts: Parameters<RegistryClient['request']>[2] = { headers, what };
  if (opts.signal) reqOpts.signal = opts.signal;
  const res = await client.request(repo, `/v2/${repo.repository}/blobs/${digest}`, reqOpts);
  if (!res.ok || res.body === null) {
    if (res.ok) throw new RegistryError('HTTP_ERROR', `${what}: empty response`, { status: res.status });
    const err = await client.fail(res, what);
    if (res.status === 404 && err.code === 'HTTP_ERROR') {
      throw new RegistryError('BLOB_UNKNOWN', `blob unknown: ${what} not found`, { status: 404 });
    }
    if (res.status === 416) {
      throw new RegistryError('RANGE_INVALID', `${what}: range from byte ${start} not satisfiable`, {
        status: 416,
      });
    }
    throw err;
  }
  const length = parseLength(res.headers.get('content-length'));
  if (res.status === 206) {
    const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range')?.trim() ?? '');
    if (!cr || Number(cr[1]) !== start) {
      await res.body.cancel().catch(() => {});
      throw new RegistryError('RANGE_INVALID', `${what}: registry answered a different range than bytes=${start}-`, {
        status: 206,
      });
    }
    const out: BlobResponse = { stream: res.body, rangeHonoured: true };
    if (cr[3] !== '*') out.size = Number(cr[3]);
    else if (length !== undefined) out.size = start + length;
    return out;
  }
  // 200: the whole blob, from byte 0 (a registry may ignore Range).
  const out: BlobResponse = { stream: res.body, rangeHonoured: start === 0 };
  if (length !== undefined) out.size = length;
  return out;
}

function parseLength(v: string | null): number | undefined {
  if (v === null || !/^\d{1,16}$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface VerifyOptions {
  /** Expected total size (descriptor `size`): more bytes is an error at once. */
  size?: number;
  /** A hash already fed with the bytes before the resumed range, and their count. */
  hash?: Sha256Stream;
  offset?: number;
}

/**
 * Pass bytes through while hashing them; at the end, error the stream unless the sha256 (and
 * size, when given) match. A consumer that stores chunks must keep nothing unless the stream
 * closed without error.
 */
export function verifyDigestStream(
  expected: Digest,
  opts: VerifyOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const hash = opts.hash ?? createSha256();
  let seen = opts.offset ?? 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (opts.size !== undefined && seen > opts.size) {
        throw new RegistryError('SIZE_INVALID', `blob ${expected} is larger than its ${opts.size} bytes`, {
          retryable: false,
        });
      }
      hash.update(chunk);
      controller.enqueue(chunk);
    },
    flush() {
      if (opts.size !== undefined && seen !== opts.size) {
        throw new RegistryError('SIZE_INVALID', `blob ${expected} has ${seen} bytes, expected ${opts.size}`, {
          retryable: true,
        });
      }
      const got = hash.digest();
      if (got !== expected) {
        throw new RegistryError('DIGEST_MISMATCH', `blob digest ${got} does not match ${expected}`, {
          retryable: false,
        });
      }
    },
  });
}

/** Configs are small JSON: fetch whole, with a cap, and verify. */
export const CONFIG_CAP = LIMITS.configBytes;

export async function fetchBlobBytes(
  client: RegistryClient,
  repo: RepositoryRef,
  digest: Digest,
  opts: { signal?: AbortSignal; cap?: number } = {},
): Promise<Uint8Array> {
  const cap = opts.cap ?? CONFIG_CAP;
  const fo: FetchBlobOptions = {};
  if (opts.signal) fo.signal = opts.signal;
  const { stream, size } = await fetchBlob(client, repo, digest, fo);
  if (size !== undefined && size > cap) {
    await stream.cancel().catch(() => {});
    throw new RegistryError('TOO_LARGE', `${blobWhat(repo, digest)} is larger than ${cap} bytes`);
  }
  const { bytes, truncated } = await readCapped(stream, cap);
  if (truncated) throw new RegistryError('TOO_LARGE', `${blobWhat(repo, digest)} is larger than ${cap} bytes`);
  const got = await sha256Digest(bytes);
  if (got !== digest) {
    throw new RegistryError('DIGEST_MISMATCH', `blob digest ${got} does not match ${digest}`, { retryable: false });
  }
  return bytes;
}
