/**
 * The walking skeleton end to end: the built app and its proxy as `npm start` serves them, a
 * real docker-registry behind a recording tap, headless Chromium with real IndexedDB. Pull by
 * the command bar and by the dialog, compare the table with skopeo and GNU tar, go offline,
 * reload, and still see both images.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { openSession, runCommand, type Session } from './ui.ts';
import { layerSizeByGnuTar } from '../helpers/docker-size.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';
import { startTap, type Tap } from '../helpers/tap.ts';

let session: Session;
let context: BrowserContext;
let page: Page;
let reg: TestRegistry;
let tap: Tap;
let layout: TestLayout;
let base: PushedImage;
let derived: PushedImage;
let slow: PushedImage;
let tray: PushedImage;

const blobPath = (digest: string) =>
  join(reg.dir, 'data', 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');
const imageSize = (img: PushedImage) => img.layers.reduce((n, l) => n + layerSizeByGnuTar(blobPath(l.digest)), 0);

beforeAll(async () => {
  reg = await startRegistry();
  tap = await startTap(reg.host);
  layout = await TestLayout.create();
  await layout.build({
    tag: 'base',
    layers: [
      { 'etc/os-release': 'NAME=e2e\n', 'bin/sh': 'x'.repeat(40_000) },
      { 'usr/lib/libx.so': 'y'.repeat(70_000) },
    ],
  });
  await layout.build({ tag: 'app', from: 'base', layers: [{ 'srv/app.js': 'console.log(1)\n' }] });
  base = await pushLayoutImage(reg, layout, 'base', 'e2e/base', 'v1', { format: 'v2s2' });
  derived = await pushLayoutImage(reg, layout, 'app', 'e2e/app', 'v1', { format: 'oci', compression: 'zstd' });
  // Incompressible bytes, so the layer stays large on the wire (cancel lands mid-transfer).
  const noise = new Uint8Array(6 * 1024 * 1024);
  for (let i = 0, x = 12345; i < noise.length; i++) noise[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  await layout.build({ tag: 'slow', layers: [{ 'data/noise.bin': noise }] });
  slow = await pushLayoutImage(reg, layout, 'slow', 'e2e/slow', 'v1', { format: 'oci' });
  // Its own layer (the bytes reversed), never stored before its pull starts.
  await layout.build({ tag: 'tray', layers: [{ 'data/tray.bin': noise.slice().reverse() }] });
  tray = await pushLayoutImage(reg, layout, 'tray', 'e2e/tray', 'v1', { format: 'oci' });
  session = await openSession({ PROXY_ALLOW_HOSTS: tap.host });
  ({ context, page } = session);
}, 180_000);

afterAll(async () => {
  await session?.close();
  await tap?.close();
  await reg?.stop();
  await layout?.cleanup();
});

describe('walking skeleton', () => {
  it('pulls through the command bar and prints what docker pull prints', async () => {
    const out = await runCommand(page, `docker pull ${tap.host}/e2e/base:v1`);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe(`$ docker pull ${tap.host}/e2e/base:v1`);
    expect(lines[1]).toBe('v1: Pulling from e2e/base');
    for (const l of base.layers) expect(lines).toContain(`${l.digest.slice(7, 19)}: Pull complete`);
    expect(lines.at(-3)).toBe(`Digest: ${base.manifestDigest}`);
    expect(lines.at(-2)).toBe(`Status: Downloaded newer image for ${tap.host}/e2e/base:v1`);
    expect(lines.at(-1)).toBe(`${tap.host}/e2e/base:v1`);
  });

  it('pulls through the dialog; shared layers say Already exists and are not fetched', async () => {
    tap.clear();
    await page.getByRole('button', { name: 'Pull image' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Image reference').fill(`${tap.host}/e2e/app:v1`);
    await dialog.getByRole('button', { name: 'Pull', exact: true }).click();
    await expect.poll(() => dialog.getByText(`Pulled ${tap.host}/e2e/app:v1`).count(), { timeout: 60_000 }).toBe(1);
    for (const l of base.layers) {
      await expect
        .poll(() => dialog.locator(`li[data-layer="${l.digest.slice(7, 19)}"] .state`).textContent())
        .toBe('Already exists');
    }
    const top = derived.layers.at(-1)!;
    expect(await dialog.locator(`li[data-layer="${top.digest.slice(7, 19)}"] .state`).textContent()).toBe(
      'Pull complete',
    );
    const blobGets = tap.records.filter((r) => r.path.includes('/blobs/'));
    for (const l of base.layers) expect(blobGets.some((r) => r.path.endsWith(l.digest))).toBe(false);
    expect(blobGets.some((r) => r.path.endsWith(top.digest))).toBe(true);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('lists both images as docker images would: IDs from skopeo, sizes from GNU tar', async () => {
    const table = page.getByRole('table', { name: 'Images' });
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    const rows = await table.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => {
        const td = [...tr.querySelectorAll('td')];
        return {
          repo: td[0]!.textContent,
          tag: td[1]!.textContent,
          id: td[2]!.textContent,
          bytes: td[4]!.getAttribute('title'),
        };
      }),
    );
    const expected = [
      {
        repo: `${tap.host}/e2e/app`,
        tag: 'v1',
        id: derived.configDigest!.slice(7, 19),
        bytes: `${imageSize(derived)} B`,
      },
      { repo: `${tap.host}/e2e/base`, tag: 'v1', id: base.configDigest!.slice(7, 19), bytes: `${imageSize(base)} B` },
    ];
    expect(rows.sort((a, b) => a.repo!.localeCompare(b.repo!))).toEqual(expected);

    // Docker CLI v29 prints its tree view by default; --format table is the classic table.
    const out = await runCommand(page, 'docker images --format table');
    const lines = out.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^REPOSITORY {3,}TAG {3,}IMAGE ID {3,}CREATED {3,}SIZE$/);
    expect(
      lines
        .slice(2)
        .map((l) => l.split(/ {3,}/)[2])
        .sort(),
    ).toEqual(expected.map((e) => e.id).sort());
    mkdirSync('.tmp', { recursive: true });
    await page.screenshot({ path: '.tmp/e2e-images.png', fullPage: true });
  });

  it('sorts the table by size and by name from the column headers', async () => {
    const table = page.getByRole('table', { name: 'Images' });
    await table.getByRole('button', { name: 'Size' }).click();
    await expect
      .poll(() => table.getByRole('columnheader', { name: 'Size' }).getAttribute('aria-sort'))
      .toBe('descending');
    const bytes = await table
      .locator('tbody td:nth-child(5)')
      .evaluateAll((tds) => tds.map((td) => Number.parseInt(td.getAttribute('title')!, 10)));
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a));
    await table.getByRole('button', { name: 'Repository' }).click();
    await expect
      .poll(() => table.getByRole('columnheader', { name: 'Repository' }).getAttribute('aria-sort'))
      .toBe('ascending');
    expect(await table.locator('tbody td:nth-child(1)').allTextContents()).toEqual([
      `${tap.host}/e2e/app`,
      `${tap.host}/e2e/base`,
    ]);
  });

  it('cancels a pull from the dialog, keeps what was verified, and resumes it', async () => {
    const layer = slow.layers[0]!;
    tap.clear();
    tap.throttle((p) => p.endsWith(layer.digest), 1024 * 1024);
    await page.getByRole('button', { name: 'Pull image' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Image reference').fill(`${tap.host}/e2e/slow:v1`);
    await dialog.getByRole('button', { name: 'Pull', exact: true }).click();
    await tap.waitBytes((p) => p.endsWith(layer.digest), 4.5 * 1024 * 1024, 30_000);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.getByText(/^Pull cancelled/).count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => page.getByRole('table', { name: 'Images' }).locator('tbody tr').count()).toBe(2); // no half image
    tap.throttle(null);
    await dialog.getByRole('button', { name: 'Pull', exact: true }).click();
    await expect.poll(() => dialog.getByText(`Pulled ${tap.host}/e2e/slow:v1`).count(), { timeout: 60_000 }).toBe(1);
    const gets = tap.records.filter((r) => r.path.endsWith(layer.digest));
    expect(gets.at(-1)!.range).toMatch(/^bytes=4194304-$/); // the first 4 MiB chunk was kept
    await dialog.getByRole('button', { name: 'Close' }).click();
    await runCommand(page, `docker rmi ${tap.host}/e2e/slow:v1`);
  });

  it('keeps a pull in sight after Escape: the tray shows bytes, speed and time left, and cancels it', async () => {
    const layer = tray.layers[0]!;
    tap.throttle((p) => p.endsWith(layer.digest), 512 * 1024);
    try {
      await page.getByRole('button', { name: 'Pull image' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Image reference').fill(`${tap.host}/e2e/tray:v1`);
      await dialog.getByRole('button', { name: 'Pull', exact: true }).click();
      await tap.waitBytes((p) => p.endsWith(layer.digest), 1024 * 1024, 30_000);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      const trayRegion = page.getByRole('region', { name: 'Pulls' });
      expect(await trayRegion.getByRole('status').textContent()).toContain(`Pulling ${tap.host}/e2e/tray:v1`);
      // "1.2MB of 6.3MB · 512kB/s · about 10 s left"
      await expect
        .poll(() => trayRegion.getByTestId('pull-figures').textContent(), { timeout: 20_000 })
        .toMatch(/\S+B of \S+B\s*· \S+B\/s\s*· about .+ left/);
      await trayRegion.getByRole('button', { name: 'Cancel' }).click();
      await expect
        .poll(() => trayRegion.getByRole('status').textContent(), { timeout: 20_000 })
        .toBe(`Pulling ${tap.host}/e2e/tray:v1 was cancelled`);
      await trayRegion.getByRole('button', { name: 'Dismiss' }).click();
      expect(await trayRegion.count()).toBe(0);
      expect(await page.getByRole('table', { name: 'Images' }).locator('tbody tr').count()).toBe(2);
    } finally {
      tap.throttle(null);
    }
  });

  it('still lists both images offline after a reload (service worker + IndexedDB)', async () => {
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    // The first load is not controlled yet; a reload online puts the page under the worker.
    await page.reload();
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await context.setOffline(true);
    try {
      await page.reload();
      const table = page.getByRole('table', { name: 'Images' });
      await expect.poll(() => table.locator('tbody tr').count(), { timeout: 20_000 }).toBe(2);
      await expect.poll(() => page.getByRole('status').filter({ hasText: 'Offline' }).count()).toBe(1);
      const out = await runCommand(page, 'docker images -q');
      expect(out.trimEnd().split('\n').slice(1).sort()).toEqual(
        [base.configDigest!.slice(7, 19), derived.configDigest!.slice(7, 19)].sort(),
      );
    } finally {
      await context.setOffline(false);
    }
  });
});
