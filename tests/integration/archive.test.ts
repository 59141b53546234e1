/**
 * Interop of docker save / load and OCI archives with real tools: images built by umoci and
 * pushed to a real docker-registry, pulled by the engine into a fake-indexeddb store, exported
 * by us and read by skopeo / umoci; and archives written by skopeo / umoci imported by us.
 * Podman is the judge in archive-podman.test.ts; Docker's daemon is not installed here. The
 * pre-25 docker save layout is also covered by a hand-built archive in src/app/archive.test.ts.
 */
import 'fake-indexeddb/auto';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/core/digest.ts';
import type { ImageRecord } from '../../src/core/model.ts';
import { applyLayers } from '../../src/core/union/index.ts';
import type { Store } from '../../src/store/index.ts';
import { loadArchive, loadOciLayoutFiles, saveArchive, type SaveArchiveRequest } from '../../src/app/archive.ts';
import type { Engine } from '../../src/app/engine.ts';
import { layerEntries } from '../../src/app/store-port.ts';
import { bytesStream, collectBytes, memStore } from '../helpers/archive.ts';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';
import { hostId, umoci, walkRootfs } from '../helpers/umoci.ts';
import { noise } from '../helpers/prng.ts';

const exec = promisify(execFile);

let reg: TestRegistry;
let layout: TestLayout;
let tmp: string;
let base: PushedImage;
let app: PushedImage;
let engine: Engine;
let store: Store;

async function skopeo(args: string[]): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'layerscope-skopeo-'));
  try {
    const { stdout } = await exec('skopeo', ['--insecure-policy', ...args], {
      env: { ...process.env, HOME: home },
      maxBuffer: 64 << 20,
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`skopeo ${args.join(' ')} failed: ${err.stderr || err.message}`, { cause: e });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function pullInto(e: Engine, ref: string): Promise<void> {
  const r = await e.pull(`j-${ref}`, ref, undefined, () => {});
  expect(r.ok).toBe(true);
}

async function save(s: Store, req: SaveArchiveRequest, file: string): Promise<Buffer> {
  const bytes = Buffer.from(await collectBytes(await saveArchive(s, req)));
  await writeFile(file, bytes);
  return bytes;
}

async function image(s: Store, id: string): Promise<ImageRecord> {
  const i = await s.getImage(id as Digest);
  expect(i, `image ${id}`).toBeDefined();
  return i!;
}

async function tarMembers(file: string): Promise<string[]> {
  const { stdout } = await exec('tar', ['-tf', file], { maxBuffer: 16 << 20 });
  return stdout.trim().split('\n');
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'layerscope-archive-'));
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({
    tag: 'base',
    layers: [
      { 'etc/os-release': 'NAME=archive-test\n', 'bin/tool': 'x'.repeat(5000), 'usr/share/doc/readme': 'hello\n' },
      { 'usr/lib/libbase.so': noise(300_000, 7), 'etc/os-release': 'NAME=archive-test v2\n' },
    ],
  });
  await layout.build({ tag: 'app', from: 'base', layers: [{ 'app/main.js': 'console.log("app")\n' }] });
  base = await pushLayoutImage(reg, layout, 'base', 'test/base', 'v1', { format: 'v2s2' });
  app = await pushLayoutImage(reg, layout, 'app', 'test/app', 'v1', { format: 'oci' });
  engine = await testEngine();
  await pullInto(engine, base.reference);
  await pullInto(engine, app.reference);
  store = await engine.store();
}, 180_000);

