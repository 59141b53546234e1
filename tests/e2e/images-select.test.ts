/**
 * The images list as Docker Desktop users expect it (issue 11): a checkbox per row, select
 * all, Space and Shift+click; bulk remove (a confirmation naming what goes, `docker rmi`'s
 * rules, each name's outcome shown, a partial failure included) and bulk export (one
 * `docker save` archive of the ticked images, read back by skopeo); copy a row's reference.
 * At 360 px nothing scrolls sideways; the Japanese UI names the same controls.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, runCommand, withoutSavePicker, type Session } from './ui.ts';
import { imageConfig, layerTar, legacyDockerSave, sha } from '../helpers/archive.ts';

let session: Session;
let page: Page;
let tmp: string;
const ids: Record<string, string> = {};

const table = () => page.getByRole('table', { name: 'Images' });
const box = (ref: string) => page.getByRole('checkbox', { name: `Select ${ref}`, exact: true });
const bulk = () => page.getByRole('group', { name: 'Selected images' });
/** What the bulk bar says: how many rows are ticked. */
const status = async () => ((await bulk().getByRole('status').textContent()) ?? '').trim();
const names = () => table().locator('tbody td.repo').allTextContents();
const skopeo = (...args: string[]) =>
  execFileSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', env: { ...process.env, HOME: tmp } });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-select-'));
  // Three images on one base, made a day apart (the table lists newest first: c, b, a).
  const base = layerTar({ 'etc/base': 'base\n' });
  const images = ['a', 'b', 'c'].map((n, i) => {
    const layers = [base, layerTar({ [`srv/${n}`]: `${n}\n` })];
    const created = `2024-01-0${i + 1}T00:00:00Z`;
    ids[n] = sha(imageConfig(layers, created));
    return { tags: [`e2e/${n}:1`], layers, created };
  });
  writeFileSync(join(tmp, 'three.tar'), legacyDockerSave(images));
  session = await openSession({}, { acceptDownloads: true }, async (context) => {
    await withoutSavePicker(context);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  });
  page = session.page;
}, 120_000);

