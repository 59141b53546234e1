/**
 * File names shown safely (issue 12): bidi overrides, zero-width and control characters in
 * names, and in `created_by` lines, are made visible on every surface that shows them: the
 * tree, the viewer, History (table and the Dockerfile read back), Layers, and the command
 * bar's output. `bin/<RLO>hs.exe` must not read as `exe.sh`, `pass<ZWSP>wd` not as `passwd`.
 * Each check looks at the text the page renders: the escape is there, the raw character not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { openSession, runCommand, type Session } from './ui.ts';
import { legacyDockerSave, sha } from '../helpers/archive.ts';
import { tarBuilder } from '../../src/core/tar/builder.ts';

const RLO = '\u202e';
const ZWSP = '\u200b';
/** Any character that must never reach the screen raw. */
const HIDDEN =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

let session: Session;
let page: Page;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-names-'));
  const t = { mtime: 1_700_000_000, mode: 0o755 };
  const layer = tarBuilder()
    .dir('bin', t)
    .file(`bin/${RLO}hs.exe`, 'MZ\n', t)
    .dir('etc', t)
    .file(`etc/pass${ZWSP}wd`, 'root:x:0:0::/root:/bin/sh\n', t)
    .file('etc/two\nlines', 'x\n', t)
    .file('etc/esc\u001b[31mred', 'x\n', t)
    .bytes();
  const createdBy = `/bin/sh -c cp /tmp/x /bin/${RLO}hs.exe && echo pass${ZWSP}wd\r# hidden`;
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Labels: { 'org.example.file': `bin/${RLO}hs.exe` } },
      rootfs: { type: 'layers', diff_ids: [sha(layer)] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: createdBy }],
    }),
  );
  // A second image without those files: container-diff lists them as added.
  const other = tarBuilder().file('etc/other', 'x\n', t).bytes();
  writeFileSync(
    join(tmp, 'names.tar'),
    legacyDockerSave(
      [
        { tags: ['e2e/names:v1'], layers: [layer] },
        { tags: ['e2e/other:v1'], layers: [other] },
      ],
      { configOverride: (i, c) => (i === 0 ? config : c) },
    ),
  );
  session = await openSession();
  page = session.page;
  await page.getByLabel('Import…', { exact: true }).setInputFiles(join(tmp, 'names.tar'));
  await page
    .getByTestId('import-result')
    .filter({ hasText: 'Loaded image: e2e/names:v1' })
    .waitFor({ timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  await session?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const text = async (l: Locator) => (await l.textContent()) ?? '';
const attr = async (l: Locator, name: string) => (await l.getAttribute(name)) ?? '';

async function openTab(name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Images' }).click();
  await page.getByRole('button', { name: 'Open e2e/names:v1' }).click();
  await page.getByRole('tab', { name }).click();
}

describe('names with bidi, zero-width and control characters', () => {
  it('the tree and the viewer show them escaped', async () => {
    await openTab('Files');
    const tree = page.getByRole('tree', { name: 'Files' });
    // One directory at a time: expanding one moves the rows below it.
    await tree.locator('[data-path="bin"]').click();
    await tree.locator(`[data-path="bin/${RLO}hs.exe"]`).waitFor();
    await tree.locator('[data-path="etc"]').click();
    await tree.locator(`[data-path="etc/pass${ZWSP}wd"]`).waitFor();
    const rows = await tree.getByRole('treeitem').allTextContents();
    const shown = rows.join('\n');
    expect(shown).toContain('\\u202ehs.exe');
    expect(shown).toContain('pass\\u200bwd');
    expect(shown).toContain('two\\nlines');
    expect(shown).toContain('esc\\033[31mred');
    expect(shown).not.toMatch(HIDDEN);

    await tree.locator(`[data-path="bin/${RLO}hs.exe"]`).click();
    const viewer = page.getByRole('complementary', { name: 'File' });
    await expect.poll(() => text(viewer.locator('h3'))).toBe('/bin/\\u202ehs.exe');
    await tree.locator(`[data-path="etc/pass${ZWSP}wd"]`).click();
    await expect.poll(() => text(viewer.locator('h3'))).toBe('/etc/pass\\u200bwd');
    expect(await text(viewer)).not.toMatch(HIDDEN);
  });

  it('History (the table and the Dockerfile), Inspect and Layers show created_by escaped', async () => {
    await openTab('History');
    const cell = page.locator('td.created-by').first();
    const line = await text(cell);
    expect(line).toContain('/bin/\\u202ehs.exe && echo pass\\u200bwd\\r# hidden');
    expect(line).not.toMatch(HIDDEN);
    expect(await attr(cell, 'title')).not.toMatch(HIDDEN);
    const dockerfile = await text(page.getByLabel('Reconstructed Dockerfile'));
    expect(dockerfile).toContain('\\u202ehs.exe');
    expect(dockerfile).not.toMatch(HIDDEN);

    await openTab('Inspect');
    // Inspect's JSON (a label carries the name): the escape JSON itself would write, never the
    // raw character.
    const labels = page
      .getByRole('tabpanel')
      .locator('.jn')
      .filter({ has: page.locator(':scope > .jk', { hasText: '"Labels"' }) });
    await labels.locator(':scope > .twisty-btn').click(); // collapsed below depth 3
    await expect.poll(() => text(page.getByRole('tabpanel'))).toContain('hs.exe');
    const inspect = await text(page.getByRole('tabpanel'));
    expect(inspect).toContain('"bin/\\u202ehs.exe"');
    expect(inspect).not.toMatch(HIDDEN);

    await openTab('Layers');
    const layers = await text(page.locator('td.created-by').first());
    expect(layers).toContain('\\u202ehs.exe');
    expect(layers).not.toMatch(HIDDEN);
  });

  it('the command bar’s output shows them escaped (docker history, container-diff)', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Images' }).click();
    const out = await runCommand(page, 'docker history --no-trunc --format "{{.CreatedBy}}" e2e/names:v1');
    expect(out).toContain('/bin/\\u202ehs.exe && echo pass\\u200bwd\\r# hidden');
    expect(out).not.toMatch(HIDDEN);
    const diff = await runCommand(page, 'container-diff diff e2e/other:v1 e2e/names:v1 --type=file');
    expect(diff).toContain('/bin/\\u202ehs.exe');
    expect(diff).toContain('/etc/pass\\u200bwd');
    expect(diff).not.toMatch(HIDDEN);
  });
});
