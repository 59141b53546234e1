/**
 * Comparing two pulled images in the browser: two images built with umoci on one base, pushed
 * to the test registry and pulled in the app. The GUI's counts come from `diff -rq` of the two
 * root filesystems unpacked by umoci (the reference), then the text diff of the changed file,
 * the command bar's `compare --type=file` (container-diff's text format), a deep link to the
 * comparison, and "Compare with base" from an image's view. With LAYERSCOPE_SCREENSHOTS=1 the
 * README's docs/compare.png is written from here.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, runCommand, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout } from '../helpers/registry-images.ts';

let session: Session;
let page: Page;
let reg: TestRegistry;
let layout: TestLayout;
const ref = (name: string) => `${reg.host}/compare/${name}:v1`;

/** `diff -rq` of the two images' root filesystems: what differs, by kind. */
function referenceCounts(): { added: number; removed: number; modified: number } {
  for (const tag of ['a', 'b']) {
    execFileSync('umoci', [
      'unpack',
      '--rootless',
      '--image',
      `${layout.layout}:${tag}`,
      join(layout.dir, `ref-${tag}`),
    ]);
  }
  let out = '';
  try {
    execFileSync('diff', ['-rq', join(layout.dir, 'ref-a/rootfs'), join(layout.dir, 'ref-b/rootfs')]);
  } catch (e) {
    out = String((e as { stdout: Buffer }).stdout);
  }
  const lines = out.split('\n').filter(Boolean);
  return {
    added: lines.filter((l) => l.startsWith(`Only in ${join(layout.dir, 'ref-b')}`)).length,
    removed: lines.filter((l) => l.startsWith(`Only in ${join(layout.dir, 'ref-a')}`)).length,
    modified: lines.filter((l) => l.endsWith(' differ')).length,
  };
}

beforeAll(async () => {
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({
    tag: 'base',
    layers: [{ 'etc/os-release': 'NAME=Base\n', 'usr/share/doc/base.txt': 'base\n'.repeat(100) }],
  });
  await layout.build({
    tag: 'a',
    from: 'base',
    layers: [{ 'etc/app.conf': 'port=80\nmode=dev\nname=app\n', 'srv/a-only.txt': 'A\n' }],
  });
  await layout.build({
    tag: 'b',
    from: 'base',
    layers: [{ 'etc/app.conf': 'port=8080\nmode=dev\nname=app\n', 'srv/b-only.txt': 'B only\n'.repeat(20) }],
  });
  for (const tag of ['base', 'a', 'b'])
    await pushLayoutImage(reg, layout, tag, `compare/${tag}`, 'v1', { format: 'oci' });
  session = await openSession({ PROXY_ALLOW_HOSTS: reg.host }, { viewport: { width: 1280, height: 800 } });
  ({ page } = session);
  await page.emulateMedia({ colorScheme: 'light' });
  for (const tag of ['base', 'a', 'b']) {
    expect(await runCommand(page, `docker pull ${ref(tag)}`)).toContain(`Downloaded newer image for ${ref(tag)}`);
  }
}, 240_000);

afterAll(async () => {
  await session?.close();
  await reg?.stop();
  await layout?.cleanup();
});

async function expectComparison(expected: { added: number; removed: number; modified: number }): Promise<void> {
  for (const [kind, n] of Object.entries({ ...expected, metadata: 0 })) {
    await expect.poll(() => page.getByTestId(`count-${kind}`).locator('.count').textContent()).toBe(String(n));
  }
  await expect.poll(() => page.getByTestId('shared-layers').textContent()).toContain('the same 1 layer');
}

describe('compare view', () => {
  let hash = '';

  it('compares two images picked in the images list: counts as diff -rq has them, a text diff', async () => {
    const expected = referenceCounts();
    expect(expected).toEqual({ added: 1, removed: 1, modified: 1 });
    await page.getByRole('button', { name: `Compare ${ref('a')} with another image` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox').selectOption({ label: ref('b') });
    await dialog.getByRole('button', { name: 'Compare' }).click();
    await expectComparison(expected);
    await page.locator('[data-path="etc/app.conf"]').click();
    const diff = page.getByTestId('text-diff');
    await expect.poll(() => diff.textContent()).toContain('port=8080');
    expect(await diff.locator('tr.sbs-changed').count()).toBe(1);
    expect(await page.locator('[data-path="srv/b-only.txt"]').getAttribute('data-kind')).toBe('added');
    hash = await page.evaluate(() => location.hash);
    expect(decodeURIComponent(hash)).toBe(`#/compare/${ref('a')}/${ref('b')}?file=etc/app.conf`);
    if (process.env.LAYERSCOPE_SCREENSHOTS === '1') {
      // The README's picture: without the offline notice and the command output over it.
      const ok = page.getByRole('button', { name: 'OK', exact: true });
      if (await ok.isVisible()) await ok.click();
      await page.getByTitle('Hide the command output').click();
      await page.screenshot({ path: 'docs/compare.png' });
      await page.getByTitle('Show the command output').click();
    }
  });

  it('filters by kind and path, keeping the filter in the URL', async () => {
    await page.getByTestId('count-modified').click();
    await page.getByTestId('count-removed').click();
    await expect.poll(() => page.locator('[role="option"]').count()).toBe(1);
    expect(await page.locator('[role="option"]').getAttribute('data-path')).toBe('srv/b-only.txt');
    await expect.poll(() => page.evaluate(() => location.hash)).toContain('kind=added%2Cmetadata');
    await page.getByTestId('count-modified').click();
    await page.getByTestId('count-removed').click();
    await page.getByRole('searchbox', { name: 'Filter by path' }).fill('etc');
    await expect.poll(() => page.locator('[role="option"]').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Filter by path' }).fill('');
  });

  it('the command bar prints container-diff’s file report with the added file', async () => {
    const out = await runCommand(page, `compare ${ref('a')} ${ref('b')} --type=file`);
    expect(out).toMatch(/These entries have been added to [^\n]*:\nFILE\s+SIZE\n\/srv\/b-only\.txt\s/);
  });

  it('a deep link opens the same comparison', async () => {
    const url = page.url().split('#')[0]!;
    await page.goto('about:blank');
    await page.goto(url + hash);
    await expectComparison({ added: 1, removed: 1, modified: 1 });
    await expect.poll(() => page.getByTestId('text-diff').textContent()).toContain('port=8080');
  });

  it('compares an image with its base from its view', async () => {
    await page.getByRole('button', { name: 'All images' }).click();
    await page.getByRole('button', { name: `Open ${ref('a')}` }).click();
    await page.getByRole('button', { name: 'Compare with base' }).click();
    await expect
      .poll(() => page.getByRole('heading', { level: 2 }).textContent())
      .toBe(`Compare ${ref('base')} with ${ref('a')}`);
    await expect.poll(() => page.getByTestId('shared-layers').textContent()).toContain('the same 1 layer');
    await expect.poll(() => page.getByTestId('count-removed').locator('.count').textContent()).toBe('0');
    await expect.poll(() => page.getByTestId('history-a').textContent()).toContain('Nothing of its own');
  });
});