afterAll(async () => {
  await reg?.stop();
  await layout?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const both = (): SaveArchiveRequest['images'] => [
  { imageId: base.configDigest as Digest, repoTags: [base.reference] },
  { imageId: app.configDigest as Digest, repoTags: [app.reference] },
];

describe('our docker-archive', () => {
  it('skopeo inspect agrees on config digest and layers; shared blobs are written once', async () => {
    const file = join(tmp, 'docker.tar');
    await save(store, { format: 'docker-archive', images: both() }, file);
    for (const img of [base, app]) {
      const rec = await image(store, img.configDigest!);
      const info = JSON.parse(await skopeo(['inspect', `docker-archive:${file}:${img.reference}`])) as {
        Layers: string[];
        RepoTags?: string[];
      };
      expect(info.Layers).toEqual(rec.layers.map((l) => l.diffId));
      const config = await skopeo(['inspect', '--config', '--raw', `docker-archive:${file}:${img.reference}`]);
      expect(Buffer.from(config)).toEqual(Buffer.from(img.configRaw!));
    }
    const members = await tarMembers(file);
    expect(new Set(members).size).toBe(members.length);
    const baseRec = await image(store, base.configDigest!);
    // base layers appear once although both images use them
    for (const l of baseRec.layers)
      expect(members.filter((m) => m === `blobs/sha256/${l.diffId.slice(7)}`)).toHaveLength(1);
  });

  it('skopeo copy into the registry, then our pull of it, gives the same IMAGE ID', async () => {
    const file = join(tmp, 'docker-copy.tar');
    await save(store, { format: 'docker-archive', images: [both()[1]!] }, file);
    const dest = `${reg.host}/copied/app:v1`;
    await skopeo(['copy', '--quiet', '--dest-tls-verify=false', `docker-archive:${file}`, `docker://${dest}`]);
    const e = await testEngine();
    await pullInto(e, dest);
    const snap = await e.images();
    expect(snap.rows.map((r) => r.id)).toEqual([app.configDigest]);
    const pulled = await image(await e.store(), app.configDigest!);
    expect(pulled.size).toBe((await image(store, app.configDigest!)).size);
  });
});

describe('our as-pulled docker-archive', () => {
  it('skopeo reads its compressed layers (by diff_id, as it models docker-archive) and copies the image: same ID', async () => {
    const file = join(tmp, 'as-pulled.tar');
    await save(store, { format: 'docker-archive', layers: 'as-pulled', images: [both()[1]!] }, file);
    const rec = await image(store, app.configDigest!);
    const info = JSON.parse(await skopeo(['inspect', `docker-archive:${file}`])) as { Layers: string[] };
    expect(info.Layers).toEqual(rec.layers.map((l) => l.diffId));
    const dest = `${reg.host}/copied/as-pulled:v1`;
    await skopeo(['copy', '--quiet', '--dest-tls-verify=false', `docker-archive:${file}`, `docker://${dest}`]);
    const m = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${dest}`])) as {
      config: { digest: string };
    };
    expect(m.config.digest).toBe(app.configDigest);
  });
});

describe('our oci-archive', () => {
  it('umoci unpack succeeds and its rootfs equals our union view; skopeo inspect agrees', async () => {
    const file = join(tmp, 'oci.tar');
    await save(
      store,
      {
        format: 'oci-archive',
        images: [{ imageId: app.configDigest as Digest, repoTags: [`${reg.host}/test/app:v1`] }],
      },
      file,
    );
    const info = JSON.parse(await skopeo(['inspect', `oci-archive:${file}`])) as { Digest: string; Layers: string[] };
    expect(info.Digest).toBe(app.manifestDigest);
    expect(info.Layers).toEqual(app.layers.map((l) => l.digest));

    const dir = join(tmp, 'oci-extracted');
    await mkdir(dir);
    await exec('tar', ['-xf', file, '-C', dir]);
    const bundle = join(tmp, 'oci-bundle');
    await umoci(['unpack', '--rootless', '--image', `${dir}:v1`, bundle]);
    const theirs = (await walkRootfs(join(bundle, 'rootfs'))).map((r) => line(r));
    const rec = await image(store, app.configDigest!);
    const layers = await Promise.all(rec.layers.map(async (l) => (await layerEntries(store, l.diffId))!));
    const view = applyLayers(layers);
    expect(view.errors).toEqual([]);
    const ours = [...view.entries.values()]
      .map((e) => line({ ...e, uid: hostId(e.uid, 'uid'), gid: hostId(e.gid, 'gid') }))
      .sort();
    expect(ours).toEqual(theirs);
    expect(theirs).toContain('app/main.js file 644 ' + `${hostId(0, 'uid')}:${hostId(0, 'gid')} 19`);
  });
});

function line(r: {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname?: string | undefined;
}): string {
  return `${r.path} ${r.type} ${r.mode.toString(8)} ${r.uid}:${r.gid} ${r.type === 'file' ? r.size : '-'}${r.type === 'symlink' ? ` -> ${r.linkname}` : ''}`;
}

describe('archives made by other tools import with the right tags, IDs and sizes', () => {
  async function expectLike(s: Store, id: string, pulledId = id) {
    const ours = await image(s, id);
    const pulled = await image(store, pulledId);
    expect(ours.size).toBe(pulled.size);
    expect(ours.layers.map((l) => [l.diffId, l.size, l.uncompressedSize])).toEqual(
      pulled.layers.map((l) => [l.diffId, l.size, l.uncompressedSize]),
    );
    expect(await s.checkInvariants({ afterGc: true })).toEqual([]);
  }

  it('skopeo copy docker-archive:', async () => {
    const file = join(tmp, 'skopeo-docker.tar');
    await skopeo([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      `docker://${app.reference}`,
      `docker-archive:${file}:test/app:v1`,
    ]);
    const s = await memStore();
    const r = await loadArchive(s, bytesStream(await readFile(file), 65536));
    expect(r.lines).toEqual(['Loaded image: test/app:v1']);
    expect(r.images).toEqual([{ imageId: app.configDigest, repoTags: ['docker.io/test/app:v1'] }]);
    await expectLike(s, app.configDigest!);
  });

  it('skopeo copy oci-archive:, gzip-compressed by us', async () => {
    const file = join(tmp, 'skopeo-oci.tar');
    await skopeo([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      `docker://${base.reference}`,
      `oci-archive:${file}:${base.reference}`,
    ]);
    await exec('gzip', ['-k', '-n', file]);
    const s = await memStore();
    const r = await loadArchive(s, bytesStream(await readFile(`${file}.gz`), 65536));
    expect(r.lines).toEqual([`Loaded image: ${base.reference}`]);
    // skopeo converts the v2s2 image to OCI, config included: the ID is the one skopeo wrote.
    const config = await skopeo(['inspect', '--config', '--raw', `oci-archive:${file}`]);
    const id = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    expect(id).not.toBe(base.configDigest);
    expect(r.images).toEqual([{ imageId: id, repoTags: [base.reference] }]);
    const rec = await image(s, id);
    const info = JSON.parse(await skopeo(['inspect', `oci-archive:${file}`])) as { Digest: string };
    expect(rec.manifestDigest).toBe(info.Digest);
    expect(rec.layers.map((l) => l.digest)).toEqual(base.layers.map((l) => l.digest));
    await expectLike(s, id, base.configDigest!);
  });

  it("umoci's OCI layout folder (tags without a repository load as untagged IDs)", async () => {
    const files: { path: string; file: Blob }[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const n of await readdir(d)) {
        const p = join(d, n);
        if ((await stat(p)).isDirectory()) await walk(p);
        else files.push({ path: `oci/${relative(layout.layout, p)}`, file: await openAsBlob(p) });
      }
    };
    await walk(layout.layout);
    const s = await memStore();
    const r = await loadOciLayoutFiles(s, files);
    expect(r.images.map((i) => i.imageId).sort()).toEqual([base.configDigest, app.configDigest].sort());
    expect(r.lines.sort()).toEqual(
      [`Loaded image ID: ${app.configDigest}`, `Loaded image ID: ${base.configDigest}`].sort(),
    );
    await expectLike(s, base.configDigest!);
    await expectLike(s, app.configDigest!);
  });
});

