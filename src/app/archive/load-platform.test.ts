import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../core/limits.ts';
import { parsePlatform } from '../../core/platform.ts';
import { selectManifest } from '../../core/registry/platform.ts';
import type { Descriptor } from '../../core/registry/manifests.ts';
import { tarBuilder } from '../../core/tar/builder.ts';
import { IDBFactory } from 'fake-indexeddb';
import { memoryLocks, openStore, type Store } from '../../store/index.ts';
import {
  bytesStream,
  collectBytes,
  hex,
  imageConfig,
  layerTar,
  legacyDockerSave,
  memStore,
  sha,
  storeCounts,
} from '../../../tests/helpers/archive.ts';
import { loadArchive, saveArchive } from '../archive.ts';
import type { LoadArchiveOptions } from './session.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const enc = (s: string) => new TextEncoder().encode(s);

interface Variant {
  platform: { os: string; architecture: string; variant?: string };
  layer: Uint8Array;
}

/**
 * An OCI layout whose index.json names one multi-platform index (as Docker 25+ saves a
 * multi-platform image, and as skopeo copies one with --all), plus an attestation manifest.
 */
function multiPlatformLayout(variants: Variant[]) {
  const b = tarBuilder();
  const blob = (bytes: Uint8Array) => {
    b.file(`blobs/sha256/${hex(bytes)}`, bytes, { mtime: 0 });
    return { digest: sha(bytes), size: bytes.length };
  };
  const entries: Descriptor[] = [];
  const configIds: string[] = [];
  for (const v of variants) {
    const layer = blob(v.layer);
    const configBytes = imageConfig([v.layer], undefined, {
      architecture: v.platform.architecture,
      ...(v.platform.variant ? { variant: v.platform.variant } : {}),
    });
    const config = blob(configBytes);
    configIds.push(config.digest);
    const manifest = enc(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    );
    entries.push({ mediaType: OCI_MANIFEST, ...blob(manifest), platform: v.platform } as Descriptor);
  }
  // BuildKit's attestation: never chosen.
  const att = enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] }));
  entries.push({
    mediaType: OCI_MANIFEST,
    ...blob(att),
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
  } as Descriptor);
  const index = blob(enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries })));
  b.file('oci-layout', '{"imageLayoutVersion": "1.0.0"}', { mtime: 0 });
  b.file(
    'index.json',
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: OCI_INDEX,
          ...index,
          annotations: {
            'io.containerd.image.name': 'docker.io/library/multi:1',
            'org.opencontainers.image.ref.name': '1',
          },
        },
      ],
    }),
    { mtime: 0 },
  );
  return { bytes: b.bytes(), entries, configIds };
}

const variants: Variant[] = [
  { platform: { os: 'linux', architecture: 'amd64' }, layer: layerTar({ 'arch.txt': 'amd64\n' }) },
  { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, layer: layerTar({ 'arch.txt': 'arm64\n' }) },
  { platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, layer: layerTar({ 'arch.txt': 'arm\n' }) },
];
const layout = multiPlatformLayout(variants);

async function loadedId(opts: LoadArchiveOptions): Promise<string> {
  const store = await memStore();
  const r = await loadArchive(store, bytesStream(layout.bytes), opts);
  expect(r.lines).toEqual(['Loaded image: multi:1']);
  return r.images[0]!.imageId;
}

async function refusal(store: Store, bytes: Uint8Array, opts: LoadArchiveOptions): Promise<Error> {
  const before = await storeCounts(store);
  const err = await loadArchive(store, bytesStream(bytes), opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ name: 'ArchiveError', code: 'ARCHIVE_MISSING' });
  expect(await storeCounts(store)).toEqual(before); // nothing stored
  return err as Error;
}

