/**
 * An image removed by another tab while it is open (issue 12): two pages of one browser
 * context (one IndexedDB, one BroadcastChannel, as in tabs.test.ts).
 * - Tab A shows the image's files; tab B runs `docker rmi`: A says the image was removed,
 *   moves focus to that notice and offers the way back to the images list.
 * - Tab A downloads the merged filesystem; tab B removes the image (and its gc sweeps the
 *   layer) mid-download: no uncaught error in A (no `Failed to fetch` escaping), A says the
 *   image was removed, and the store's invariants hold.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axe } from './axe.ts';
import { checkStore, openSession, runCommand, tableIds, withoutSavePicker, type Session } from './ui.ts';
import { imageConfig, legacyDockerSave, sha } from '../helpers/archive.ts';
import { noise } from '../helpers/prng.ts';
import { tarBuilder } from '../../src/core/tar/builder.ts';

const MiB = 1024 * 1024;
let session: Session;
let a: Page;
let b: Page;
let tmp: string;
let file: string;
let id: string;
const problems: string[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-tabs-removed-'));
  // Several files of incompressible bytes: the filesystem tar takes a while to stream.
  const big = tarBuilder();
  big.dir('data', { mtime: 1_700_000_000 });
  for (let i = 0; i < 8; i++)
    big.file(`data/part${i}.bin`, noise(8 * MiB, 100 + i), { mtime: 1_700_000_000, mode: 0o644 });
  const small = tarBuilder().file('etc/gone', 'gone\n', { mtime: 1_700_000_000, mode: 0o644 });
  const layers = [small.bytes(), big.bytes()];
  id = sha(imageConfig(layers));
  file = join(tmp, 'gone.tar');
  writeFileSync(file, legacyDockerSave([{ tags: ['e2e/gone:v1'], layers }]));
  session = await openSession({}, { acceptDownloads: true }, withoutSavePicker);
  a = session.page;
  b = await session.context.newPage();
  await b.goto(session.app.url);
  for (const p of [a, b]) {
    await p.getByRole('table', { name: 'Images' }).waitFor();
    // Anything uncaught, in the page or reported from its workers, is a finding.
    p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    p.on('console', (m) => {
      if (m.type() === 'error' && /Uncaught|Failed to fetch/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  }
}, 180_000);

afterAll(async () => {
  await session?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function importAndOpen(): Promise<void> {
  await a.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Images' }).click();
  await a.getByLabel('Import…', { exact: true }).setInputFiles(file);
  await expect
    .poll(() => a.getByTestId('import-result').textContent(), { timeout: 60_000 })
    .toBe('Loaded image: e2e/gone:v1');
  await a.getByRole('button', { name: 'Open e2e/gone:v1' }).click();
  await a.getByRole('tab', { name: 'Files' }).click();
  await a.getByRole('button', { name: 'Download filesystem' }).waitFor();
}

const notice = () => a.getByRole('alert').filter({ hasText: 'This image was removed' });

describe('an open image that another tab removes', () => {
  it('says so, takes focus, and goes back to the images list', async () => {
    await importAndOpen();
    await expect.poll(() => notice().count()).toBe(0);
    const out = await runCommand(b, 'docker rmi e2e/gone:v1');
    expect(out).toContain(`Deleted: ${id}`);
    await notice().waitFor({ timeout: 10_000 });
    expect(await notice().textContent()).toContain('e2e/gone:v1 is no longer stored');
    // The panels are gone (nothing fails on the next click); focus is on the notice.
    expect(await a.getByRole('tab', { name: 'Files' }).count()).toBe(0);
    expect(await a.evaluate(() => document.activeElement?.id)).toBe('removed-title');
    // The notice passes axe-core in both colour schemes.
    for (const colorScheme of ['light', 'dark'] as const) {
      await a.emulateMedia({ colorScheme });
      expect(await axe(a), colorScheme).toEqual([]);
    }
    await a.emulateMedia({ colorScheme: 'light' });
    await notice().getByRole('button', { name: 'All images' }).click();
    await a.getByRole('table', { name: 'Images' }).waitFor();
    expect(new URL(a.url()).hash).toBe('#/images');
    expect(await tableIds(a)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('a Download filesystem cut by the removal ends without an uncaught error', async () => {
    await importAndOpen();
    let downloaded = false;
    a.once('download', () => (downloaded = true));
    await a.getByRole('button', { name: 'Download filesystem' }).click();
    const out = await runCommand(b, 'docker rmi e2e/gone:v1');
    expect(out).toContain(`Deleted: ${id}`);
    await notice().waitFor({ timeout: 10_000 });
    // Give the cut download time to settle (and any stray rejection time to surface).
    await a.waitForTimeout(3_000);
    console.log(`tabs-removed: the download ${downloaded ? 'completed before the gc' : 'was cut by the removal'}`);
    expect(problems).toEqual([]);
    // Before, the page said only "Error: Failed to fetch" (Response.blob() hid the real error).
    expect(await a.locator('main').textContent()).not.toContain('Failed to fetch');
    expect(await checkStore(a)).toMatch(/^All good: 0 images/);
  });
});
