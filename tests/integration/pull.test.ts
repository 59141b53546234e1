/**
 * The whole pull pipeline in Node: a real docker-registry (images built by umoci, pushed by
 * skopeo), the engine with its IndexedDB store on fake-indexeddb, and a tap in front of the
 * registry that records every request and can cut a response mid-blob.
 */
import 'fake-indexeddb/auto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullEvent } from '../../src/core/pull-events.ts';
import { layerSizeByGnuTar } from '../helpers/docker-size.ts';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';
import { startTap, type Tap } from '../helpers/tap.ts';
import { noise } from '../helpers/prng.ts';

let reg: TestRegistry;
let tap: Tap;
let layout: TestLayout;
let base: PushedImage;
let app: PushedImage;
let big: PushedImage;

/** Where docker-registry keeps a blob: read by GNU tar, not by our code. */
const blobPath = (digest: string) =>
  join(reg.dir, 'data', 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');

function collect() {
  const events: PullEvent[] = [];
  return { events, on: (e: PullEvent) => void events.push(e) };
}

beforeAll(async () => {
  reg = await startRegistry();
  tap = await startTap(reg.host);
  layout = await TestLayout.create();
  await layout.build({
    tag: 'base',
    layers: [
      { 'etc/os-release': 'NAME=layerscope-test\n', 'bin/tool': 'x'.repeat(5000), 'usr/share/doc/readme': 'hello\n' },
      { 'usr/lib/libbase.so': noise(20_000, 7) },
    ],
  });
  await layout.build({ tag: 'app', from: 'base', layers: [{ 'app/main.js': 'console.log("app")\n' }] });
  await layout.build({ tag: 'big', layers: [{ 'data/blob.bin': noise(9 * 1024 * 1024, 42) }] });
  base = await pushLayoutImage(reg, layout, 'base', 'test/base', 'v1', { format: 'v2s2' });
  app = await pushLayoutImage(reg, layout, 'app', 'test/app', 'v1', { format: 'oci' });
  big = await pushLayoutImage(reg, layout, 'big', 'test/big', 'v1', { format: 'oci' });
}, 120_000);

afterAll(async () => {
  await tap?.close();
  await reg?.stop();
  await layout?.cleanup();
});

describe('pull into the store', () => {
  it('lists a pulled image as docker images would: ID from skopeo, SIZE from GNU tar', async () => {
    const engine = await testEngine();
    const { events, on } = collect();
    const r = await engine.pull('j1', `${tap.host}/test/base:v1`, undefined, on);
    expect(r).toMatchObject({ ok: true, upToDate: false, reference: `${tap.host}/test/base:v1` });

    const snap = await engine.images();
    expect(snap.rows).toHaveLength(1);
    const row = snap.rows[0]!;
    expect(row.id).toBe(base.configDigest);
    expect(row.shortId).toBe(base.configDigest!.slice(7, 19));
    expect(row.repository).toBe(`${tap.host}/test/base`);
    expect(row.tag).toBe('v1');
    const expectedSize = base.layers.reduce((n, l) => n + layerSizeByGnuTar(blobPath(l.digest)), 0);
    expect(row.size).toBe(expectedSize);
    expect(snap.summary.storedBytes).toBeGreaterThan(0);

    const statuses = events.filter((e) => e.type === 'layer').map((e) => (e as { status: string }).status);
    expect(statuses).toContain('Pulling fs layer');
    expect(statuses).toContain('Pull complete');
    expect(events.at(-1)).toMatchObject({ type: 'done', imageId: base.configDigest });
    expect(await (await engine.store()).checkInvariants()).toEqual([]);
  });

  it('says Already exists for the shared base layers and fetches none of their bytes', async () => {
    const engine = await testEngine();
    await engine.pull('a', `${tap.host}/test/base:v1`, undefined, () => {});
    tap.clear();
    const { events, on } = collect();
    const r = await engine.pull('b', `${tap.host}/test/app:v1`, undefined, on);
    expect(r.ok).toBe(true);
    const baseIds = base.layers.map((l) => l.digest.slice(7, 19));
    for (const id of baseIds) {
      expect(events).toContainEqual({ type: 'layer', id, status: 'Already exists' });
    }
    const fetchedBlobs = tap.records.filter((x) => x.path.includes('/blobs/')).map((x) => x.path);
    for (const l of base.layers) expect(fetchedBlobs.some((p) => p.endsWith(l.digest))).toBe(false);
    // the app's own layer was fetched
    expect(fetchedBlobs.some((p) => p.endsWith(app.layers.at(-1)!.digest))).toBe(true);
    const snap = await engine.images();
    expect(snap.rows.map((r) => r.id).sort()).toEqual([base.configDigest, app.configDigest].sort());
    // shared layers are stored once: less is stored than the two downloads add up to
    expect(snap.summary.storedBytes).toBeLessThan(snap.summary.unsharedBytes);
    expect(await (await engine.store()).checkInvariants()).toEqual([]);
  });

  it('answers Image is up to date on a second pull, fetching no blob', async () => {
    const engine = await testEngine();
    await engine.pull('a', `${tap.host}/test/base:v1`, undefined, () => {});
    tap.clear();
    const { events, on } = collect();
    const r = await engine.pull('b', `${tap.host}/test/base:v1`, undefined, on);
    expect(r).toMatchObject({ ok: true, upToDate: true });
    expect(events).toContainEqual({
      type: 'status',
      text: `Image is up to date for ${tap.host}/test/base:v1`,
      upToDate: true,
    });
    expect(tap.records.filter((x) => x.path.includes('/blobs/') && !x.path.endsWith(base.configDigest!))).toEqual([]);
  });

  it('resumes a blob cut mid-transfer with a Range request, and verifies it', async () => {
    const engine = await testEngine();
    const layer = big.layers[0]!;
    tap.clear();
    tap.cutNext((p) => p.endsWith(layer.digest), 6 * 1024 * 1024);
    const first = await engine.pull('c1', `${tap.host}/test/big:v1`, undefined, () => {});
    expect(first).toMatchObject({ ok: false, error: { code: 'DOWNLOAD_INTERRUPTED' } });
    const store = await engine.store();
    const state = await store.hasBlob(layer.digest as `sha256:${string}`);
    expect(typeof state === 'object' && state.partial).toBeGreaterThan(0);
    expect((await engine.images()).rows).toEqual([]); // no half image
    expect(await store.checkInvariants()).toEqual([]);

    tap.clear();
    const second = await engine.pull('c2', `${tap.host}/test/big:v1`, undefined, () => {});
    expect(second).toMatchObject({ ok: true });
    const blobReqs = tap.records.filter((x) => x.path.endsWith(layer.digest));
    expect(blobReqs).toHaveLength(1);
    expect(blobReqs[0]!.range).toMatch(/^bytes=\d+-$/);
    expect(blobReqs[0]!.bytes).toBeLessThan(layer.size);
    expect(await store.hasBlob(layer.digest as `sha256:${string}`)).toBe('complete');
    expect((await engine.images()).rows[0]!.size).toBe(layerSizeByGnuTar(blobPath(layer.digest)));
    expect(await store.checkInvariants()).toEqual([]);
  });

  it('prints docker pull and docker images output in the command bar', async () => {
    const engine = await testEngine();
    let out = '';
    const sink = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (out += t) };
    expect(await engine.run('r1', `docker pull ${tap.host}/test/base:v1`, sink)).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('v1: Pulling from test/base');
    expect(lines).toContain(`${base.layers[0]!.digest.slice(7, 19)}: Pull complete`);
    expect(lines.at(-3)).toBe(`Digest: ${base.manifestDigest}`);
    expect(lines.at(-2)).toBe(`Status: Downloaded newer image for ${tap.host}/test/base:v1`);
    expect(lines.at(-1)).toBe(`${tap.host}/test/base:v1`);

    out = '';
    // Docker CLI v29 prints its tree view by default; --format table is the classic table.
    expect(await engine.run('r2', 'docker images --format table', sink)).toBe(0);
    const [header, row] = out.trimEnd().split('\n');
    expect(header).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(row).toContain(base.configDigest!.slice(7, 19));
  });

  it('reports a missing tag with the registry code and keeps the store unchanged', async () => {
    const engine = await testEngine();
    const r = await engine.pull('m', `${tap.host}/test/base:nope`, undefined, () => {});
    expect(r).toMatchObject({ ok: false, cancelled: false, error: { code: 'MANIFEST_UNKNOWN' } });
    expect((await engine.images()).rows).toEqual([]);
  });
});
