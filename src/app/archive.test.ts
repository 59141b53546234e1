import { describe, expect, it } from 'vitest';
import { tarBuilder } from '../core/tar/builder.ts';
import { readTar } from '../core/tar/reader.ts';
import type { Store } from '../store/index.ts';
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
} from '../../tests/helpers/archive.ts';
import { loadArchive, loadOciLayoutFiles, saveArchive } from './archive.ts';

const base = layerTar({ 'etc/os-release': 'NAME=test\n', 'bin/sh': 'x'.repeat(3000) });
const app = layerTar({ 'app/main.js': 'console.log(1)\n', 'bin/sh': null });
// Above the in-memory threshold for unnamed members: staged in the store, then copied.
const big = layerTar({ 'data/big.bin': 'y'.repeat(200_000) });

async function members(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of readTar(bytes)) if (e.header.type === 'file') out.set(e.header.path, await e.bytes());
  return out;
}

async function expectRefused(store: Store, archive: Uint8Array, code: string, message: RegExp) {
  const before = await storeCounts(store);
  const err = await loadArchive(store, bytesStream(archive)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ name: 'ArchiveError', code });
  expect((err as Error).message).toMatch(message);
  expect(await storeCounts(store)).toEqual(before);
  expect(await store.checkInvariants({ afterGc: true })).toEqual([]);
}

describe('loadArchive: pre-25 docker save', () => {
  it('loads images with tags, IDs, sizes and file indexes; prints Docker lines', async () => {
    const store = await memStore();
    const archive = legacyDockerSave([
      { tags: ['test/base:1'], layers: [base] },
      { tags: ['test/app:1', 'localhost:5000/app:v2'], layers: [base, app, big] },
    ]);
    const r = await loadArchive(store, bytesStream(archive));
    const baseId = sha(imageConfig([base]));
    const appId = sha(imageConfig([base, app, big]));
    expect(r.lines).toEqual([
      'Loaded image: test/base:1',
      'Loaded image: test/app:1',
      'Loaded image: localhost:5000/app:v2',
    ]);
    expect(r.images).toEqual([
      { imageId: baseId, repoTags: ['docker.io/test/base:1'] },
      { imageId: appId, repoTags: ['docker.io/test/app:1', 'localhost:5000/app:v2'] },
    ]);
    const img = (await store.getImage(appId))!;
    expect(img.layers.map((l) => l.digest)).toEqual([sha(base), sha(app), sha(big)]);
    expect(img.layers.map((l) => l.diffId)).toEqual([sha(base), sha(app), sha(big)]);
    expect(img.size).toBe(3000 + 10 + 15 + 200_000); // files only; whiteout and dirs count 0
    expect(img.layers[0]!.uncompressedSize).toBe(base.length);
    expect(await store.getLayerIndex(sha(big))).toBeDefined();
    expect(await store.tagsOf(appId)).toEqual(['docker.io/test/app:1', 'localhost:5000/app:v2']);
    // shared base stored once; staged copy of the big layer gone after gc
    const u = await store.usage();
    expect(u.blobCount).toBe(2 + 3); // two configs, three layers
    expect(u.partialCount).toBe(0);
    expect(await store.checkInvariants({ afterGc: true })).toEqual([]);
  });

  it('moves a tag that pointed elsewhere, as Docker does, and loads untagged images by ID', async () => {
    const store = await memStore();
    await loadArchive(store, bytesStream(legacyDockerSave([{ tags: ['x:1'], layers: [base] }])));
    const oldId = sha(imageConfig([base]));
    const r = await loadArchive(
      store,
      bytesStream(
        legacyDockerSave([
          { tags: ['x:1'], layers: [base, app] },
          { tags: [], layers: [app] },
        ]),
      ),
    );
    const newId = sha(imageConfig([base, app]));
    expect(r.lines).toEqual([
      `The image x:1 already exists, renaming the old one with ID ${oldId} to empty string`,
      'Loaded image: x:1',
      `Loaded image ID: ${sha(imageConfig([app]))}`,
    ]);
    expect(r.images[0]).toEqual({
      imageId: newId,
      repoTags: ['docker.io/library/x:1'],
      replaced: [{ name: 'docker.io/library/x:1', previousImageId: oldId }],
    });
    expect(await store.getImage(oldId)).toBeDefined(); // keeps its ID, loses the tag
    expect(await store.tagsOf(oldId)).toEqual([]);
  });

  it('reads a gzip-compressed archive and dedups blobs already stored', async () => {
    const store = await memStore();
    const archive = legacyDockerSave([{ tags: ['x:1'], layers: [base, big] }]);
    await loadArchive(store, bytesStream(archive));
    const before = await store.usage();
    const gz = await collectBytes(
      bytesStream(archive).pipeThrough(
        new CompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
      ),
    );
    const r = await loadArchive(store, bytesStream(gz));
    expect(r.lines).toEqual(['Loaded image: x:1']);
    expect(await store.usage()).toEqual(before);
  });
});

