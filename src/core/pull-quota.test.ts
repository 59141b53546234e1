/**
 * The quota check comes before the work: a pull whose layers (sizes from the manifest) do not
 * fit in what the store has left fails before any layer is fetched.
 */
import { describe, expect, it } from 'vitest';
import { sha256Digest } from './sha256.ts';
import { parseReference } from './reference.ts';
import { pull, type PullError, type RegistryPort, type StorePort } from './pull.ts';
import type { Digest } from './digest.ts';

const L1 = `sha256:${'1'.repeat(64)}` as Digest;
const L2 = `sha256:${'2'.repeat(64)}` as Digest;
const CONFIG = new TextEncoder().encode(
  JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [L1, L2] } }),
);

function fakes(stored: Set<Digest> = new Set()) {
  const fetched: Digest[] = [];
  const registry: RegistryPort = {
    resolve: async () => ({
      manifestDigest: `sha256:${'3'.repeat(64)}` as Digest,
      manifestBytes: new Uint8Array(),
      manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { digest: sha256Digest(CONFIG), bytes: CONFIG, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers: [
        { digest: L1, size: 600_000_000, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
        { digest: L2, size: 700_000_000, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
      ],
      warnings: [],
    }),
    fetchBlob: async (_ref, digest) => {
      fetched.push(digest);
      throw new Error('stop here: the test only checks what was fetched');
    },
  };
  const store = {
    blobState: async (d: Digest) => (stored.has(d) ? 'complete' : 'absent'),
    getLayerSummary: async (diffId: Digest) =>
      stored.has(diffId)
        ? { diffId, digest: diffId, compression: 'gzip', compressedSize: 1, uncompressedSize: 1, size: 1 }
        : undefined,
    getImage: async () => undefined,
    tagTarget: async () => undefined,
    lease: async () => ({ release() {} }),
    beginBlob: async () => ({
      offset: 0,
      write: async () => {},
      complete: async () => {},
      abort: async () => {},
      release() {},
    }),
  } as unknown as StorePort;
  return { registry, store, fetched };
}

const ref = parseReference('example.com/app:1');
const ingest = async () => {
  throw new Error('not reached');
};

describe('pull: quota before the work', () => {
  it('refuses before fetching when the layers to download exceed the free space', async () => {
    const { registry, store, fetched } = fakes();
    const err = (await pull(ref, { registry, store, ingest }, { freeSpace: async () => 1_000_000_000 }).catch(
      (e: unknown) => e,
    )) as PullError;
    expect(err.code).toBe('QUOTA_EXCEEDED');
    expect(err.message).toBe(
      "the layers to download take 1.3GB, more than the 1GB the browser's storage for this site has left",
    );
    expect(fetched).toEqual([]);
  });

  it('counts only the layers not stored yet, and goes on when they fit or the quota is unknown', async () => {
    // L1 stored (its diff_id doubles as its digest in this fake): 700 MB to fetch, 1 GB free.
    const a = fakes(new Set([L1]));
    await expect(
      pull(ref, { registry: a.registry, store: a.store, ingest }, { freeSpace: async () => 1_000_000_000 }),
    ).rejects.toThrow(/stop here/);
    expect(a.fetched).toEqual([L2]);
    const b = fakes();
    await expect(
      pull(ref, { registry: b.registry, store: b.store, ingest }, { freeSpace: async () => undefined }),
    ).rejects.toThrow(/stop here/);
    expect(b.fetched.length).toBeGreaterThan(0);
  });
});
