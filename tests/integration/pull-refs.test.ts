/**
 * References as Docker keeps them, through the engine against a real registry: an image pulled
 * by digest only, `name:tag@digest`, one index digest pulled for two platforms, `rmi
 * repo@digest`, and a manifest whose layer is an attestation, not a filesystem.
 *
 * The expected values are Docker's rules, each cited: moby daemon/containerd (isDanglingImage,
 * image_list.go, pruneUnused), moby distribution (addDigestReference, the reference store that
 * refuses to move a digest), docker/cli (list.go, formatter/image.go, the client's
 * getAPITagFromNamedRef) and distribution/reference ParseDockerRef.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import {
  pushLayoutImage,
  pushTestImage,
  pushTestIndex,
  TestLayout,
  type PushedImage,
  type PushedIndex,
} from '../helpers/registry-images.ts';
import type { ImageDetail } from '../../src/app/api.ts';
import type { Engine } from '../../src/app/engine.ts';

let reg: TestRegistry;
let one: PushedImage;
let multi: PushedIndex;

const sha = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function run(e: Engine, line: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await e.run(line, line, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

/** Push a blob and an OCI manifest with the registry's HTTP API (what BuildKit pushes). */
async function pushRaw(name: string, tag: string, blobs: Uint8Array<ArrayBuffer>[], manifest: object): Promise<string> {
  for (const b of blobs) {
    const start = await fetch(`${reg.url}/v2/${name}/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    const loc = new URL(start.headers.get('location')!, reg.url);
    loc.searchParams.set('digest', sha(b));
    const put = await fetch(loc, { method: 'PUT', body: b, headers: { 'content-type': 'application/octet-stream' } });
    expect(put.status).toBe(201);
  }
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const put = await fetch(`${reg.url}/v2/${name}/manifests/${tag}`, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  expect(put.status).toBe(201);
  return sha(bytes);
}

beforeAll(async () => {
  reg = await startRegistry();
  one = await pushTestImage(reg, { name: 'refs/one', tag: 'v1', format: 'oci', layers: [{ 'etc/one': '1\n' }] });
  multi = await pushTestIndex(reg, {
    name: 'refs/multi',
    tag: 'v1',
    platforms: [
      { platform: { os: 'linux', architecture: 'amd64' } },
      { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  });
}, 180_000);

afterAll(async () => {
  await reg?.stop();
});

describe('an image pulled by digest only', () => {
  it('is listed as `repo <none>` (table and GUI), is not dangling, and prune keeps it', async () => {
    const e = await testEngine();
    const ref = `${reg.host}/refs/one@${one.manifestDigest}`;
    const p = await run(e, `docker pull ${ref}`);
    expect([p.code, p.err]).toEqual([0, '']);
    expect(p.out).toContain(`${one.manifestDigest}: Pulling from refs/one`);
    const id = one.configDigest!;
    // docker/cli formatter: a repository with digests but no tag is one `repo <none>` row.
    const t = await run(e, "docker images --format '{{.Repository}}|{{.Tag}}|{{.ID}}|{{.Digest}}'");
    expect(t.out).toBe(`${reg.host}/refs/one|<none>|${id.slice(7, 19)}|\n`);
    const d = await run(e, "docker images --digests --format '{{.Repository}}|{{.Tag}}|{{.Digest}}'");
    expect(d.out).toBe(`${reg.host}/refs/one|<none>|${one.manifestDigest}\n`);
    // Dangling means neither tags nor digests (moby daemon/containerd isDanglingImage).
    expect((await run(e, 'docker images -q -f dangling=true')).out).toBe('');
    expect((await run(e, 'docker images -q -f dangling=false')).out).toBe(`${id.slice(7, 19)}\n`);
    const rows = (await e.images()).rows;
    expect(rows).toMatchObject([
      { repository: `${reg.host}/refs/one`, tag: '<none>', reference: ref, dangling: false },
    ]);
    const prune = await run(e, 'docker image prune -f');
    expect(prune.out).toBe('Total images deleted/untagged: 0\nTotal reclaimed space: 0B\n');
    expect((await e.images()).rows).toHaveLength(1);
    // Tagged later, it has its tag row and no `<none>` row for the same repository.
    expect((await run(e, `docker tag ${ref} ${reg.host}/refs/one:mine`)).code).toBe(0);
    expect((await e.images()).rows.map((r) => `${r.repository}:${r.tag}`)).toEqual([`${reg.host}/refs/one:mine`]);
  });

  it('`name:tag@digest` pulls the digest and records no tag (ParseDockerRef)', async () => {
    const e = await testEngine();
    const p = await run(e, `docker pull ${reg.host}/refs/one:nosuchtag@${one.manifestDigest}`);
    expect(p.code).toBe(0);
    // The CLI prints the reference as given; the daemon got the digest alone.
    expect(p.out).toContain(`${one.manifestDigest}: Pulling from refs/one`);
    expect(p.out).toContain(`Status: Downloaded newer image for ${reg.host}/refs/one@${one.manifestDigest}`);
    expect(p.out.endsWith(`${reg.host}/refs/one:nosuchtag@${one.manifestDigest}\n`)).toBe(true);
    const t = await run(e, "docker images --format '{{.Repository}}:{{.Tag}}'");
    expect(t.out).toBe(`${reg.host}/refs/one:<none>\n`);
    // rmi and inspect look the digest up and ignore the tag.
    const i = await run(e, `docker image inspect -f '{{.Id}}' ${reg.host}/refs/one:other@${one.manifestDigest}`);
    expect(i.out).toBe(`${one.configDigest}\n`);
  });
});

describe('one index digest pulled for two platforms', () => {
  it('stays on the first image; rmi repo@digest removes that reference only', async () => {
    const e = await testEngine();
    const name = `${reg.host}/refs/multi`;
    expect((await run(e, `docker pull ${name}:v1`)).code).toBe(0);
    expect((await run(e, `docker pull --platform linux/arm64 ${name}:v1`)).code).toBe(0);
    const amd = (await run(e, `docker image inspect -f '{{.Id}}' --platform linux/amd64 ${name}@${multi.indexDigest}`))
      .out;
    const repoDigests = async (id: string) =>
      (await run(e, `docker image inspect -f '{{json .RepoDigests}}' ${id.trim()}`)).out;
    const ids = (await run(e, "docker images -a --no-trunc --format '{{.ID}} {{.Tag}}'")).out.trim().split('\n');
    const arm = ids.find((l) => l.endsWith(' v1'))!.split(' ')[0]!;
    expect(arm).not.toBe(amd.trim());
    // moby's reference store never moves a digest (distribution addDigestReference: "cannot
    // update"): the amd64 image keeps `multi@index`, the arm64 image, which now has the tag, none.
    expect(await repoDigests(amd)).toBe(`["${name}@${multi.indexDigest}"]\n`);
    expect(await repoDigests(arm)).toBe('[]\n');
    // The digest came with the tag, not as a name: the amd64 image, untagged, is dangling.
    expect((await run(e, 'docker images -q -f dangling=true --no-trunc')).out).toBe(amd);
    // Tag the amd64 image elsewhere: `rmi multi@index` then only untags that reference.
    expect((await run(e, `docker tag ${amd.trim()} ${reg.host}/refs/keep:1`)).code).toBe(0);
    const rmi = await run(e, `docker rmi ${name}@${multi.indexDigest}`);
    expect([rmi.code, rmi.out]).toEqual([0, `Untagged: ${name}@${multi.indexDigest}\n`]);
    expect(await repoDigests(amd)).toBe('[]\n');
    expect((await run(e, `docker image inspect -f '{{json .RepoTags}}' ${amd.trim()}`)).out).toBe(
      `["${reg.host}/refs/keep:1"]\n`,
    );
    const store = await e.store();
    expect(await store.checkInvariants()).toEqual([]);
  });
});

describe('one image ID through two manifests', () => {
  it('Summary and Layers show the manifest of the reference opened, not the last one pulled', async () => {
    // The same umoci layout pushed twice by skopeo, gzip and zstd: one config (the image ID),
    // two manifests with other layer blobs, media types and sizes.
    // (Two registries: skopeo's blob cache would reuse the gzip blob within one.)
    const layout = await TestLayout.create();
    const reg2 = await startRegistry();
    let gzImg: PushedImage;
    let zImg: PushedImage;
    try {
      await layout.build({ tag: 'x', layers: [{ 'etc/x': 'x'.repeat(4000) }] });
      gzImg = await pushLayoutImage(reg, layout, 'x', 'refs/gz', 'v1');
      zImg = await pushLayoutImage(reg2, layout, 'x', 'refs/zst', 'v1', { compression: 'zstd' });
    } finally {
      await layout.cleanup();
    }
    onTestFinished(() => reg2.stop());
    expect(zImg.configDigest).toBe(gzImg.configDigest);
    expect(zImg.layers[0]!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    const e = await testEngine();
    const gzRef = `${reg.host}/refs/gz:v1`;
    const zRef = `${reg2.host}/refs/zst:v1`;
    expect((await run(e, `docker pull ${gzRef}`)).code).toBe(0);
    expect((await run(e, `docker pull ${zRef}`)).code).toBe(0);
    const id = gzImg.configDigest!;
    const layersOf = (d: ImageDetail) =>
      d.layers.filter((l) => l.index >= 0).map((l) => [l.digest, l.mediaType, l.compressedSize]);
    for (const [ref, img] of [
      [gzRef, gzImg],
      [zRef, zImg],
    ] as const) {
      const d = await e.imageDetail(id, ref);
      expect([d.manifestDigest, d.manifestMediaType]).toEqual([img.manifestDigest, img.mediaType]);
      expect(layersOf(d)).toEqual(img.layers.map((l) => [l.digest, l.mediaType, l.size]));
      expect(d.downloadSize).toBe(img.layers.reduce((n, l) => n + l.size, 0));
    }
    // Opened by ID: the image's own (last pulled) manifest.
    expect((await e.imageDetail(id)).manifestDigest).toBe(zImg.manifestDigest);
    // The older manifest stays stored through a garbage collection while its tag names it.
    const store = await e.store();
    await store.gc();
    expect(await store.getManifest(gzImg.manifestDigest as `sha256:${string}`)).toBeDefined();
    expect(await store.checkInvariants({ afterGc: true })).toEqual([]);
    // Once the tag is gone, so is the record of its manifest.
    expect((await run(e, `docker rmi ${gzRef}`)).code).toBe(0);
    expect((await e.imageDetail(id, gzRef)).manifestDigest).toBe(zImg.manifestDigest);
  });
});

describe('a manifest whose layer is not a filesystem', () => {
  it('is refused before any layer is fetched, naming the media type', async () => {
    const config = new TextEncoder().encode(
      JSON.stringify({ architecture: 'unknown', os: 'unknown', rootfs: { type: 'layers', diff_ids: [] } }),
    );
    const statement = new TextEncoder().encode('{"_type":"https://in-toto.io/Statement/v0.1","subject":[]}');
    const digest = await pushRaw('refs/att', 'att', [config, statement], {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [
        {
          mediaType: 'application/vnd.in-toto+json',
          digest: sha(statement),
          size: statement.length,
          annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' },
        },
      ],
    });
    const e = await testEngine();
    const r = await e.pull('a', `${reg.host}/refs/att@${digest}`, undefined, () => {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(r.error.message).toBe(
      `not a container image: layer 1 of manifest ${digest} is "application/vnd.in-toto+json", not a filesystem layer (an attestation manifest)`,
    );
    expect((await e.images()).rows).toEqual([]);
  });
});