describe('saveArchive', () => {
  it('writes Docker 25+ hybrid archives that load back identically, shared blobs once', async () => {
    const store = await memStore();
    await loadArchive(
      store,
      bytesStream(
        legacyDockerSave([
          { tags: ['test/base:1'], layers: [base] },
          { tags: ['test/app:1'], layers: [base, app] },
        ]),
      ),
    );
    const images = await store.listImages();
    const req = {
      format: 'docker-archive' as const,
      images: await Promise.all(images.map(async (i) => ({ imageId: i.id, repoTags: await store.tagsOf(i.id) }))),
    };
    let progress = [0, 0];
    const out = await collectBytes(await saveArchive(store, req, { onProgress: (a, b) => (progress = [a, b]) }));
    expect(progress).toEqual([out.length, out.length]);
    const m = await members(out);
    const names = [...m.keys()];
    expect(names.filter((n) => n === `blobs/sha256/${hex(base)}`)).toHaveLength(1);
    expect(names.slice(-4)).toEqual(['index.json', 'manifest.json', 'oci-layout', 'repositories']);
    const manifest = JSON.parse(Buffer.from(m.get('manifest.json')!).toString());
    const baseImg = images.find((i) => i.layers.length === 1)!;
    expect(manifest).toContainEqual({
      Config: `blobs/sha256/${baseImg.id.slice(7)}`,
      RepoTags: ['test/base:1'],
      Layers: [`blobs/sha256/${hex(base)}`],
    });
    expect(JSON.parse(Buffer.from(m.get('repositories')!).toString())).toEqual({
      'test/base': { '1': hex(base) },
      'test/app': { '1': hex(app) },
    });
    const index = JSON.parse(Buffer.from(m.get('index.json')!).toString());
    expect(index.manifests.map((d: { annotations: Record<string, string> }) => d.annotations)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          'io.containerd.image.name': 'docker.io/test/base:1',
          'org.opencontainers.image.ref.name': '1',
        }),
        expect.objectContaining({
          'io.containerd.image.name': 'docker.io/test/app:1',
          'org.opencontainers.image.ref.name': '1',
        }),
      ]),
    );
    // The loaded copy of a pre-25 archive gets the manifest Docker 25 writes: same digest.
    for (const d of index.manifests) expect(images.map((i) => i.manifestDigest)).toContain(d.digest);

    const again = await memStore();
    const r = await loadArchive(again, bytesStream(out));
    expect([...r.lines].sort()).toEqual(['Loaded image: test/app:1', 'Loaded image: test/base:1']);
    const strip = (xs: { storedAt: number }[]) =>
      xs.map(({ storedAt: _, ...x }) => x).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(strip(await again.listImages())).toEqual(strip(images));
    expect(await again.checkInvariants({ afterGc: true })).toEqual([]);
  });

  it('is reproducible, gzips on request, and writes oci-archive without docker files', async () => {
    const store = await memStore();
    await loadArchive(store, bytesStream(legacyDockerSave([{ tags: ['x:1'], layers: [base, app] }])));
    const [img] = await store.listImages();
    const req = {
      format: 'oci-archive' as const,
      images: [{ imageId: img!.id, repoTags: ['docker.io/library/x:1', 'docker.io/library/x:2'] }],
    };
    const a = await collectBytes(await saveArchive(store, req));
    const b = await collectBytes(await saveArchive(store, req));
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const names = [...(await members(a)).keys()];
    expect(names).not.toContain('manifest.json');
    expect(names).toContain('oci-layout');
    const gz = await collectBytes(await saveArchive(store, { ...req, gzip: true }));
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    const fresh = await memStore();
    expect((await loadArchive(fresh, bytesStream(gz))).lines).toEqual(['Loaded image: x:1', 'Loaded image: x:2']);
  });

  it('stops when its signal aborts', async () => {
    const store = await memStore();
    await loadArchive(store, bytesStream(legacyDockerSave([{ tags: ['x:1'], layers: [base, big] }])));
    const [img] = await store.listImages();
    const ac = new AbortController();
    const rs = await saveArchive(
      store,
      { format: 'docker-archive', images: [{ imageId: img!.id, repoTags: [] }] },
      { signal: ac.signal, onProgress: (n) => n > 2048 && ac.abort() },
    );
    await expect(collectBytes(rs)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses an image that is not stored', async () => {
    const store = await memStore();
    await expect(
      saveArchive(store, { format: 'docker-archive', images: [{ imageId: sha('nope'), repoTags: [] }] }),
    ).rejects.toMatchObject({ code: 'ARCHIVE_STORE' });
  });
});

describe('loadOciLayoutFiles', () => {
  it('loads a picked folder (files under one top folder)', async () => {
    const store = await memStore();
    await loadArchive(store, bytesStream(legacyDockerSave([{ tags: ['x:1'], layers: [base] }])));
    const [img] = await store.listImages();
    const tar = await collectBytes(
      await saveArchive(store, {
        format: 'oci-archive',
        images: [{ imageId: img!.id, repoTags: ['docker.io/library/x:1'] }],
      }),
    );
    const files = [...(await members(tar))].map(([path, bytes]) => ({
      path: `picked/${path}`,
      file: new Blob([bytes.slice()]),
    }));
    const fresh = await memStore();
    const r = await loadOciLayoutFiles(fresh, files);
    expect(r.images).toEqual([{ imageId: img!.id, repoTags: ['docker.io/library/x:1'] }]);
  });
});

