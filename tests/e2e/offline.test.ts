/**
 * Managing images offline, as an installed app: pull two images while online, then cut the
 * network, reload, and list, inspect, tag, remove (with Docker's conflict rule), prune and
 * browse files, through the GUI and the command bar. Also: Chromium's install criteria, and
 * the update prompt when a new version of the app is deployed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { checkStore, openSession, runCommand, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';

let session: Session;
let context: BrowserContext;
let page: Page;
let reg: TestRegistry;
let layout: TestLayout;
let base: PushedImage;
let child: PushedImage;
let dist: string;

const rows = () => page.getByRole('table', { name: 'Images' }).locator('tbody tr');

beforeAll(async () => {
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({ tag: 'base', layers: [{ 'etc/base.txt': 'base\n'.repeat(2000) }] });
  await layout.build({ tag: 'child', from: 'base', layers: [{ 'srv/child.txt': 'child\n' }] });
  base = await pushLayoutImage(reg, layout, 'base', 'off/base', 'v1', { format: 'oci' });
  child = await pushLayoutImage(reg, layout, 'child', 'off/child', 'v1', { format: 'oci' });
  // Serve a copy of the build (dist/, or the one LAYERSCOPE_DIST_DIR names) so the update
  // test can deploy a "new version" into it.
  dist = mkdtempSync(join(tmpdir(), 'layerscope-dist-'));
  cpSync(process.env.LAYERSCOPE_DIST_DIR || 'dist', dist, { recursive: true });
  session = await openSession(
    { PROXY_ALLOW_HOSTS: reg.host, LAYERSCOPE_DIST_DIR: dist },
    { viewport: { width: 1280, height: 900 } },
  );
  ({ context, page } = session);
  await runCommand(page, `docker pull ${reg.host}/off/base:v1`);
  await runCommand(page, `docker pull ${reg.host}/off/child:v1`);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}, 180_000);

afterAll(async () => {
  await session?.close();
  await reg?.stop();
  await layout?.cleanup();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

describe('installed and offline', () => {
  it('meets Chromium’s install criteria (manifest, icons, service worker)', async () => {
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: unknown[];
    };
    // A Playwright context is an incognito profile; that is the only thing Chromium may object to.
    expect(installabilityErrors.filter((e) => (e as { errorId: string }).errorId !== 'in-incognito')).toEqual([]);
    const manifest = JSON.parse(readFileSync('public/manifest.webmanifest', 'utf8'));
    expect(manifest.file_handlers[0].accept['application/x-tar']).toContain('.tar');
    await cdp.detach();
  });

  it('lists, inspects, tags, removes, prunes and browses files with the network off', async () => {
    await context.setOffline(true);
    try {
      await page.reload();
      await expect.poll(() => rows().count(), { timeout: 20_000 }).toBe(2);

      // inspect and list from the command bar
      const inspect = await runCommand(page, `docker image inspect --format '{{.Id}}' ${reg.host}/off/base:v1`);
      expect(inspect.trimEnd().split('\n').at(-1)).toBe(base.configDigest);

      // tag from the GUI
      await page.getByRole('button', { name: `Tag… ${reg.host}/off/base:v1` }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('New name').fill('mirror/base:copy');
      await dialog.getByRole('button', { name: 'Tag', exact: true }).click();
      await expect.poll(() => rows().count()).toBe(3);
      await dialog.getByRole('button', { name: 'Close' }).click();

      // remove by ID: referenced in two repositories → Docker's conflict, then force
      await page.getByRole('button', { name: 'Remove… mirror/base:copy' }).click();
      await expect
        .poll(() => dialog.getByLabel('What will happen').textContent())
        .toContain('Untagged: mirror/base:copy');
      await dialog.getByLabel(/Remove the image/).check();
      await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('several repositories');
      expect(await dialog.getByRole('button', { name: 'Remove', exact: true }).isDisabled()).toBe(true);
      await dialog.getByLabel(/Force/).check();
      await expect
        .poll(() => dialog.getByLabel('What will happen').textContent())
        .toContain(`Deleted: ${base.configDigest}`);
      await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
      await expect.poll(() => dialog.getByRole('status').textContent()).toContain(`Untagged: mirror/base:copy`);
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect.poll(() => rows().count()).toBe(1);

      // the child's layers, shared with the removed base, are still there: browse its files
      await page.getByRole('button', { name: `Open ${reg.host}/off/child:v1` }).click();
      await page.getByRole('tab', { name: 'Files' }).click();
      const tree = page.getByRole('tree', { name: 'Files' });
      await tree.locator('[data-path="etc"]').click();
      await tree.locator('[data-path="etc/base.txt"]').click();
      await expect.poll(() => page.getByTestId('file-text').textContent()).toBe('base\n'.repeat(2000));
      await page.getByRole('button', { name: 'All images' }).click();

      // prune -a through the GUI, with its preview
      await page.getByRole('button', { name: 'Prune…' }).click();
      await dialog.getByLabel(/All images/).check();
      await expect
        .poll(() => dialog.getByLabel('What will happen').textContent())
        .toContain(`deleted: ${child.configDigest}`);
      await dialog.getByRole('button', { name: 'Prune', exact: true }).click();
      await expect.poll(() => dialog.getByRole('status').textContent()).toContain('Total reclaimed space:');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect.poll(() => rows().count()).toBe(0);

      expect(await checkStore(page)).toContain('All good: 0 images, 0 blobs');
    } finally {
      await context.setOffline(false);
    }
  });

  it('offers a new version with a prompt, and applies it on Reload', async () => {
    const sw = join(dist, 'sw.js');
    writeFileSync(sw, `${readFileSync(sw, 'utf8')}\n// new version ${Date.now()}\n`);
    const before = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
    const prompt = page.getByRole('alert').filter({ hasText: 'A new version of Layerscope is ready.' });
    await expect.poll(() => prompt.count(), { timeout: 30_000 }).toBe(1);
    await Promise.all([page.waitForEvent('load'), prompt.getByRole('button', { name: 'Reload' }).click()]);
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    const after = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration();
      return { waiting: r?.waiting ?? null, url: navigator.serviceWorker.controller?.scriptURL };
    });
    expect(after.waiting).toBeNull();
    expect(after.url).toBe(before);
  });
});
