/**
 * Fault injection for imports (issue 12): start importing an archive through the file picker,
 * reload the page mid-import (the engine worker dies mid-write), import the same file again.
 * The second import must succeed the first time, the store's invariant check must pass after
 * every step, and no half image is listed after a reload.
 *
 * Three archive layouts take three different store paths:
 * - skopeo's docker-archive: layers named `<hex>.tar`, streamed straight under their digest;
 * - skopeo's oci-archive: `blobs/sha256/<hex>`, streamed straight under their digest;
 * - a pre-25 `docker save` (`<id>/layer.tar`): staged under a random key, then copied to the
 *   layer's digest (`LoadSession.ensureStored`), which resumes what an earlier attempt stored.
 * Reload points: as soon as a partial blob appears, and at random fractions of the time a clean
 * import of that archive took (so they land in the read pass, the copy and the commit).
 *
 * Seed: FAULT_SEED=<n> replays a run; IMPORT_TRIALS=<n> changes the trials per archive (default 4).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { checkStore, openSession, runCommand, tableIds, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';
import { imageConfig, legacyDockerSave, sha } from '../helpers/archive.ts';
import { prng, noise } from '../helpers/prng.ts';
import { tarBuilder } from '../../src/core/tar/builder.ts';

const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 2 ** 31);
const TRIALS = Number(process.env.IMPORT_TRIALS ?? 4);
const MiB = 1024 * 1024;
const rand = prng(SEED);

let session: Session;
let page: Page;
let reg: TestRegistry;
let layout: TestLayout;
let image: PushedImage;
let tmp: string;

interface Archive {
  name: string;
  file: string;
  /** The line a successful import ends with. */
  loaded: RegExp;
  /** The reference `docker rmi` takes to start the next trial from an empty table. */
  ref: string;
  id: string;
  /** Where the layer is copied to after staging (the pre-25 layout only). */
  copyTo?: string;
}
const archives: Archive[] = [];

const skopeo = (...args: string[]) =>
  execFileSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', env: { ...process.env, HOME: tmp } });

beforeAll(async () => {
  console.log(`faults-import: FAULT_SEED=${SEED} IMPORT_TRIALS=${TRIALS}`);
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-faults-import-'));
  reg = await startRegistry();
  layout = await TestLayout.create();
  // Incompressible: the big layer spans eight 4 MiB store chunks, so a reload that waits for
  // one to be stored still lands while that blob is being written.
  await layout.build({
    tag: 'imp',
    layers: [{ 'etc/os-release': 'NAME=imp\n' }, { 'opt/big.bin': noise(30 * MiB + 123_457, 7) }],
  });
  image = await pushLayoutImage(reg, layout, 'imp', 'e2e/imp', 'v1', { format: 'v2s2' });
  const id = image.configDigest!;
  skopeo(
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    `docker://${image.reference}`,
    `docker-archive:${join(tmp, 'docker.tar')}:e2e/imp:v1`,
  );
  archives.push({
    name: 'skopeo docker-archive',
    file: join(tmp, 'docker.tar'),
    loaded: /^Loaded image: e2e\/imp:v1$/m,
    ref: 'e2e/imp:v1',
    id,
  });
  skopeo(
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    `docker://${image.reference}`,
    `oci-archive:${join(tmp, 'oci.tar')}:v1`,
  );
  archives.push({
    name: 'skopeo oci-archive',
    file: join(tmp, 'oci.tar'),
    loaded: /^Loaded image ID: sha256:[0-9a-f]{64}$/m,
    ref: id,
    id,
  });
  // The pre-25 layout: its layers are staged, then copied to their digest.
  const big = tarBuilder();
  big.dir('opt', { mtime: 1_700_000_000 });
  big.file('opt/legacy.bin', noise(30 * MiB + 77_777, 11), { mtime: 1_700_000_000, mode: 0o644 });
  const small = tarBuilder();
  small.file('etc/legacy', 'legacy\n', { mtime: 1_700_000_000, mode: 0o644 });
  const layers = [small.bytes(), big.bytes()];
  writeFileSync(join(tmp, 'legacy.tar'), legacyDockerSave([{ tags: ['e2e/legacy:v1'], layers }]));
  archives.push({
    name: 'docker save before 25',
    file: join(tmp, 'legacy.tar'),
    loaded: /^Loaded image: e2e\/legacy:v1$/m,
    ref: 'e2e/legacy:v1',
    id: sha(imageConfig(layers)),
    copyTo: sha(layers[1]!),
  });
  session = await openSession();
  ({ page } = session);
  await appReady();
}, 180_000);

