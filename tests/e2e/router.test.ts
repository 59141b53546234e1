/**
 * A URL for every view: Back and Forward walk the views the person went through, a pasted link
 * opens the same view (image, tab, layer, open file) in a fresh tab, and a link to an image
 * this browser does not store offers to pull it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type Session } from './ui.ts';

let session: Session;
let page: Page;
const hash = () => page.evaluate(() => location.hash);
const selectedTab = (p: Page) => p.getByRole('tab', { selected: true }).textContent();

beforeAll(async () => {
  session = await openSession();
  page = session.page;
  await page.getByRole('button', { name: 'Load sample image' }).click();
  await page.getByRole('button', { name: 'Open layerscope/sample:1.0' }).waitFor({ timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  await session?.close();
});

describe('URLs for views', () => {
  it('writes each view to the URL, and Back and Forward walk them', async () => {
    expect(await hash()).toBe('#/images');
    await page.getByRole('button', { name: 'Open layerscope/sample:1.0' }).click();
    await expect.poll(hash).toBe('#/image/layerscope%2Fsample%3A1.0/summary');
    await page.getByRole('tab', { name: 'Layers' }).click();
    await expect.poll(hash).toBe('#/image/layerscope%2Fsample%3A1.0/layers');

    await page.goBack();
    await expect.poll(() => selectedTab(page)).toBe('Summary');
    await page.goBack();
    await page.getByRole('table', { name: 'Images' }).waitFor();
    expect(await hash()).toBe('#/images');

    await page.goForward();
    await expect.poll(() => selectedTab(page)).toBe('Summary');
    await page.goForward();
    await expect.poll(() => selectedTab(page)).toBe('Layers');
    expect(await page.getByRole('heading', { level: 2 }).first().textContent()).toBe('layerscope/sample:1.0');
  });

  it('records the open file, and a pasted link opens the same view in a new tab', async () => {
    await page.getByRole('tab', { name: 'Files' }).click();
    await page.locator('[data-path="etc"]').click();
    await page.locator('[data-path="etc/os-release"]').click();
    await page.getByTestId('file-text').waitFor();
    await expect.poll(hash).toBe('#/image/layerscope%2Fsample%3A1.0/files?file=etc%2Fos-release');
    const link = await page.evaluate(() => location.href);
    const expected = await page.getByTestId('file-text').textContent();

    const other = await session.context.newPage();
    try {
      await other.goto(link);
      await other.getByTestId('file-text').waitFor({ timeout: 30_000 });
      expect(await other.getByTestId('file-text').textContent()).toBe(expected);
      expect(await selectedTab(other)).toBe('Files');
      // The file's directory is expanded in the tree.
      expect(await other.locator('[data-path="etc/os-release"]').count()).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('a link to an image that is not stored offers to pull it', async () => {
    const other = await session.context.newPage();
    try {
      await other.goto(`${session.app.url}#/image/${encodeURIComponent('example.com/absent:1.0')}/layers`);
      await other.getByRole('heading', { name: 'Not stored in this browser' }).waitFor({ timeout: 30_000 });
      await other.getByRole('button', { name: 'Pull example.com/absent:1.0' }).click();
      expect(await other.getByRole('dialog').getByLabel('Image reference').inputValue()).toBe('example.com/absent:1.0');
    } finally {
      await other.close();
    }
  });
});
