/**
 * The registry client against a real docker-registry (anonymous), with images built by umoci and
 * pushed by skopeo. Expected values come from `skopeo inspect`, never from our own code.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/core/digest.ts';
import { parseReference } from '../../src/core/reference.ts';
import { createSha256 } from '../../src/core/sha256.ts';
import {
  fetchBlob,
  fetchManifest,
  parsePlatform,
  RegistryClient,
  RegistryError,
  resolveImage,
  schema1ToConfig,
  verifyDigestStream,
} from '../../src/core/registry/index.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import {
  pushTestImage,
  pushTestIndex,
  TestLayout,
  type PushedImage,
  type PushedIndex,
} from '../helpers/registry-images.ts';
import { caught } from '../helpers/caught.ts';

let reg: TestRegistry;
let client: RegistryClient;
let oci: PushedImage;
let v2s2: PushedImage;
let zstd: PushedImage;
let s1: PushedImage;
let big: PushedImage;
let index: PushedIndex;
let list: PushedIndex;
let bigBytes: Buffer;

async function readAll(s: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of s as unknown as AsyncIterable<Uint8Array>) parts.push(c);
  return Buffer.concat(parts);
}

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

beforeAll(async () => {
  reg = await startRegistry();
  client = new RegistryClient({ fetch: globalThis.fetch });
  oci = await pushTestImage(reg, {
    name: 'it/oci',
    tag: '1',
    format: 'oci',
    layers: [{ 'etc/a.txt': 'a\n' }, { 'usr/share/b.txt': 'b\n', 'c/d/e': 'e\n' }],
  });
  v2s2 = await pushTestImage(reg, { name: 'it/v2s2', tag: 'v1.0', format: 'v2s2', files: { 'v2s2.txt': 'docker\n' } });
  zstd = await pushTestImage(reg, {
    name: 'it/zstd',
    tag: '1',
    format: 'oci',
    compression: 'zstd',
    files: { 'z.txt': 'zstd layer\n' },
  });
  s1 = await pushTestImage(reg, {
    name: 'it/schema1',
    tag: 'old',
    format: 'v2s1',
    layers: [{ 'one.txt': '1\n' }, { 'two.txt': '2\n' }],
  });
  bigBytes = randomBytes(3 * 1024 * 1024);
  big = await pushTestImage(reg, { name: 'it/big', tag: '1', format: 'oci', files: { 'big.bin': bigBytes } });
  index = await pushTestIndex(reg, {
    name: 'it/multi',
    tag: '1',
    platforms: [
      { platform: { os: 'linux', architecture: 'amd64' } },
      { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
    attestation: true,
  });
  list = await pushTestIndex(reg, {
    name: 'it/list',
    tag: '1',
    format: 'v2s2',
    platforms: [
      { platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { platform: { os: 'linux', architecture: 'amd64' } },
    ],
  });
}, 180_000);

afterAll(async () => {
  await reg?.stop();
});

function expectSameAsSkopeo(img: Awaited<ReturnType<typeof resolveImage>>, pushed: PushedImage) {
  expect(img.manifestDigest).toBe(pushed.manifestDigest);
  expect(Buffer.from(img.manifestBytes).equals(pushed.manifestRaw)).toBe(true);
  expect(img.manifestMediaType).toBe(pushed.mediaType);
  expect(img.configDigest).toBe(pushed.configDigest);
  expect(Buffer.from(img.configBytes!).equals(pushed.configRaw!)).toBe(true);
  expect(img.layers).toEqual(pushed.layers);
  expect(img.indexDigest).toBeUndefined();
  expect(img.warnings).toEqual([]);
}

describe('single-platform manifests', () => {
  it('OCI manifest, two gzip layers', async () => {
    const img = await resolveImage(client, parseReference(oci.reference));
    expectSameAsSkopeo(img, oci);
    expect(img.layers).toHaveLength(2);
    expect(img.manifestMediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(img.platform).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('Docker v2 schema 2', async () => {
    const img = await resolveImage(client, parseReference(v2s2.reference));
    expectSameAsSkopeo(img, v2s2);
    expect(img.manifestMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(img.layers[0]!.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
  });

  it('OCI with a zstd layer', async () => {
    const img = await resolveImage(client, parseReference(zstd.reference));
    expectSameAsSkopeo(img, zstd);
    expect(img.layers[0]!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
  });

  it('by digest, and name:tag@digest', async () => {
    const byDigest = await resolveImage(client, parseReference(`${reg.host}/it/oci@${oci.manifestDigest}`));
    expect(byDigest.manifestDigest).toBe(oci.manifestDigest);
    const both = await resolveImage(client, parseReference(`${reg.host}/it/oci:ignored@${oci.manifestDigest}`));
    expect(both.manifestDigest).toBe(oci.manifestDigest);
  });
});

describe('index and manifest list', () => {
  const platformDigest = (idx: PushedIndex, arch: string) =>
    idx.manifests.find((m) => m.platform?.architecture === arch)!.digest;

  it('OCI index: linux/amd64 by default; attestation entry present but never chosen', async () => {
    expect(index.manifests[0]!.platform).toEqual({ os: 'unknown', architecture: 'unknown' });
    const img = await resolveImage(client, parseReference(index.reference));
    expect(img.indexDigest).toBe(index.indexDigest);
    expect(Buffer.from(img.indexBytes!).equals(index.indexRaw)).toBe(true);
    expect(img.manifestDigest).toBe(platformDigest(index, 'amd64'));
    expect(img.platform).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('OCI index: --platform linux/arm64 picks the arm64/v8 entry', async () => {
    const img = await resolveImage(client, parseReference(index.reference), { platform: parsePlatform('linux/arm64') });
    expect(img.manifestDigest).toBe(platformDigest(index, 'arm64'));
    expect(img.platform.architecture).toBe('arm64');
    expect(img.warnings).toEqual([]);
  });

  it('Docker list: linux/arm means arm/v7', async () => {
    expect(list.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    const img = await resolveImage(client, parseReference(list.reference), { platform: parsePlatform('linux/arm') });
    expect(img.manifestDigest).toBe(platformDigest(list, 'arm'));
    expect(img.indexMediaType).toBe(list.mediaType);
    expect(img.manifestMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const dflt = await resolveImage(client, parseReference(list.reference));
    expect(dflt.manifestDigest).toBe(platformDigest(list, 'amd64'));
  });

  it("no match: Docker's error", async () => {
    const err = await caught(
      resolveImage(client, parseReference(index.reference), { platform: parsePlatform('linux/ppc64le') }),
    );
    expect(err.code).toBe('NO_MATCHING_MANIFEST');
    expect(err.message).toBe('no matching manifest for linux/ppc64le in the manifest list entries');
  });
});

describe('schema 1', () => {
  it('signed schema 1: digest over the payload, layers bottom-up without throwaway, deprecation warning', async () => {
    expect(s1.mediaType).toBe('application/vnd.docker.distribution.manifest.v1+prettyjws');
    const ref = parseReference(s1.reference);
    const img = await resolveImage(client, ref);
    expect(img.manifestDigest).toBe(s1.manifestDigest);
    expect(img.manifestDigest).not.toBe(sha(s1.manifestRaw)); // signatures are not hashed
    // The registry re-signs on every GET (ECDSA is randomized): the signed part is the same.
    const cut = s1.manifestRaw.indexOf('"signatures"');
    expect(cut).toBeGreaterThan(0);
    expect(Buffer.from(img.manifestBytes).subarray(0, cut).equals(s1.manifestRaw.subarray(0, cut))).toBe(true);
    expect(img.warnings).toEqual([
      `[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release. Suggest the author of ${reg.host}/it/schema1:old to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/`,
    ]);
    // skopeo's schema 1 puts the config in a throwaway top entry: the real layers are the two
    // repacked ones, bottom first.
    const raw = JSON.parse(s1.manifestRaw.toString()) as {
      fsLayers: { blobSum: string }[];
      history: { v1Compatibility: string }[];
    };
    const real = raw.fsLayers
      .map((l, i) => ({ digest: l.blobSum, throwaway: JSON.parse(raw.history[i]!.v1Compatibility).throwaway === true }))
      .filter((l) => !l.throwaway)
      .reverse()
      .map((l) => l.digest);
    expect(img.layers.map((l) => l.digest)).toEqual(real);
    expect(img.layers).toHaveLength(2);
    expect(img.configDigest).toBeUndefined();
    expect(img.schema1!.view.history).toHaveLength(raw.history.length);
    expect(img.platform).toEqual({ os: 'linux', architecture: 'amd64' });

    // Config synthesized once the diff_ids are known (computed here with zlib).
    const diffIds: Digest[] = [];
    for (const l of img.layers) {
      const { stream } = await fetchBlob(client, ref, l.digest);
      diffIds.push(sha(gunzipSync(await readAll(stream))) as Digest);
    }
    const { configBytes, configDigest } = await schema1ToConfig(img.schema1!.manifest, diffIds);
    expect(configDigest).toBe(sha(configBytes));
    const config = JSON.parse(Buffer.from(configBytes).toString()) as Record<string, unknown>;
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: diffIds });
    expect(config.architecture).toBe('amd64');
    expect(config).not.toHaveProperty('id');
    expect(config).not.toHaveProperty('parent');
    expect(Object.keys(config)).toEqual([...Object.keys(config)].sort());
  });
});

describe('errors', () => {
  it('MANIFEST_UNKNOWN for a missing tag', async () => {
    const err = await caught(fetchManifest(client, parseReference(`${reg.host}/it/oci`), 'nope'));
    expect(err.code).toBe('MANIFEST_UNKNOWN');
    expect(err.status).toBe(404);
    expect(err.message).toMatch(/^manifest unknown: /);
    expect(err.retryable).toBe(false);
    // plain data crosses postMessage
    expect(RegistryError.fromData(structuredClone(err.toData()))).toMatchObject({
      code: 'MANIFEST_UNKNOWN',
      status: 404,
    });
  });

  it('NAME_UNKNOWN for a missing repository', async () => {
    // distribution 2.8 answers MANIFEST_UNKNOWN for manifests of unknown repositories, and
    // NAME_UNKNOWN for their tag list.
    const repo = parseReference(`${reg.host}/no/such-repo:1`);
    const res = await client.request(repo, '/v2/no/such-repo/tags/list');
    const err = await client.fail(res, 'tags of no/such-repo');
    expect(err.code).toBe('NAME_UNKNOWN');
    expect(err.status).toBe(404);
    expect(err.message).toBe('name unknown: repository name not known to registry');
    expect((await caught(resolveImage(client, repo))).code).toBe('MANIFEST_UNKNOWN');
  });

  it('BLOB_UNKNOWN for a missing blob', async () => {
    const err = await caught(fetchBlob(client, parseReference(oci.reference), `sha256:${'0'.repeat(64)}`));
    expect(err.code).toBe('BLOB_UNKNOWN');
  });

  it('a digest reference whose manifest does not exist', async () => {
    const err = await caught(resolveImage(client, parseReference(`${reg.host}/it/oci@sha256:${'1'.repeat(64)}`)));
    expect(err.code).toBe('MANIFEST_UNKNOWN');
  });
});

describe('blobs', () => {
  it('streams a layer, verified while streaming', async () => {
    const ref = parseReference(big.reference);
    const layer = big.layers[0]!;
    const { stream, size, rangeHonoured } = await fetchBlob(client, ref, layer.digest as Digest);
    expect(rangeHonoured).toBe(true);
    expect(size).toBe(layer.size);
    const bytes = await readAll(stream.pipeThrough(verifyDigestStream(layer.digest as Digest, { size: layer.size })));
    expect(bytes.length).toBe(layer.size);
    expect(sha(bytes)).toBe(layer.digest);
    // the layer holds our random file
    expect(gunzipSync(bytes).includes(bigBytes.subarray(0, 4096))).toBe(true);
  });

  it('a wrong expected digest errors the stream', async () => {
    const ref = parseReference(big.reference);
    const layer = big.layers[0]!;
    const { stream } = await fetchBlob(client, ref, layer.digest as Digest);
    const err = await caught(readAll(stream.pipeThrough(verifyDigestStream(`sha256:${'2'.repeat(64)}`))));
    expect(err.code).toBe('DIGEST_MISMATCH');
  });

  it('resumes with Range: the rest hashes together with the stored prefix', async () => {
    const ref = parseReference(big.reference);
    const layer = big.layers[0]!;
    const digest = layer.digest as Digest;
    const first = await fetchBlob(client, ref, digest);
    const full = await readAll(first.stream);
    const cut = Math.floor(full.length / 3);
    const hash = createSha256();
    hash.update(full.subarray(0, cut));
    const rest = await fetchBlob(client, ref, digest, { rangeStart: cut });
    expect(rest.rangeHonoured).toBe(true);
    expect(rest.size).toBe(layer.size);
    const tail = await readAll(
      rest.stream.pipeThrough(verifyDigestStream(digest, { size: layer.size, hash, offset: cut })),
    );
    expect(tail.equals(full.subarray(cut))).toBe(true);
  });

  it('a range past the end is a clear error', async () => {
    const ref = parseReference(big.reference);
    const layer = big.layers[0]!;
    const err = await caught(fetchBlob(client, ref, layer.digest as Digest, { rangeStart: layer.size + 10 }));
    expect(err.code).toBe('RANGE_INVALID');
  });
});

describe('shared base layer', () => {
  it('two images built on one base share its layer blob', async () => {
    const layout = await TestLayout.create();
    try {
      await layout.build({ tag: 'base', layers: [{ 'base.txt': 'base\n' }] });
      const a = await pushTestImage(reg, {
        name: 'it/shared-a',
        tag: '1',
        files: { 'a.txt': 'a\n' },
        base: { layout, tag: 'base' },
      });
      const b = await pushTestImage(reg, {
        name: 'it/shared-b',
        tag: '1',
        files: { 'b.txt': 'b\n' },
        base: { layout, tag: 'base' },
      });
      const ia = await resolveImage(client, parseReference(a.reference));
      const ib = await resolveImage(client, parseReference(b.reference));
      expect(ia.layers).toHaveLength(2);
      expect(ia.layers[0]).toEqual(ib.layers[0]);
      expect(ia.layers[1]!.digest).not.toBe(ib.layers[1]!.digest);
      expect(ia.layers).toEqual(a.layers);
      expect(ib.layers).toEqual(b.layers);
    } finally {
      await layout.cleanup();
    }
  });
});
