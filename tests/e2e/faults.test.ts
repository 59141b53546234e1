/**
 * Fault injection: pulls in headless Chromium through the app's proxy to a real
 * docker-registry behind a tap, broken at random moments, many trials:
 * - cut: the tap drops a blob response after a random number of bytes;
 * - reload: the page reloads (the engine worker dies mid-write);
 * - offline: the browser goes offline for a moment.
 * After every trial the store's invariant check (Settings → Check stored data) passes and the
 * table lists the image only if its pull completed. At the end a clean pull completes, every
 * stored blob hashes to its digest (read back from IndexedDB, hashed by WebCrypto), partial
 * blobs were resumed with `Range`, and fewer bytes crossed the wire than trials × image size.
 *
 * Seed: FAULT_SEED=<n> replays a run; FAULT_TRIALS=<n> changes the count (default 30).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { checkStore, openSession, runCommand, startCommand, tableIds, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';
import { startTap, type Tap } from '../helpers/tap.ts';
import { prng } from '../helpers/prng.ts';

const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 2 ** 31);
const TRIALS = Number(process.env.FAULT_TRIALS ?? 30);
/** Blob bodies are paced so that a reload or offline switch lands mid-transfer. */
const BLOB_RATE = 12 * 1024 * 1024;
const MiB = 1024 * 1024;

const rand = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

let session: Session;
let context: BrowserContext;
let page: Page;
let reg: TestRegistry;
let tap: Tap;
let layout: TestLayout;
let image: PushedImage;
let ref: string;

const isBlob = (digest: string) => (path: string) => path.endsWith(`/blobs/${digest}`);
const isAnyLayer = (path: string) => image.layers.some((l) => path.endsWith(`/blobs/${l.digest}`));

beforeAll(async () => {
  console.log(`faults: FAULT_SEED=${SEED} FAULT_TRIALS=${TRIALS}`);
  reg = await startRegistry();
  tap = await startTap(reg.host);
  layout = await TestLayout.create();
  // Incompressible bytes: the 9.5 MiB layer spans three 4 MiB store chunks, so cuts land
  // before, on and after chunk boundaries; a second random layer makes two blobs in flight.
  await layout.build({
    tag: 'faults',
    layers: [
      { 'etc/os-release': 'NAME=faults\n', 'bin/sh': 'x'.repeat(30_000) },
      { 'opt/big.bin': randomBytes(9 * MiB + 512 * 1024) },
      { 'opt/mid.bin': randomBytes(1536 * 1024), 'srv/app.js': 'console.log(1)\n' },
    ],
  });
  image = await pushLayoutImage(reg, layout, 'faults', 'e2e/faults', 'v1', { format: 'oci' });
  ref = `${tap.host}/e2e/faults:v1`;
  session = await openSession({ PROXY_ALLOW_HOSTS: tap.host });
  ({ context, page } = session);
  await appReady();
}, 180_000);

afterAll(async () => {
  await session?.close();
  await tap?.close();
  await reg?.stop();
  await layout?.cleanup();
});

async function appReady(): Promise<void> {
  await page.getByRole('textbox', { name: 'Command' }).waitFor({ timeout: 20_000 });
  await page.getByRole('table', { name: 'Images' }).waitFor({ timeout: 20_000 });
}

/** The stored bytes of a blob, hashed in the page: the store's chunks read by plain IndexedDB. */
function storedBlobDigest(digest: string): Promise<{ state: string; sha256?: string; bytes: number }> {
  return page.evaluate(async (d) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('layerscope');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const tx = db.transaction(['blobs', 'chunks'], 'readonly');
      const get = <T>(req: IDBRequest<T>) =>
        new Promise<T>((res, rej) => ((req.onsuccess = () => res(req.result)), (req.onerror = () => rej(req.error))));
      const rec = (await get(tx.objectStore('blobs').get(d))) as { complete: boolean } | undefined;
      if (!rec) return { state: 'absent', bytes: 0 };
      const chunks = (await get(tx.objectStore('chunks').getAll(IDBKeyRange.bound([d, 0], [d, Infinity])))) as {
        bytes: Uint8Array;
      }[];
      const total = chunks.reduce((n, c) => n + c.bytes.byteLength, 0);
      const all = new Uint8Array(total);
      let off = 0;
      for (const c of chunks) {
        all.set(c.bytes, off);
        off += c.bytes.byteLength;
      }
      const hex = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', all)), (b) =>
        b.toString(16).padStart(2, '0'),
      ).join('');
      return { state: rec.complete ? 'complete' : 'partial', sha256: `sha256:${hex}`, bytes: total };
    } finally {
      db.close();
    }
  }, digest);
}

type Kind = 'cut' | 'reload' | 'offline' | 'refuse' | 'none';

