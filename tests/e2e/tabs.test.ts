/**
 * Two tabs of one origin (two pages of one browser context: one IndexedDB, one set of Web
 * Locks, one BroadcastChannel), each with its own engine worker (src/store/README.md, locking):
 * - both pull the same image at once → one image, the store's invariants hold, every blob
 *   stored once and fetched once;
 * - tab A pulls while tab B only shows its table → B's table updates without a reload;
 * - tab A removes an image (`docker rmi`, then gc) while tab B pulls another that shares its
 *   base layers → B's pull completes and the shared layers survive the gc (leases).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { checkStore, openSession, runCommand, startCommand, tableIds, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, pushTestImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';
import { startTap, type Tap } from '../helpers/tap.ts';

const MiB = 1024 * 1024;

let session: Session;
let a: Page;
let b: Page;
let reg: TestRegistry;
let tap: Tap;
let layout: TestLayout;
let base: PushedImage;
let derived: PushedImage;
let other: PushedImage;

const refOf = (img: PushedImage) => `${tap.host}/${img.name}:${img.tag}`;
const shortId = (img: PushedImage) => img.configDigest!.slice(7, 19);
const isLayerOf = (img: PushedImage) => (path: string) => img.layers.some((l) => path.endsWith(`/blobs/${l.digest}`));

beforeAll(async () => {
  reg = await startRegistry();
  tap = await startTap(reg.host);
  layout = await TestLayout.create();
  await layout.build({
    tag: 'base',
    layers: [{ 'etc/os-release': 'NAME=tabs\n' }, { 'usr/lib/big.so': randomBytes(3 * MiB) }],
  });
  await layout.build({ tag: 'app', from: 'base', layers: [{ 'srv/app.bin': randomBytes(2 * MiB) }] });
  base = await pushLayoutImage(reg, layout, 'base', 'e2e/tabs-base', 'v1', { format: 'oci' });
  derived = await pushLayoutImage(reg, layout, 'app', 'e2e/tabs-app', 'v1', { format: 'oci' });
  other = await pushTestImage(reg, { name: 'e2e/tabs-other', tag: 'v1', format: 'v2s2' });
  session = await openSession({ PROXY_ALLOW_HOSTS: tap.host });
  a = session.page;
  // The second tab: a page of the same context (same IndexedDB, Web Locks, BroadcastChannel).
  b = await session.context.newPage();
  await b.goto(session.app.url);
  for (const p of [a, b]) await p.getByRole('table', { name: 'Images' }).waitFor();
}, 180_000);

afterAll(async () => {
  await session?.close();
  await tap?.close();
  await reg?.stop();
  await layout?.cleanup();
});

/** IMAGE ID cells, sorted: these checks compare which images are listed, not their order. */
const sortedIds = async (p: Page) => (await tableIds(p)).sort();

/** Blob records as the store keeps them, read by plain IndexedDB in the page. */
function blobRecords(
  p: Page,
): Promise<{ digest: string; complete: boolean; size: number; bytesWritten: number; chunkCount: number }[]> {
  return p.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('layerscope');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const req = db.transaction('blobs', 'readonly').objectStore('blobs').getAll();
      return await new Promise(
        (res, rej) => ((req.onsuccess = () => res(req.result)), (req.onerror = () => rej(req.error))),
      );
    } finally {
      db.close();
    }
  });
}

describe('two tabs', () => {
  it('both pull the same image at once: one image, blobs stored once and fetched once', async () => {
    tap.clear();
    tap.throttle(isLayerOf(base), 8 * MiB);
    const line = `docker pull ${refOf(base)}`;
    const [doneA, doneB] = await Promise.all([startCommand(a, line), startCommand(b, line)]);
    const [outA, outB] = await Promise.all([doneA(), doneB()]);
    tap.throttle(null);
    for (const out of [outA, outB]) {
      expect(out).toContain(`Digest: ${base.manifestDigest}`);
      expect(out).toMatch(/Status: (Downloaded newer image|Image is up to date) for /);
    }
    for (const p of [a, b]) await expect.poll(() => sortedIds(p)).toEqual([shortId(base)]);
    expect(await checkStore(a)).toMatch(/^All good: 1 image, 3 blobs \(0 partial/);
    const recs = await blobRecords(b);
    for (const l of base.layers) {
      expect(recs.filter((r) => r.digest === l.digest)).toEqual([
        expect.objectContaining({ complete: true, size: l.size, bytesWritten: l.size }),
      ]);
      // Fetched once: the second tab waited for the first one's writer, then found it complete.
      const fetched = tap.records.filter((r) => r.path.endsWith(`/blobs/${l.digest}`)).reduce((n, r) => n + r.bytes, 0);
      expect(fetched, `bytes of ${l.digest} fetched`).toBe(l.size);
    }
  });

  it("tab A pulls while tab B only lists: B's table updates without a reload", async () => {
    await b.bringToFront();
    expect(await sortedIds(b)).toEqual([shortId(base)]);
    const out = await runCommand(a, `docker pull ${refOf(other)}`);
    expect(out).toContain('Status: Downloaded newer image');
    await expect.poll(() => sortedIds(b), { timeout: 10_000 }).toEqual([shortId(base), shortId(other)].sort());
  });

  it('tab A removes an image while tab B pulls one sharing its base: the shared layers survive the gc', async () => {
    tap.clear();
    const top = derived.layers.at(-1)!;
    // Slow enough that the rmi and its gc finish mid-download even on a loaded 2-core machine.
    tap.throttle((path) => path.endsWith(`/blobs/${top.digest}`), MiB / 2);
    const doneB = await startCommand(b, `docker pull ${refOf(derived)}`);
    // B holds its lease from before its "Already exists" checks; rmi lands mid-download.
    await tap.waitBytes((path) => path.endsWith(`/blobs/${top.digest}`), 256 * 1024, 20_000);
    const rmi = await runCommand(a, `docker rmi ${refOf(base)}`);
    expect(rmi).toContain(`Untagged: ${refOf(base)}`);
    expect(rmi).toContain(`Deleted: ${base.configDigest}`);
    // The rmi and its gc ran while B was still downloading.
    expect(tap.records.find((r) => r.path.endsWith(`/blobs/${top.digest}`))?.ended).toBe(false);
    const outB = await doneB();
    tap.throttle(null);
    for (const l of base.layers) expect(outB).toContain(`${l.digest.slice(7, 19)}: Already exists`);
    expect(outB).toContain(`Status: Downloaded newer image for ${refOf(derived)}`);
    for (const p of [a, b])
      await expect.poll(() => sortedIds(p), { timeout: 10_000 }).toEqual([shortId(derived), shortId(other)].sort());
    const recs = await blobRecords(a);
    for (const l of derived.layers)
      expect(
        recs.find((r) => r.digest === l.digest),
        l.digest,
      ).toMatchObject({ complete: true, bytesWritten: l.size });
    expect(recs.find((r) => r.digest === base.configDigest)).toBeUndefined(); // only base's own config went
    expect(await checkStore(b)).toMatch(/^All good: 2 images/);
    // And the image pulled in B is whole: inspect reads its config from the store.
    const inspect = await runCommand(a, `docker image inspect --format '{{len .RootFS.Layers}}' ${refOf(derived)}`);
    expect(inspect.trimEnd().split('\n').at(-1)).toBe(String(derived.layers.length));
  });
});
