/**
 * Podman as a judge of our archives, and as a source of archives for us: images built by umoci,
 * pushed to a real docker-registry and pulled by the engine are saved by us and loaded by
 * `podman load` (docker-archive and oci-archive); `podman save` of them (docker-archive, which
 * Podman writes in the pre-Docker-25 layout, and oci-archive) is imported by us. Podman runs as
 * root with the vfs driver in a temporary root, so nothing outside the test is touched.
 */
import 'fake-indexeddb/auto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/core/digest.ts';
import type { Store } from '../../src/store/index.ts';
import { loadArchive, saveArchive } from '../../src/app/archive.ts';
import { bytesStream, collectBytes, memStore, storeCounts } from '../helpers/archive.ts';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';

const exec = promisify(execFile);

let reg: TestRegistry;
let layout: TestLayout;
let tmp: string;
let base: PushedImage;
let app: PushedImage;
let store: Store;

interface PodmanImage {
  Id: string;
  RepoTags: string[];
  RootFS: { Layers: string[] };
  Config: { Cmd?: string[]; Env?: string[] };
}

async function podman(args: string[]): Promise<string> {
  const root = [
    '--root',
    join(tmp, 'podman/root'),
    '--runroot',
    join(tmp, 'podman/run'),
    '--storage-driver',
    'vfs',
    '--cgroup-manager',
    'cgroupfs',
    '--events-backend',
    'file',
  ];
  try {
    const { stdout } = await exec('podman', [...root, ...args], { maxBuffer: 64 << 20 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`podman ${args.join(' ')} failed: ${err.stderr || err.message}`, { cause: e });
  }
}

const inspect = async (ref: string): Promise<PodmanImage> =>
  (JSON.parse(await podman(['image', 'inspect', ref])) as PodmanImage[])[0]!;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'layerscope-podman-'));
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({
    tag: 'base',
    layers: [
      { 'etc/os-release': 'NAME=podman-test\n', 'bin/tool': 'x'.repeat(4000) },
      { 'usr/lib/libbase.so': 'y'.repeat(20_000) },
    ],
  });
  await layout.build({ tag: 'app', from: 'base', layers: [{ 'app/main.js': 'console.log("app")\n' }] });
  base = await pushLayoutImage(reg, layout, 'base', 'test/base', 'v1', { format: 'v2s2' });
  app = await pushLayoutImage(reg, layout, 'app', 'test/app', 'v1', { format: 'oci' });
  const engine = await testEngine();
  for (const img of [base, app]) {
    const r = await engine.pull(`j-${img.reference}`, img.reference, undefined, () => {});
    expect(r.ok).toBe(true);
  }
  store = await engine.store();
}, 180_000);