/** Blob records as stored: 'complete', or the bytes written of a partial blob. */
async function blobStates(): Promise<Map<string, 'complete' | number>> {
  const recs = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('layerscope');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const req = db.transaction('blobs', 'readonly').objectStore('blobs').getAll();
      return await new Promise<{ digest: string; complete: boolean; bytesWritten: number }[]>(
        (res, rej) => ((req.onsuccess = () => res(req.result)), (req.onerror = () => rej(req.error))),
      );
    } finally {
      db.close();
    }
  });
  return new Map(recs.map((r) => [r.digest, r.complete ? 'complete' : r.bytesWritten]));
}

describe('pulls under fault injection', () => {
  const kindStats = () => ({ tried: 0, landed: 0, interrupted: 0, completed: 0 });
  const stats = {
    trials: 0,
    kinds: { cut: kindStats(), reload: kindStats(), offline: kindStats(), refuse: kindStats(), none: kindStats() },
    resumes: 0,
    otherErrors: [] as string[],
  };

  it(`survives ${TRIALS} random faults; invariants hold after each; no half image`, async () => {
    const started = Date.now();
    const imageId = image.configDigest!.slice(7, 19);
    const sizes = new Map(image.layers.map((l) => [l.digest, l.size]));
    tap.throttle(isAnyLayer, BLOB_RATE);
    tap.clear();
    for (let t = 0; t < TRIALS; t++) {
      // `none` lets a pull (often a resumed one) complete, so commits, rmi and gc run between faults.
      const kind: Kind = pick([
        'cut',
        'cut',
        'cut',
        'cut',
        'reload',
        'reload',
        'reload',
        'offline',
        'offline',
        'refuse',
        'none',
      ] as const);
      // A layer still to fetch (the big one most of the time), at a random byte of what is
      // left of it: a resumed blob is fetched from its stored offset on.
      const stored = await blobStates();
      const todo = image.layers.filter((l) => stored.get(l.digest) !== 'complete');
      const big = image.layers[1]!;
      const target = todo.includes(big) && rand() < 0.7 ? big : pick(todo.length ? todo : image.layers);
      const done0 = typeof stored.get(target.digest) === 'number' ? (stored.get(target.digest) as number) : 0;
      const offset = Math.floor(rand() * (sizes.get(target.digest)! - done0));
      const recordsBefore = tap.records.length;
      stats.trials++;
      let out: string;
      let landed = false;
      if (kind === 'none') {
        out = await runCommand(page, `docker pull ${ref}`);
        expect(out).toContain(`Status: Downloaded newer image for ${ref}`);
      } else if (kind === 'cut') {
        tap.cutNext(isBlob(target.digest), offset);
        out = await runCommand(page, `docker pull ${ref}`);
        landed = !tap.disarm();
      } else if (kind === 'refuse') {
        // The registry side drops the connection before answering (a proxy or CDN that died).
        tap.refuseNext(isBlob(target.digest));
        out = await runCommand(page, `docker pull ${ref}`);
        landed = !tap.disarm();
      } else if (kind === 'offline' && rand() < 0.5) {
        // Offline from the start: the pull must fail cleanly, naming the network.
        await context.setOffline(true);
        try {
          out = await runCommand(page, `docker pull ${ref}`);
        } finally {
          await context.setOffline(false);
        }
        expect(out).toMatch(/Error response from daemon: .*(proxy could not be reached|network|Failed to fetch)/i);
        landed = true;
      } else {
        const done = await startCommand(page, `docker pull ${ref}`);
        const finished = done();
        landed = await Promise.race([
          tap.waitBytes(isBlob(target.digest), offset, 30_000).then(
            () => true,
            () => false,
          ),
          finished.then(() => false),
        ]);
        if (kind === 'reload' && landed) {
          await page.reload();
          await appReady();
          await finished.catch(() => {}); // the old page's log went with it
          out = '(reloaded)';
        } else if (kind === 'offline' && landed) {
          await context.setOffline(true);
          await new Promise((r) => setTimeout(r, 200 + rand() * 1300));
          await context.setOffline(false);
          out = await finished;
        } else out = await finished;
      }
      if (process.env.FAULT_VERBOSE)
        console.log(
          JSON.stringify([...stored]),
          JSON.stringify(
            tap.records
              .slice(recordsBefore)
              .map((r) => [r.method, r.path.slice(-20), r.range, r.status, r.bytes, r.cut, r.clientGone, r.ended]),
          ),
          out,
        );
      if (process.env.FAULT_VERBOSE)
        console.log(
          `trial ${t}: ${kind} ${target.digest.slice(7, 19)} +${offset} (stored ${done0}) landed=${landed}: ${out.trimEnd().split('\n').at(-1)}`,
        );
      const k = stats.kinds[kind];
      k.tried++;
      if (landed) k.landed++;
      const trialRecords = tap.records.slice(recordsBefore);
      stats.resumes += trialRecords.filter((r) => r.range && isAnyLayer(r.path)).length;

      // A failed pull ends with its error: no layer goes on reporting after it.
      if (/Error response from daemon/.test(out))
        expect(out.trimEnd().split('\n').at(-1), out).toMatch(/^Error response from daemon/);
      const check = await checkStore(page);
      expect(check, `trial ${t} (${kind}): ${out}`).toMatch(/^All good:/);
      const completed = /Status: Downloaded newer image/.test(out);
      if (completed) {
        stats.kinds[kind].completed++;
        await expect.poll(() => tableIds(page)).toEqual([imageId]);
        // Start over: rmi and gc take the blobs, the next trial fetches from nothing.
        const rmi = await runCommand(page, `docker rmi ${ref}`);
        expect(rmi).toContain(`Deleted: ${image.configDigest}`);
        await expect.poll(() => tableIds(page)).toEqual([]);
      } else {
        expect(await tableIds(page), `trial ${t} (${kind}) left an image listed: ${out}`).toEqual([]);
        // A pull that did not complete failed with a message about the network; anything
        // else (a store error, a digest mismatch, silence) is a finding.
        const last = out.trimEnd().split('\n').at(-1) ?? '';
        if (
          out === '(reloaded)' ||
          /^Error response from daemon: .*(was interrupted|proxy|network|Failed to fetch|connection)/i.test(last)
        )
          stats.kinds[kind].interrupted++;
        else stats.otherErrors.push(`trial ${t} (${kind}): ${out.slice(-400)}`);
      }
    }
    tap.throttle(null);
    const elapsed = Date.now() - started;
    const bytes = tap.records.filter((r) => isAnyLayer(r.path)).reduce((n, r) => n + r.bytes, 0);
    const full = image.layers.reduce((n, l) => n + l.size, 0);
    console.log(
      `faults: seed ${SEED}: ${stats.trials} trials in ${(elapsed / 1000).toFixed(1)} s — ` +
        Object.entries(stats.kinds)
          .map(
            ([k, v]) =>
              `${k}: ${v.tried} tried, ${v.landed} landed mid-blob, ${v.interrupted} interrupted, ${v.completed} completed`,
          )
          .join('; ') +
        `; ${stats.resumes} Range resumes; ` +
        `${bytes} layer bytes fetched vs ${stats.trials} × ${full} = ${stats.trials * full}`,
    );
    if (stats.otherErrors.length) console.log(`faults: other outcomes:\n${stats.otherErrors.join('\n---\n')}`);
    expect(stats.otherErrors).toEqual([]);
    expect(stats.resumes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(stats.trials * full);
  }, 180_000);

  it('a blob stored to its last byte but never marked complete is verified, not fetched', async () => {
    // The state a tab leaves when it dies between the last chunk and the completion mark:
    // made by hand from a complete pull (the image and tag go too, as if never committed).
    let out = await runCommand(page, `docker pull ${ref}`);
    expect(out).toMatch(/Status: (Downloaded newer image|Image is up to date) for /);
    const small = image.layers[0]!;
    await page.evaluate(async (d) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('layerscope');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const tx = db.transaction(['blobs', 'images', 'tags'], 'readwrite');
      const blobs = tx.objectStore('blobs');
      const get = blobs.get(d);
      get.onsuccess = () => blobs.put({ ...get.result, complete: false });
      tx.objectStore('images').clear();
      tx.objectStore('tags').clear();
      await new Promise((res, rej) => ((tx.oncomplete = res), (tx.onabort = () => rej(tx.error))));
      db.close();
    }, small.digest);
    expect((await blobStates()).get(small.digest)).toBe(small.size);
    const before = tap.records.length;
    out = await runCommand(page, `docker pull ${ref}`);
    expect(out).toContain(`Status: Downloaded newer image for ${ref}`);
    expect(tap.records.slice(before).filter((r) => r.path.endsWith(`/blobs/${small.digest}`))).toEqual([]);
    expect((await blobStates()).get(small.digest)).toBe('complete');
    expect(await checkStore(page)).toMatch(/^All good: 1 image, 4 blobs \(0 partial/);
  });

  it('a final pull completes; every stored blob hashes to its digest', async () => {
    const before = tap.records.length;
    const out = await runCommand(page, `docker pull ${ref}`);
    expect(out).toContain(`Digest: ${image.manifestDigest}`);
    expect(out).toMatch(/Status: (Downloaded newer image|Image is up to date) for /);
    await expect.poll(() => tableIds(page)).toEqual([image.configDigest!.slice(7, 19)]);
    for (const d of [image.configDigest!, ...image.layers.map((l) => l.digest)]) {
      const s = await storedBlobDigest(d);
      expect(s.state, d).toBe('complete');
      expect(s.sha256, d).toBe(d);
    }
    // Nothing the store already had complete was fetched again.
    const refetched = tap.records.slice(before).filter((r) => isAnyLayer(r.path) && !r.range);
    for (const r of refetched) expect(r.ended, r.path).toBe(true);
    expect(await checkStore(page)).toMatch(/^All good: 1 image/);
  });
});