describe('round trip', () => {
  it('as-pulled export → fresh store → import: same images, tags, repo digests, IDs and sizes', async () => {
    const file = join(tmp, 'roundtrip.tar');
    const bytes = await save(store, { format: 'docker-archive', layers: 'as-pulled', images: both() }, file);
    const s = await memStore();
    const r = await loadArchive(s, bytesStream(bytes, 100_000));
    expect(r.lines.sort()).toEqual([`Loaded image: ${app.reference}`, `Loaded image: ${base.reference}`].sort());
    const strip = (xs: ImageRecord[]) => xs.map(({ storedAt: _, ...x }) => x).sort((a, b) => a.id.localeCompare(b.id));
    const before = strip(await store.listImages());
    const after = strip(await s.listImages());
    expect(after).toEqual(before);
    expect(after.find((i) => i.id === base.configDigest)!.repoDigests).toEqual([
      `${reg.host}/test/base@${base.manifestDigest}`,
    ]);
    expect((await s.listTags()).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      (await store.listTags()).sort((a, b) => a.name.localeCompare(b.name)),
    );
    expect(await s.checkInvariants({ afterGc: true })).toEqual([]);
  });

  it('uncompressed export → fresh store → import: same IDs, tags and sizes', async () => {
    const bytes = await save(store, { format: 'docker-archive', images: both() }, join(tmp, 'rt2.tar'));
    const s = await memStore();
    await loadArchive(s, bytesStream(bytes, 100_000));
    for (const id of [base.configDigest!, app.configDigest!]) {
      const a = await image(s, id);
      const b = await image(store, id);
      expect([a.size, a.layers.map((l) => l.diffId)]).toEqual([b.size, b.layers.map((l) => l.diffId)]);
      expect(a.layers.every((l) => l.digest === l.diffId)).toBe(true);
      expect(await s.tagsOf(id as Digest)).toEqual(await store.tagsOf(id as Digest));
    }
  });
});

