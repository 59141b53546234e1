/**
 * The explorer in the browser: open a pulled image, read its summary and layers, walk the
 * file tree with the keyboard, view a file, and download the merged filesystem as a tar that
 * GNU tar reads. Screenshots land in .tmp/ (the README's come from here).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, withoutSavePicker, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';

let session: Session;
let page: Page;
let reg: TestRegistry;
let layout: TestLayout;
let img: PushedImage;

beforeAll(async () => {
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({
    tag: 'x',
    layers: [
      {
        'etc/motd': 'old message\n'.repeat(50),
        'usr/share/doc/readme.txt': 'Read me.\n',
        'usr/bin/app': new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]),
      },
      { 'etc/motd': 'Welcome to Layerscope\n' },
    ],
  });
  img = await pushLayoutImage(reg, layout, 'x', 'explore/ui', 'v1', { format: 'oci' });
  session = await openSession(
    { PROXY_ALLOW_HOSTS: reg.host },
    { acceptDownloads: true, viewport: { width: 1280, height: 900 } },
    withoutSavePicker,
  );
  ({ page } = session);
  await page.getByRole('textbox', { name: 'Command' }).fill(`docker pull ${reg.host}/explore/ui:v1`);
  await page.getByRole('textbox', { name: 'Command' }).press('Enter');
  await page
    .getByRole('log')
    .getByText(`Status: Downloaded newer image for ${reg.host}/explore/ui:v1`)
    .waitFor({ timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  await session?.close();
  await reg?.stop();
  await layout?.cleanup();
});

describe('image explorer', () => {
  it('opens an image with its summary: sizes, wasted bytes, digests', async () => {
    await page.getByRole('button', { name: `Open ${reg.host}/explore/ui:v1` }).click();
    await expect.poll(() => page.getByRole('tab', { name: 'Summary' }).getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => page.getByText(img.configDigest!, { exact: true }).count()).toBe(1);
    // The first motd (600 B) is overwritten by the second (22 B): dive counts both copies as
    // wasted (622 B); only the first is reclaimable.
    expect(await page.getByTestId('wasted').textContent()).toContain('(622 B)');
    expect(await page.getByTestId('reclaimable').textContent()).toContain('(600 B)');
    mkdirSync('.tmp', { recursive: true });
    await page.screenshot({ path: '.tmp/e2e-summary.png', fullPage: true });
  });

  it('lists layers with their digests and changes', async () => {
    await page.getByRole('tab', { name: 'Layers' }).click();
    const table = page.getByRole('table', { name: 'Layers' });
    for (const l of img.layers) await expect.poll(() => table.getByTitle(l.digest, { exact: true }).count()).toBe(1);
    expect(await table.getByRole('button', { name: '+0 ~1 −0' }).count()).toBe(1);
  });

  it('walks the file tree with the keyboard and shows a file', async () => {
    await page.getByRole('tab', { name: 'Files' }).click();
    const tree = page.getByRole('tree', { name: 'Files' });
    await expect.poll(() => tree.getByRole('treeitem').count()).toBe(2); // etc, usr
    await tree.focus();
    await page.keyboard.press('ArrowRight'); // expand etc
    await expect.poll(() => tree.getByRole('treeitem').count()).toBe(3);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter'); // open etc/motd
    await expect.poll(() => page.getByTestId('file-text').textContent()).toBe('Welcome to Layerscope\n');
    const [one] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download file', exact: true }).click(),
    ]);
    expect(one.suggestedFilename()).toBe('motd');
    await one.saveAs('.tmp/e2e-motd');
    expect(readFileSync('.tmp/e2e-motd', 'utf8')).toBe('Welcome to Layerscope\n');
    await page.getByRole('searchbox', { name: /Search paths/ }).fill('*.txt');
    await expect.poll(() => tree.locator('[data-path="usr/share/doc/readme.txt"]').count()).toBe(1);
    await page.screenshot({ path: '.tmp/e2e-files.png', fullPage: true });
  });

  it('downloads the merged filesystem as a tar', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download filesystem' }).click(),
    ]);
    const file = '.tmp/e2e-filesystem.tar';
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe(`${reg.host.replace(/[/:]/g, '_')}_explore_ui_v1-filesystem.tar`);
    const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((n) => n.replace(/\/$/, ''))
      .sort();
    expect(names).toEqual([
      'etc',
      'etc/motd',
      'usr',
      'usr/bin',
      'usr/bin/app',
      'usr/share',
      'usr/share/doc',
      'usr/share/doc/readme.txt',
    ]);
    expect(execFileSync('tar', ['-xOf', file, 'etc/motd'], { encoding: 'utf8' })).toBe('Welcome to Layerscope\n');
  });

  it('shows history with a reconstructed Dockerfile, and inspect JSON', async () => {
    await page.getByRole('tab', { name: 'History' }).click();
    await expect
      .poll(() => page.getByRole('table', { name: 'History' }).locator('tbody tr').count())
      .toBeGreaterThan(0);
    await page.getByRole('tab', { name: 'Inspect' }).click();
    await expect.poll(() => page.getByText(`"${img.configDigest}"`).count()).toBeGreaterThan(0);
  });
});