describe('docker load chooses from a multi-platform index as docker pull does', () => {
  // The expected choice for each request is what `docker pull` takes from the same index
  // entries (selectManifest), i.e. containerd's platforms.Only ranking: compare_test.go
  // TestOnly lists linux/arm64/v8 among what linux/arm64/v9 and linux/arm64 run, and
  // linux/arm/v7 among what linux/arm/v8 runs.
  const pulled = (p?: string) => {
    const d = selectManifest(layout.entries, p ? parsePlatform(p) : undefined);
    return layout.configIds[layout.entries.indexOf(d)];
  };

  it('the default platform, linux/amd64 unless the settings say otherwise', async () => {
    expect(await loadedId({})).toBe(pulled());
    expect(await loadedId({})).toBe(layout.configIds[0]);
    expect(await loadedId({ defaultPlatform: parsePlatform('linux/arm64') })).toBe(pulled('linux/arm64'));
    expect(await loadedId({ defaultPlatform: parsePlatform('linux/arm64') })).toBe(layout.configIds[1]);
  });

  it('--platform, with containerd fallbacks (arm64/v9 takes v8; arm/v8 takes v7; aarch64 = arm64)', async () => {
    for (const [asked, want] of [
      ['linux/arm64/v9', 1],
      ['aarch64', 1],
      ['linux/arm/v8', 2],
      ['linux/amd64/v3', 0],
    ] as const) {
      expect(await loadedId({ platforms: [parsePlatform(asked)] }), asked).toBe(pulled(asked));
      expect(pulled(asked)).toBe(layout.configIds[want]);
    }
    // --platform wins over the default; the first of several that matches is taken.
    expect(
      await loadedId({
        platforms: [parsePlatform('linux/s390x'), parsePlatform('linux/arm/v7')],
        defaultPlatform: parsePlatform('linux/amd64'),
      }),
    ).toBe(layout.configIds[2]);
  });

  it('nothing matches: an error naming the (normalized) platform, nothing stored', async () => {
    const store = await memStore();
    const e1 = await refusal(store, layout.bytes, { platforms: [parsePlatform('linux/arm/v6')] });
    expect(e1.message).toMatch(/no matching manifest for linux\/arm\/v6 in the manifest list entries/);
    const only = multiPlatformLayout([variants[1]!]);
    const e2 = await refusal(store, only.bytes, { defaultPlatform: parsePlatform('x86_64') });
    expect(e2.message).toMatch(/no matching manifest for linux\/amd64 in/);
    const e3 = await refusal(store, only.bytes, {});
    expect(e3.message).toMatch(/no matching manifest for linux\/amd64 in the manifest list entries/);
    const e4 = await refusal(store, only.bytes, { platforms: [parsePlatform('Linux/S390X')] });
    expect(e4.message).toMatch(/no matching manifest for linux\/s390x in the manifest list entries/);
  });

  it('--platform on a single-platform docker save: refused when the image is for another platform', async () => {
    const store = await memStore();
    const archive = legacyDockerSave([{ tags: ['x:1'], layers: [variants[0]!.layer] }]);
    const err = await refusal(store, archive, { platforms: [parsePlatform('linux/arm64')] });
    expect(err.message).toMatch(/image x:1 doesn't provide the requested platform \(\[linux\/arm64\]\)/);
    const ok = await loadArchive(store, bytesStream(archive), { platforms: [parsePlatform('linux/386')] }).catch(
      (e: Error) => e,
    );
    expect(ok).toBeInstanceOf(Error); // amd64 runs 386, not the other way round
    const r = await loadArchive(store, bytesStream(archive), { platforms: [parsePlatform('linux/amd64')] });
    expect(r.lines).toEqual(['Loaded image: x:1']);
  });
});

describe('one config limit for pull, save and load', () => {
  it('an image with a 5 MiB config: its own archives (both layer modes) load back', async () => {
    const layer = layerTar({ 'a.txt': 'a\n' });
    const label = 'z'.repeat(5 << 20);
    const archive = legacyDockerSave([{ tags: ['big/config:1'], layers: [layer] }], {
      configOverride: () => imageConfig([layer], undefined, { config: { Labels: { big: label } } }),
    });
    const store = await memStore();
    const first = await loadArchive(store, bytesStream(archive));
    const id = first.images[0]!.imageId;
    expect((await store.getBlobRecord(id))?.size).toBeGreaterThan(5 << 20);
    expect((await store.getBlobRecord(id))?.size).toBeLessThanOrEqual(LIMITS.configBytes);
    for (const layers of ['uncompressed', 'as-pulled'] as const) {
      const saved = await collectBytes(
        await saveArchive(store, {
          images: [{ imageId: id, repoTags: ['docker.io/big/config:1'] }],
          format: 'docker-archive',
          layers,
        }),
      );
      const fresh = await memStore();
      const again = await loadArchive(fresh, bytesStream(saved, 1 << 16));
      expect(again.images[0]!.imageId).toBe(id);
      expect(again.lines).toEqual(['Loaded image: big/config:1']);
    }
    const oci = await collectBytes(
      await saveArchive(store, { images: [{ imageId: id, repoTags: [] }], format: 'oci-archive' }),
    );
    expect((await loadArchive(await memStore(), bytesStream(oci, 1 << 16))).images[0]!.imageId).toBe(id);
  });

  it('a config over the limit is refused by name', async () => {
    const layer = layerTar({ 'a.txt': 'a\n' });
    const archive = legacyDockerSave([{ tags: ['x:1'], layers: [layer] }], {
      configOverride: () =>
        imageConfig([layer], undefined, { config: { Labels: { big: 'z'.repeat(LIMITS.configBytes) } } }),
    });
    const store = await memStore();
    const err = await loadArchive(store, bytesStream(archive, 1 << 16)).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'ArchiveError', code: 'ARCHIVE_LIMIT' });
    expect((err as Error).message).toMatch(/\.json is \d+ bytes, more than the 8388608 allowed/);
  });
});