describe('refusals on real archives leave the store unchanged', () => {
  async function refused(bytes: Uint8Array, code: string, message: RegExp) {
    const s = await memStore();
    await loadArchive(s, bytesStream(await readFile(join(tmp, 'keep.tar'))));
    const before = await s.usage();
    const err = await loadArchive(s, bytesStream(bytes, 65536)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'ArchiveError', code });
    expect((err as Error).message).toMatch(message);
    expect(await s.usage()).toEqual(before);
    expect(await s.checkInvariants({ afterGc: true })).toEqual([]);
  }

  let archive: Buffer;
  let blobs: string[];
  beforeAll(async () => {
    await save(store, { format: 'docker-archive', images: [both()[0]!] }, join(tmp, 'keep.tar'));
    const file = join(tmp, 'refuse.tar');
    await skopeo([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      `docker://${app.reference}`,
      `oci-archive:${file}:test/app:v1`,
    ]);
    archive = await readFile(file);
    blobs = (await tarMembers(file)).filter((m) => m.startsWith('blobs/sha256/') && m.length > 20);
  });

  it('skopeo oci-archive cut short', async () => {
    await refused(archive.subarray(0, archive.length - 3000), 'ARCHIVE_CORRUPT', /truncated/);
  });

  it('skopeo oci-archive with one byte of a blob changed', async () => {
    // GNU tar names the offset of each member's data: flip the first byte of the largest blob.
    const { stdout } = await exec('tar', ['--block-number', '-tvf', join(tmp, 'refuse.tar')]);
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => /^block (\d+): \S+ \S+\s+(\d+) .* (blobs\/sha256\/[a-f0-9]{64})$/.exec(l))
      .filter((m) => m !== null);
    const biggest = rows.sort((a, b) => Number(b[2]) - Number(a[2]))[0]!;
    const bad = Buffer.from(archive);
    const at = (Number(biggest[1]) + 1) * 512;
    bad[at] = bad[at]! ^ 0xff;
    expect(blobs).toContain(biggest[3]);
    await refused(bad, 'ARCHIVE_DIGEST_MISMATCH', new RegExp(`member ${biggest[3]} hashes to`));
  });
});