describe('loadArchive refusals leave the store unchanged', () => {
  const good = legacyDockerSave([{ tags: ['x:1'], layers: [base, big] }]);

  async function withImage() {
    const store = await memStore();
    await loadArchive(store, bytesStream(legacyDockerSave([{ tags: ['keep:1'], layers: [app] }])));
    return store;
  }

  it('an aborted load', async () => {
    const store = await withImage();
    const before = await storeCounts(store);
    const ac = new AbortController();
    const err = await loadArchive(store, bytesStream(good, 4096), {
      signal: ac.signal,
      onProgress: (n) => n > 100_000 && ac.abort(),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(await storeCounts(store)).toEqual(before);
    expect(await store.checkInvariants({ afterGc: true })).toEqual([]);
  });

  it('truncated archive', async () => {
    // cut inside the big layer: its staged blob is written partly, then removed
    const cut = good.slice(0, good.length - 1024 - 600 - 150_000);
    await expectRefused(await withImage(), cut, 'ARCHIVE_CORRUPT', /truncated/);
  });

  it('a blob whose bytes do not match its name', async () => {
    const b = tarBuilder()
      .file(`blobs/sha256/${hex('other')}`, 'content')
      .file('index.json', '{"schemaVersion":2,"manifests":[]}')
      .bytes();
    await expectRefused(
      await withImage(),
      b,
      'ARCHIVE_DIGEST_MISMATCH',
      new RegExp(`blobs/sha256/${hex('other')} hashes to ${sha('content')}`),
    );
  });

  it('a large blob whose bytes do not match its name (streamed into the store)', async () => {
    const body = 'z'.repeat(1_200_000);
    const b = tarBuilder()
      .file(`blobs/sha256/${hex('x')}`, body)
      .bytes();
    await expectRefused(await withImage(), b, 'ARCHIVE_DIGEST_MISMATCH', /hashes to/);
  });

  it('manifest.json naming a missing layer', async () => {
    const bad = legacyDockerSave([{ tags: ['x:1'], layers: [base] }], {
      manifestOverride: (m) => [{ ...(m[0] as object), Layers: ['nothere/layer.tar'] }],
    });
    await expectRefused(await withImage(), bad, 'ARCHIVE_MISSING', /nothere\/layer\.tar, which is not in the archive/);
  });

  it('a layer whose diff_id differs from the config', async () => {
    const bad = legacyDockerSave([{ tags: ['x:1'], layers: [base, big] }], {
      configOverride: () => imageConfig([base, app]),
    });
    await expectRefused(await withImage(), bad, 'ARCHIVE_DIFFID_MISMATCH', /layer 1 .*diff_id/);
  });

  it('`..` member path', async () => {
    const b = tarBuilder().raw(rawHeader('../evil', 'x')).bytes();
    await expectRefused(await withImage(), b, 'ARCHIVE_UNSAFE', /escapes the root/);
  });

  it('oversized JSON member', async () => {
    const b = tarBuilder()
      .file('manifest.json', ' '.repeat((4 << 20) + 1))
      .bytes();
    await expectRefused(await withImage(), b, 'ARCHIVE_LIMIT', /manifest\.json is 4194305 bytes/);
  });

  it('duplicate members, links outside the archive, devices', async () => {
    const store = await withImage();
    await expectRefused(
      store,
      tarBuilder().file('manifest.json', '[]').file('manifest.json', '[]').bytes(),
      'ARCHIVE_UNSAFE',
      /appears twice/,
    );
    const link = tarBuilder()
      .symlink('a/layer.tar', '../../etc/passwd')
      .file('manifest.json', JSON.stringify([{ Config: 'c.json', RepoTags: null, Layers: ['a/layer.tar'] }]))
      .file('c.json', imageConfig([base]))
      .bytes();
    await expectRefused(store, link, 'ARCHIVE_UNSAFE', /points outside the archive/);
    await expectRefused(store, tarBuilder().device('dev', 'char', 1, 3).bytes(), 'ARCHIVE_UNSAFE', /char/);
    await expectRefused(
      store,
      tarBuilder().file('hello', 'x').bytes(),
      'ARCHIVE_EMPTY',
      /neither manifest\.json nor index\.json/,
    );
  });
});

/** A ustar header for a path our writer would refuse to write. */
function rawHeader(path: string, content: string): Uint8Array {
  const h = tarBuilder().file('placeholder', content).bytes({ end: false });
  const out = h.slice();
  out.fill(0, 0, 100);
  out.set(Buffer.from(path), 0);
  out.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += out[i]!;
  out.set(Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  return out;
}
