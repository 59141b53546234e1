/**
 * What the app says, checked as a person reads it: the sharing figures above the table and in
 * the sharing panel agree; counts take the right plural form; a cancelled save dialog does not
 * say "Saved"; a pull while offline says offline (not that the proxy is down).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, runCommand, type Session } from './ui.ts';

let session: Session;
let page: Page;

beforeAll(async () => {
  // The save-file picker, as when the person presses Cancel in it.
  session = await openSession({}, {}, async (context) => {
    await context.addInitScript(() => {
      (window as { showSaveFilePicker?: unknown }).showSaveFilePicker = () =>
        Promise.reject(new DOMException('The user aborted a request.', 'AbortError'));
    });
  });
  page = session.page;
  await page.getByRole('button', { name: 'Load sample image' }).click();
  await page.getByTestId('import-result').filter({ hasText: 'Loaded image: layerscope/sample:1.0' }).waitFor();
  await runCommand(page, 'docker tag layerscope/sample:1.0 layerscope/copy:2.0');
  await page.getByRole('button', { name: 'Open layerscope/copy:2.0' }).waitFor();
}, 120_000);

afterAll(async () => {
  await session?.close();
});

describe('wording', () => {
  it('the header and the sharing panel give the same saving', async () => {
    await page.getByRole('heading', { name: 'Layer sharing' }).waitFor();
    const header = (await page.locator('p.summary').textContent()) ?? '';
    const panel = (await page.locator('section.sharing p').nth(1).textContent()) ?? '';
    const headerSaved = /· (\S+) saved by sharing/.exec(header)?.[1];
    const panelSaved = /Sharing saves (\S+):/.exec(panel)?.[1];
    expect(headerSaved).toBeTruthy();
    expect(panelSaved).toBe(headerSaved);
  });

  it('one match is "1 match"', async () => {
    await page.getByRole('button', { name: 'Open layerscope/sample:1.0' }).click();
    await page.getByRole('tab', { name: 'Files' }).click();
    await page.getByRole('searchbox', { name: /Search paths/ }).fill('README.md');
    await expect.poll(() => page.getByText(/match/).first().textContent()).toContain('1 match ·');
    await page.getByRole('button', { name: 'All images' }).click();
  });

  it('a cancelled save dialog is not "Saved"', async () => {
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    await expect.poll(() => dialog.getByRole('status').textContent()).toBe('Export cancelled: nothing was saved.');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('copies a row’s full image ID and says so', async () => {
    await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: session.app.url });
    const table = page.getByRole('table', { name: 'Images' });
    const shortId = (await table.locator('tbody tr').first().locator('td:nth-child(3)').textContent())!;
    await table
      .getByRole('button', { name: `Copy the full image ID of ${shortId}` })
      .first()
      .click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toMatch(new RegExp(`^sha256:${shortId}[0-9a-f]{52}$`));
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Copied' }).textContent())
      .toBe(`Copied ${copied}`);
  });

  it('a pull while offline says offline', async () => {
    await session.context.setOffline(true);
    try {
      await page.getByRole('button', { name: 'Pull image' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Image reference').fill('alpine:3.20');
      await dialog.getByRole('button', { name: 'Pull', exact: true }).click();
      await expect
        .poll(() => dialog.getByRole('alert').textContent(), { timeout: 30_000 })
        .toContain('You are offline');
      await dialog.getByRole('button', { name: 'Close' }).click();
    } finally {
      await session.context.setOffline(false);
    }
  });
});