afterAll(async () => {
  await reg?.stop();
  await layout?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function ourArchive(format: 'docker-archive' | 'oci-archive', file: string, of = [base, app]): Promise<void> {
  const images = of.map((i) => ({ imageId: i.configDigest as Digest, repoTags: [i.reference] }));
  await writeFile(file, await collectBytes(await saveArchive(store, { format, images })));
}

/** The config digest of the one image in an OCI archive, read with GNU tar. */
async function ociConfigDigest(file: string): Promise<string> {
  const member = async (name: string) => (await exec('tar', ['-xOf', file, name], { maxBuffer: 16 << 20 })).stdout;
  const index = JSON.parse(await member('index.json')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(await member(`blobs/sha256/${index.manifests[0]!.digest.slice(7)}`)) as {
    config: { digest: string };
  };
  return manifest.config.digest;
}

describe('podman load accepts our archives', () => {
  // Podman 4.3 loads one image per OCI archive ("more than one image in oci, choose an image"),
  // so the OCI case has an archive per image; our docker-archive carries both.
  const cases = [
    { name: 'docker-archive, both images in one file', format: 'docker-archive' as const, files: () => [[base, app]] },
    { name: 'oci-archive, one file per image', format: 'oci-archive' as const, files: () => [[base], [app]] },
  ];
  for (const c of cases) {
    it(`${c.name}: their tags, IDs and layers`, async () => {
      await podman(['rmi', '--all', '--force']);
      let out = '';
      for (const [n, of] of c.files().entries()) {
        const file = join(tmp, `ours-${c.format}-${n}.tar`);
        await ourArchive(c.format, file, of);
        out += await podman(['load', '--input', file]);
      }
      for (const img of [base, app]) {
        expect(out).toContain(img.reference);
        const got = await inspect(img.reference);
        const rec = (await store.getImage(img.configDigest as Digest))!;
        // Podman's ID is the config digest: the config went through byte for byte.
        expect(`sha256:${got.Id}`).toBe(img.configDigest);
        expect(got.RepoTags).toContain(img.reference);
        expect(got.RootFS.Layers).toEqual(rec.layers.map((l) => l.diffId));
      }
      // Podman's own listing of what it loaded.
      const listed = (await podman(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']))
        .trim()
        .split('\n')
        .sort();
      expect(listed).toEqual([base, app].map((i) => `${i.reference} ${i.configDigest!.slice(7, 19)}`).sort());
    });
  }
});

describe('we import what podman save writes', () => {
  it('docker-archive (Podman writes the pre-25 layout) and oci-archive: same IDs, tags and layers as pulled', async () => {
    await podman(['rmi', '--all', '--force']);
    const file = join(tmp, 'ours-for-podman.tar');
    await ourArchive('docker-archive', file);
    await podman(['load', '--input', file]);

    const saved = join(tmp, 'podman-docker.tar');
    await podman([
      'save',
      '--multi-image-archive',
      '--format',
      'docker-archive',
      '--output',
      saved,
      base.reference,
      app.reference,
    ]);
    const s = await memStore();
    const r = await loadArchive(s, bytesStream(await readFile(saved), 65536));
    expect(r.images.map((i) => i.imageId).sort()).toEqual([base.configDigest, app.configDigest].sort());
    for (const img of [base, app]) {
      const ours = (await s.getImage(img.configDigest as Digest))!;
      const pulled = (await store.getImage(img.configDigest as Digest))!;
      expect(ours.layers.map((l) => [l.diffId, l.size])).toEqual(pulled.layers.map((l) => [l.diffId, l.size]));
      expect(ours.size).toBe(pulled.size);
      expect(r.images.find((i) => i.imageId === img.configDigest)!.repoTags).toEqual([img.reference]);
    }
    expect(await s.checkInvariants({ afterGc: true })).toEqual([]);

    const oci = join(tmp, 'podman-oci.tar');
    await podman(['save', '--format', 'oci-archive', '--output', oci, app.reference]);
    const s2 = await memStore();
    const r2 = await loadArchive(s2, bytesStream(await readFile(oci), 65536));
    expect(r2.lines).toEqual([`Loaded image: ${app.reference}`]);
    // Podman converts what it stored from our docker-archive to OCI on save, config included
    // (as skopeo does): the ID is that of the config Podman wrote, the layers are the same.
    const id = await ociConfigDigest(oci);
    expect(r2.images).toEqual([{ imageId: id, repoTags: [app.reference] }]);
    const rec = (await s2.getImage(id as Digest))!;
    const pulled = (await store.getImage(app.configDigest as Digest))!;
    expect(rec.layers.map((l) => l.diffId)).toEqual(pulled.layers.map((l) => l.diffId));
    expect(await s2.checkInvariants({ afterGc: true })).toEqual([]);
  });

  it('a podman archive cut short is refused and leaves the store as it was', async () => {
    const saved = join(tmp, 'podman-docker.tar');
    const bytes = await readFile(saved);
    const s = await memStore();
    const before = await storeCounts(s);
    await expect(loadArchive(s, bytesStream(bytes.subarray(0, Math.floor(bytes.length * 0.6)), 65536))).rejects.toThrow(
      /truncated|ends inside|missing/i,
    );
    expect(await storeCounts(s)).toEqual(before);
    expect(await s.checkInvariants({ afterGc: true })).toEqual([]);
  });
});