afterAll(async () => {
  await session?.close();
  await reg?.stop();
  await layout?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function appReady(): Promise<void> {
  await page.getByRole('textbox', { name: 'Command' }).waitFor({ timeout: 20_000 });
  await page.getByRole('table', { name: 'Images' }).waitFor({ timeout: 20_000 });
}

/** Picks the file in Import…; resolves to what the import printed, or its error. */
async function importFile(file: string, timeout = 60_000): Promise<string> {
  await page.getByLabel('Import…', { exact: true }).setInputFiles(file);
  return outcome(timeout);
}

async function outcome(timeout = 60_000): Promise<string> {
  const h = await page.waitForFunction(
    () => {
      const ok = document.querySelector('[data-testid="import-result"]')?.textContent;
      if (ok) return ok;
      const err = document.querySelector('.images .error')?.textContent;
      return err ? `error: ${err}` : false; // the ErrorLine of a failed import
    },
    undefined,
    { timeout, polling: 50 },
  );
  return (await h.jsonValue()) as string;
}

/** Partial blob records: `<digest 12>:<bytes written>/<chunks>`. */
function partials(): Promise<string[]> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('layerscope');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const req = db.transaction('blobs', 'readonly').objectStore('blobs').getAll();
      const recs = await new Promise<{ digest: string; complete: boolean; bytesWritten: number; chunkCount: number }[]>(
        (res, rej) => ((req.onsuccess = () => res(req.result)), (req.onerror = () => rej(req.error))),
      );
      return recs.filter((r) => !r.complete).map((r) => `${r.digest.slice(7, 19)}:${r.bytesWritten}/${r.chunkCount}`);
    } finally {
      db.close();
    }
  });
}
const bytesOf = (p: string) => Number(p.split(':')[1]!.split('/')[0]);

async function reset(a: Archive): Promise<void> {
  const out = await runCommand(page, `docker rmi ${a.ref}`);
  expect(out, out).toContain(`Deleted: ${a.id}`);
  await expect.poll(() => tableIds(page)).toEqual([]);
}

/** Resolves once some partial blob holds at least `bytes` bytes (polled in the page). */
async function partialReaches(bytes: number, digest?: string, timeout = 30_000): Promise<boolean> {
  try {
    await page.waitForFunction(
      async ([n, d]) => {
        const db = await new Promise<IDBDatabase>((res) => {
          const r = indexedDB.open('layerscope');
          r.onsuccess = () => res(r.result);
        });
        const req = db.transaction('blobs', 'readonly').objectStore('blobs').getAll();
        const recs = await new Promise<{ digest: string; complete: boolean; bytesWritten: number }[]>(
          (res) => (req.onsuccess = () => res(req.result)),
        );
        db.close();
        return recs.some((r) => !r.complete && r.bytesWritten >= n && (!d || r.digest === d));
      },
      [bytes, digest ?? ''] as const,
      { timeout, polling: 10 },
    );
    return true;
  } catch {
    return false;
  }
}

describe('imports under fault injection', () => {
  it.each([0, 1, 2])(
    'archive %i: a reload mid-import, then the same file imports the first time',
    async (i) => {
      const a = archives[i]!;
      // Clean imports first (the second one warm): its duration spreads the timed reload points
      // over the whole import; the OCI archive's image ID is the one it prints.
      let cleanMs = 0;
      for (let k = 0; k < 2; k++) {
        // Timed from when the file is handed over (uploading it to the browser is not the import).
        await page.getByLabel('Import…', { exact: true }).setInputFiles(a.file);
        const t0 = Date.now();
        const clean = await outcome();
        cleanMs = Date.now() - t0;
        expect(clean, a.name).toMatch(a.loaded);
        a.id = /Loaded image ID: (sha256:[0-9a-f]{64})/.exec(clean)?.[1] ?? a.id;
        if (a.ref.startsWith('sha256:')) a.ref = a.id;
        await reset(a);
      }
      const log: string[] = [];
      let midWrite = 0;
      for (let t = 0; t < TRIALS; t++) {
        const before = (await partials()).map(bytesOf).reduce((n, b) => Math.max(n, b), 0);
        await page.getByLabel('Import…', { exact: true }).setInputFiles(a.file);
        let point: string;
        if (t % 2 === 0) {
          // Once a partial blob has grown past one or two 4 MiB chunks beyond what earlier
          // trials left: the reload lands between chunk writes of a blob.
          const target = before + (1 + ((t / 2) % 2)) * 4 * MiB;
          const reached = await partialReaches(target);
          point = reached ? `a partial blob at ${target} B` : `never saw a partial blob at ${target} B`;
        } else {
          const f = 0.05 + rand() * 0.9;
          await new Promise((r) => setTimeout(r, f * cleanMs));
          point = `${Math.round(f * 100)}% of ${cleanMs} ms`;
        }
        const wasImporting = await page.getByText('Importing…', { exact: true }).isVisible();
        const atReload = await partials();
        if (wasImporting) midWrite++;
        await page.reload();
        await appReady();
        const left = await partials();
        const listed = await tableIds(page);
        // A reload that landed after the commit lists the image; before it, nothing.
        expect([[], [a.id.slice(7, 19)]], `${a.name}, reload at ${point}`).toContainEqual(listed);
        expect(await checkStore(page), `${a.name}, after the reload at ${point}`).toMatch(/^All good:/);
        const again = await importFile(a.file);
        log.push(
          `${point}${wasImporting ? ' (mid-import)' : ' (the import had ended)'}; partial blobs ${JSON.stringify(atReload)} at the reload, ${JSON.stringify(left)} after → ${again.split('\n')[0]}`,
        );
        expect(again, `${a.name}, import again after a reload at ${point}`).toMatch(a.loaded);
        expect(await checkStore(page), `${a.name}, after the second import (${point})`).toMatch(/^All good:/);
        await reset(a);
      }
      console.log(`faults-import: ${a.name} (warm import ${cleanMs} ms):\n  ${log.join('\n  ')}`);
      // Most reloads landed while the import ran (else the test proves nothing).
      expect(midWrite, log.join('\n')).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 2));
    },
    300_000,
  );
});
