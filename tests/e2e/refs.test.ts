/**
 * References in the GUI, in headless Chromium against a real registry through the app's proxy:
 * an image pulled by digest only is a row of the images table (`repo <none>`, not dangling) and
 * opens by its digest reference; one image ID pulled through two manifests shows, opened by each
 * tag, that tag's manifest in Summary and Layers (as skopeo reads them from the registry).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { checkStore, openSession, runCommand, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';
import { startTap, type Tap } from '../helpers/tap.ts';

let session: Session;
let page: Page;
let reg: TestRegistry;
let tap: Tap;
let layout: TestLayout;
let gz: PushedImage;
let docker: PushedImage;

beforeAll(async () => {
  reg = await startRegistry();
  tap = await startTap(reg.host);
  layout = await TestLayout.create();
  await layout.build({ tag: 'x', layers: [{ 'etc/x': 'x'.repeat(3000) }] });
  // One image ID, two manifests: OCI and Docker schema 2 (other media types and digest).
  gz = await pushLayoutImage(reg, layout, 'x', 'e2e/refs', 'oci', { format: 'oci' });
  docker = await pushLayoutImage(reg, layout, 'x', 'e2e/refs2', 'v2', { format: 'v2s2' });
  session = await openSession({ PROXY_ALLOW_HOSTS: tap.host });
  ({ page } = session);
}, 180_000);

afterAll(async () => {
  await session?.close();
  await tap?.close();
  await reg?.stop();
  await layout?.cleanup();
});

const manifestFacts = async (p: Page) => {
  const dd = (label: string) => p.locator('dl.facts dt', { hasText: label }).locator('xpath=following-sibling::dd[1]');
  return [await dd('Manifest digest').textContent(), await dd('Manifest media type').textContent()];
};

describe('references in the GUI', () => {
  it('an image pulled by digest is a `repo <none>` row, not dangling, and opens by its reference', async () => {
    const ref = `${tap.host}/e2e/refs@${gz.manifestDigest}`;
    const out = await runCommand(page, `docker pull ${ref}`);
    expect(out.trimEnd().split('\n').at(-1)).toBe(ref);
    const table = page.getByRole('table', { name: 'Images' });
    const open = table.getByRole('button', { name: `Open ${ref}` });
    await open.waitFor({ timeout: 30_000 });
    const row = table.locator('tbody tr', { has: page.getByRole('button', { name: `Open ${ref}` }) });
    expect(await row.locator('td').nth(1).textContent()).toBe('<none>');
    expect((await row.getAttribute('class')) ?? '').not.toContain('dangling');
    await open.click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/image/${encodeURIComponent(ref)}/summary`);
    expect(await page.locator('#image-title').textContent()).toBe(ref);
    expect(await manifestFacts(page)).toEqual([gz.manifestDigest, gz.mediaType]);
    // A pasted link opens it too.
    await page.reload();
    await page.locator('#image-title').waitFor({ timeout: 30_000 });
    expect(await page.locator('#image-title').textContent()).toBe(ref);
  });

  it('two tags of one image ID through two manifests: each opens with its own', async () => {
    await page.goto(`${session.app.url}#/images`);
    await runCommand(page, `docker pull ${tap.host}/e2e/refs:oci`);
    await runCommand(page, `docker pull ${tap.host}/e2e/refs2:v2`);
    for (const [name, img] of [
      [`${tap.host}/e2e/refs:oci`, gz],
      [`${tap.host}/e2e/refs2:v2`, docker],
    ] as const) {
      await page.goto(`${session.app.url}#/image/${encodeURIComponent(name)}/summary`);
      await page.locator('#image-title').waitFor({ timeout: 30_000 });
      await expect.poll(() => page.locator('#image-title').textContent()).toBe(name);
      await expect.poll(() => manifestFacts(page)).toEqual([img.manifestDigest, img.mediaType]);
      await page.getByRole('tab', { name: 'Layers' }).click();
      for (const l of img.layers) await page.getByText(l.mediaType).first().waitFor({ timeout: 10_000 });
    }
    await page.goto(`${session.app.url}#/images`);
    expect(await checkStore(page)).toMatch(/^All good: 1 image,/);
  });
});