describe('the engine passes the platforms on', () => {
  it("import uses the settings' default platform; the command bar's --platform wins", async () => {
    const { testEngine } = await import('../../../tests/helpers/engine.ts');
    const engine = await testEngine({ settings: { defaultPlatform: 'linux/arm64' } });
    const file = new File([layout.bytes as BlobPart], 'multi.tar');
    const imported = await engine.importArchive('j1', file, () => {});
    expect(imported.imageIds).toEqual([layout.configIds[1]]);

    let out = '';
    let err = '';
    const sink = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
    expect(await engine.run('j2', 'docker load -i multi.tar --platform linux/arm/v7', sink, [file])).toBe(0);
    // The tag moves from the arm64 image to the arm one, with moby's notice.
    expect(out).toBe(
      `The image multi:1 already exists, renaming the old one with ID ${layout.configIds[1]} to empty string\n` +
        'Loaded image: multi:1\n',
    );
    const tags = await (await engine.store()).listTags();
    expect(tags.find((t) => t.name === 'docker.io/library/multi:1')?.imageId).toBe(layout.configIds[2]);

    out = '';
    expect(await engine.run('j3', 'docker load -i multi.tar --platform linux/s390x', sink, [file])).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(
      /^Error response from daemon: .*no matching manifest for linux\/s390x in the manifest list entries\n$/,
    );
  });
});

describe('an import that finds a partial blob under a layer digest', () => {
  it('imports the same archive again at the first try, keeping the bytes already copied', async () => {
    const store = await openStore({
      indexedDB: new IDBFactory(),
      locks: memoryLocks(),
      channel: null,
      storage: null,
      chunkSize: 1024,
    });
    const layer = layerTar({ 'data/big.bin': 'x'.repeat(10_000), 'etc/a': 'a\n' });
    const archive = legacyDockerSave([{ tags: ['resume:1'], layers: [layer] }]);
    // What a reload mid-copy leaves: the layer's first chunks stored under its digest, not complete.
    const w = await store.beginBlob(sha(layer), { size: layer.length, mediaType: 'application/x-tar' });
    await w.write(layer.subarray(0, 5000));
    w.release();
    expect(await store.hasBlob(sha(layer))).toEqual({ partial: 4096 });

    const r = await loadArchive(store, bytesStream(archive));
    expect(r.images).toHaveLength(1);
    expect(await store.hasBlob(sha(layer))).toBe('complete');
    expect(Buffer.from(await collectBytes(store.readBlob(sha(layer)))).equals(Buffer.from(layer))).toBe(true);
    expect(await store.checkInvariants()).toEqual([]);
  });
});
