/**
 * An image of 100,000 files over 10 layers: the pull indexes it, the explorer opens it, and the
 * UI stays responsive — the union view is built in the worker, the tree is virtualized, so no
 * main-thread task runs long while the files are listed, expanded, searched and scrolled.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type Session } from './ui.ts';
import { tarBuilder } from '../../src/core/tar/builder.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';

const LAYERS = 10;
const DIRS = 100; // per layer
const FILES = 100; // per directory

let session: Session;
let page: Page;
let reg: TestRegistry;
let dir: string;

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An OCI layout written by hand (the layer tars come from our test tar builder), pushed by skopeo. */
function buildLayout(): string {
  const layout = join(dir, 'oci');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Uint8Array) => {
    const d = sha(b);
    writeFileSync(join(layout, 'blobs', 'sha256', d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const layers: { digest: string; size: number; diffId: string }[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const t = tarBuilder();
    for (let d = 0; d < DIRS; d++) {
      t.dir(`l${l}/d${d}`);
      for (let f = 0; f < FILES; f++) t.file(`l${l}/d${d}/f${f}.txt`, f === 0 ? `layer ${l} dir ${d}\n` : '');
    }
    const tar = t.bytes();
    layers.push({ ...put(gzipSync(tar, { level: 1 })), diffId: sha(tar) });
  }
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
    }),
  );
  const c = put(config);
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: l.digest,
        size: l.size,
      })),
    }),
  );
  const m = put(manifest);
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...m,
          annotations: { 'org.opencontainers.image.ref.name': 'big' },
        },
      ],
    }),
  );
  return layout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'layerscope-big-'));
  reg = await startRegistry();
  const layout = buildLayout();
  execFileSync(
    'skopeo',
    [
      '--insecure-policy',
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--dest-no-creds',
      `oci:${layout}:big`,
      `docker://${reg.host}/big/files:v1`,
    ],
    { env: { ...process.env, HOME: dir } },
  );
  // Tall enough that l0/d2 (after d19 in name order) is drawn under the docked command bar.
  session = await openSession({ PROXY_ALLOW_HOSTS: reg.host }, { viewport: { width: 1280, height: 1400 } });
  ({ page } = session);
}, 180_000);

afterAll(async () => {
  await session?.close();
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an image with 100,000 files', () => {
  it('pulls, opens, expands, searches and scrolls without a long main-thread task', async () => {
    const t0 = Date.now();
    await page.getByRole('textbox', { name: 'Command' }).fill(`docker pull ${reg.host}/big/files:v1`);
    await page.getByRole('textbox', { name: 'Command' }).press('Enter');
    await page
      .getByRole('log')
      .getByText(`Status: Downloaded newer image for ${reg.host}/big/files:v1`)
      .waitFor({ timeout: 120_000 });
    const pullMs = Date.now() - t0;

    // Long tasks (> 50 ms) on the main thread from here on.
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    const t1 = Date.now();
    await page.getByRole('button', { name: `Open ${reg.host}/big/files:v1` }).click();
    // Summary: every path of the merged view (10 top dirs, 1,000 dirs, 100,000 files).
    const paths = (LAYERS + LAYERS * DIRS + LAYERS * DIRS * FILES).toLocaleString('en-US');
    await expect.poll(() => page.getByText(paths, { exact: true }).count(), { timeout: 60_000 }).toBe(1);
    await page.getByRole('tab', { name: 'Files' }).click();
    const tree = page.getByRole('tree', { name: 'Files' });
    await expect.poll(() => tree.getByRole('treeitem').count(), { timeout: 60_000 }).toBe(LAYERS);
    const openMs = Date.now() - t1;

    // Expand every top directory (100 directories each) and three directories of l0.
    for (let l = LAYERS - 1; l >= 0; l--) await tree.locator(`[data-path="l${l}"]`).click(); // bottom first: the rest stay in view
    for (let d = 2; d >= 0; d--) await tree.locator(`[data-path="l0/d${d}"]`).click();
    await expect
      .poll(() => page.getByText(/^\d+ rows$/).textContent())
      .toBe(`${LAYERS + LAYERS * DIRS + 3 * FILES} rows`);
    // Scroll to the end: the last rows render.
    await tree.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(() => tree.locator('[data-path="l9/d99"]').count()).toBe(1);
    // Keyboard to the end and back.
    await tree.focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    await expect.poll(() => tree.locator('[data-path="l0"]').count()).toBe(1);
    // Search across all 100,000 paths.
    await page.getByRole('searchbox', { name: /Search paths/ }).fill('l7/d42/f9*');
    await expect.poll(() => page.getByText(/matches/).textContent(), { timeout: 30_000 }).toContain('11 matches');

    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    const worst = Math.max(0, ...longTasks);
    console.log(
      `100k files: pull ${pullMs} ms, open + first rows ${openMs} ms, main-thread long tasks: ${longTasks.length}, worst ${worst.toFixed(0)} ms`,
    );
    expect(worst).toBeLessThan(250);
  });
});