afterAll(async () => {
  await session?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function importThree(): Promise<void> {
  await page.getByLabel('Import…', { exact: true }).setInputFiles(join(tmp, 'three.tar'));
  await expect.poll(() => page.getByTestId('import-result').textContent(), { timeout: 30_000 }).toContain('e2e/c:1');
  await expect.poll(names).toEqual(['e2e/c', 'e2e/b', 'e2e/a']);
}

describe('images list: select, bulk actions, copy a reference', () => {
  it('ticks rows by click, Space and Shift+click; select all; clear', async () => {
    await importThree();
    expect(await status()).toBe('None selected');
    await box('e2e/c:1').click();
    await expect.poll(status).toBe('1 selected');
    // Shift+click ticks the range from the last ticked row.
    await box('e2e/a:1').click({ modifiers: ['Shift'] });
    expect(await status()).toBe('3 selected');
    const all = page.getByRole('checkbox', { name: 'Select all shown images' });
    expect(await all.isChecked()).toBe(true);
    // Space on a focused checkbox toggles it; the header shows "some".
    await box('e2e/b:1').focus();
    await page.keyboard.press('Space');
    expect(await box('e2e/b:1').isChecked()).toBe(false);
    expect(await all.evaluate((e) => (e as HTMLInputElement).indeterminate)).toBe(true);
    expect(await status()).toBe('2 selected');
    await all.click(); // some → all
    expect(await status()).toBe('3 selected');
    await all.click(); // all → none
    expect(await status()).toBe('None selected');
    await box('e2e/b:1').check();
    await bulk().getByRole('button', { name: 'Clear selection' }).click();
    expect(await status()).toBe('None selected');
    // A filter hides rows: bulk actions act on the ticked rows that are shown.
    await all.check();
    await page.getByRole('searchbox', { name: 'Filter images' }).fill('e2e/b');
    expect(await status()).toBe('1 selected');
    await page.getByRole('searchbox', { name: 'Filter images' }).fill('');
    await bulk().getByRole('button', { name: 'Clear selection' }).click();
  });

  it('copies a row’s reference', async () => {
    await page.getByRole('button', { name: 'Copy name e2e/b:1' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('e2e/b:1');
    await expect.poll(() => page.locator('.sr-live').textContent()).toContain('Copied e2e/b:1');
  });

  it('exports the ticked images as one docker save archive (skopeo reads each)', async () => {
    await box('e2e/a:1').check();
    await box('e2e/c:1').check();
    await bulk().getByRole('button', { name: 'Export selected…' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByRole('checkbox', { name: 'e2e/a:1' }).isChecked()).toBe(true);
    expect(await dialog.getByRole('checkbox', { name: 'e2e/c:1' }).isChecked()).toBe(true);
    expect(await dialog.getByRole('checkbox', { name: 'e2e/b:1' }).isChecked()).toBe(false);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Export', exact: true }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('layerscope-images.tar');
    const file = join(tmp, 'two.tar');
    await download.saveAs(file);
    await dialog.getByRole('button', { name: 'Close' }).click();
    for (const n of ['a', 'c']) {
      const cfg = skopeo('inspect', '--config', '--raw', `docker-archive:${file}:e2e/${n}:1`);
      expect(sha(cfg), n).toBe(ids[n]);
    }
    expect(() => skopeo('inspect', `docker-archive:${file}:e2e/b:1`)).toThrow();
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })) as {
      RepoTags: string[];
    }[];
    expect(manifest.map((m) => m.RepoTags).sort()).toEqual([['e2e/a:1'], ['e2e/c:1']]);
    // The plain Export… still starts with every image.
    await page.getByRole('button', { name: 'Export…' }).click();
    expect(await dialog.getByRole('checkbox', { name: 'e2e/b:1' }).isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('removes the ticked names, each with its own outcome; a failure does not stop the others', async () => {
    // a and c are ticked. Another tab removes c after the dialog opened: Docker's "No such image".
    await bulk().getByRole('button', { name: 'Remove selected…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Remove 2 image names' }).waitFor();
    expect(await dialog.getByRole('list', { name: 'Names to remove' }).getByRole('listitem').allTextContents()).toEqual(
      ['e2e/c:1', 'e2e/a:1'],
    );
    // The preview is docker rmi's own plan: both untagged and deleted (the shared base stays).
    await expect
      .poll(() => dialog.getByLabel('What will happen').textContent())
      .toMatch(/Untagged: e2e\/c:1[\s\S]*Deleted: sha256:[\s\S]*Untagged: e2e\/a:1/);
    expect(await dialog.locator('p.muted.small.mono').textContent()).toBe("docker rmi 'e2e/c:1' 'e2e/a:1'");
    const other = await session.context.newPage();
    await other.goto(session.app.url);
    expect(await runCommand(other, 'docker rmi e2e/c:1')).toContain(`Deleted: ${ids.c}`);
    await other.close();
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    const results = dialog.getByRole('list', { name: 'Outcome for each name' });
    await results.waitFor();
    await expect.poll(() => results.getByRole('listitem').count()).toBe(2);
    const [c, a] = (await results.getByRole('listitem').allTextContents()).map((t) => t.replace(/\s+/g, ' '));
    expect(c).toContain('e2e/c:1: not removed');
    expect(c).toContain('Error response from daemon: No such image: e2e/c:1');
    expect(a).toContain('e2e/a:1: removed');
    expect(a).toContain('Untagged: e2e/a:1');
    expect(a).toContain(`Deleted: ${ids.a}`);
    expect(await dialog.getByRole('status').first().textContent()).toContain('1 removed, 1 failed');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(names).toEqual(['e2e/b']);
    expect(await status()).toBe('None selected'); // removed rows left the selection
  });

  it('at 360 px the list with its bulk bar and the dialog do not scroll sideways; Japanese', async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    await importThree();
    await page.getByRole('checkbox', { name: 'Select all shown images' }).check();
    const overflow = () =>
      page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await bulk().getByRole('button', { name: 'Remove selected…' }).click();
    const b = await page.getByRole('dialog').boundingBox();
    expect(b!.x).toBeGreaterThanOrEqual(0);
    expect(b!.x + b!.width).toBeLessThanOrEqual(360);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await page.getByRole('combobox').filter({ hasText: 'English' }).selectOption('ja');
    await page.getByRole('group', { name: '選択したイメージ' }).getByRole('button', { name: '選択を削除…' }).waitFor();
    expect(
      (await page.getByRole('group', { name: '選択したイメージ' }).getByRole('status').textContent())?.trim(),
    ).toBe('3 件選択中');
    await page.getByRole('combobox').filter({ hasText: '日本語' }).selectOption('en');
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
