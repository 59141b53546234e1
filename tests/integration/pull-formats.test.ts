/**
 * Pulls of every manifest form a registry serves, through the engine into the store: zstd
 * layers, a multi-platform index (default and chosen platform, attestation skipped), and a
 * signed schema 1 manifest (converted, with Docker's deprecation notice). Sizes are checked
 * against GNU tar's listing of the registry's own blob files.
 */
import 'fake-indexeddb/auto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullEvent } from '../../src/core/pull-events.ts';
import { layerSizeByGnuTar } from '../helpers/docker-size.ts';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import {
  pushTestImage,
  pushTestIndex,
  skopeoInspectConfig,
  type PushedImage,
  type PushedIndex,
} from '../helpers/registry-images.ts';

let reg: TestRegistry;
let zstd: PushedImage;
let v1: PushedImage;
let index: PushedIndex;

const blobPath = (digest: string) =>
  join(reg.dir, 'data', 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');

beforeAll(async () => {
  reg = await startRegistry();
  zstd = await pushTestImage(reg, {
    name: 'fmt/zstd',
    tag: 'v1',
    format: 'oci',
    compression: 'zstd',
    layers: [{ 'a/one': '1'.repeat(3000) }, { 'b/two': '2'.repeat(500) }],
  });
  v1 = await pushTestImage(reg, {
    name: 'fmt/schema1',
    tag: 'v1',
    format: 'v2s1',
    layers: [{ 'etc/old': 'schema one\n' }, { 'etc/older': 'x'.repeat(1234) }],
  });
  index = await pushTestIndex(reg, {
    name: 'fmt/multi',
    tag: 'v1',
    platforms: [
      { platform: { os: 'linux', architecture: 'amd64' } },
      { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
    attestation: true,
  });
}, 180_000);

afterAll(async () => {
  await reg?.stop();
});

describe('pull formats', () => {
  it('pulls zstd layers and verifies their diff_ids', async () => {
    const e = await testEngine();
    const r = await e.pull('z', `${reg.host}/fmt/zstd:v1`, undefined, () => {});
    expect(r).toMatchObject({ ok: true });
    const row = (await e.images()).rows[0]!;
    expect(row.id).toBe(zstd.configDigest);
    expect(zstd.layers.every((l) => l.mediaType.endsWith('+zstd'))).toBe(true);
    expect(row.size).toBe(zstd.layers.reduce((n, l) => n + layerSizeByGnuTar(blobPath(l.digest)), 0));
  });

  it('resolves an index to linux/amd64 by default, skipping the attestation entry', async () => {
    const e = await testEngine();
    const events: PullEvent[] = [];
    const r = await e.pull('i', `${reg.host}/fmt/multi:v1`, undefined, (ev) => void events.push(ev));
    expect(r).toMatchObject({ ok: true });
    const amd64 = index.manifests.find((m) => m.platform?.architecture === 'amd64')!;
    const config = JSON.parse((await skopeoInspectConfig(reg, `${reg.host}/fmt/multi@${amd64.digest}`)).toString()) as {
      architecture: string;
    };
    expect(config.architecture).toBe('amd64');
    const d = await e.imageDetail(r.ok ? r.imageId : '');
    expect(d.platform).toBe('linux/amd64');
    expect(d.manifestDigest).toBe(amd64.digest);
    expect(d.indexDigest).toBe(index.indexDigest);
    // Docker prints the digest of what it pulled: the index.
    expect(events).toContainEqual({ type: 'digest', digest: index.indexDigest });
    expect(d.repoDigests).toEqual([`${reg.host}/fmt/multi@${index.indexDigest}`]);
  });

  it('chooses another platform with --platform, and says when none matches', async () => {
    const e = await testEngine();
    let out = '';
    const sink = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (out += t) };
    expect(await e.run('p', `docker pull --platform linux/arm64 ${reg.host}/fmt/multi:v1`, sink)).toBe(0);
    const arm = index.manifests.find((m) => m.platform?.architecture === 'arm64')!;
    const id = (await e.images()).rows[0]!.id;
    expect((await e.imageDetail(id)).manifestDigest).toBe(arm.digest);
    out = '';
    expect(await e.run('q', `docker pull --platform linux/s390x ${reg.host}/fmt/multi:v1`, sink)).toBe(1);
    expect(out).toContain('no matching manifest for linux/s390x');
  });

  it('pulls a signed schema 1 image with the deprecation notice, sizes from GNU tar', async () => {
    const e = await testEngine();
    const events: PullEvent[] = [];
    const r = await e.pull('s', `${reg.host}/fmt/schema1:v1`, undefined, (ev) => void events.push(ev));
    expect(r).toMatchObject({ ok: true });
    expect(events.some((ev) => ev.type === 'warning' && ev.text.includes('DEPRECATION NOTICE'))).toBe(true);
    const row = (await e.images()).rows[0]!;
    const layers = v1.layers.filter((l, i, all) => all.findIndex((x) => x.digest === l.digest) === i);
    expect(row.size).toBe(layers.reduce((n, l) => n + layerSizeByGnuTar(blobPath(l.digest)), 0));
    const d = await e.imageDetail(row.id);
    expect(d.schema1).toBe(true);
    // The image ID is the digest of the config synthesized from the manifest (as moby does).
    const store = await e.store();
    expect(await store.hasBlob(row.id as `sha256:${string}`)).toBe('complete');
    expect(await store.checkInvariants()).toEqual([]);
  });
});
