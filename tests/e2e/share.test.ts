/**
 * Sharing snapshots as files in the browser: the shipped sample loads offline-first, an
 * export is read by skopeo, archives made by skopeo import through the file picker, by drag
 * and drop, and through `docker load` / `docker save` in the command bar.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, runCommand, withoutSavePicker, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';

let session: Session;
let page: Page;
let reg: TestRegistry;
let layout: TestLayout;
let img: PushedImage;
let tmp: string;

const rows = () => page.getByRole('table', { name: 'Images' }).locator('tbody tr');
const skopeo = (...args: string[]) =>
  execFileSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', env: { ...process.env, HOME: tmp } });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-share-'));
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({ tag: 'x', layers: [{ 'etc/shared.txt': 'shared\n' }, { 'srv/app.txt': 'app\n' }] });
  img = await pushLayoutImage(reg, layout, 'x', 'share/app', 'v1', { format: 'v2s2' });
  // Archives made by skopeo, to import.
  skopeo(
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    `docker://${img.reference}`,
    `docker-archive:${join(tmp, 'skopeo.tar')}:share/app:v1`,
  );
  skopeo(
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    `docker://${img.reference}`,
    `oci-archive:${join(tmp, 'skopeo-oci.tar')}:v1`,
  );
  session = await openSession({ PROXY_ALLOW_HOSTS: reg.host }, { acceptDownloads: true }, withoutSavePicker);
  ({ page } = session);
}, 180_000);

afterAll(async () => {
  await session?.close();
  await reg?.stop();
  await layout?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('sharing image snapshots', () => {
  it('loads the sample image that ships with the app', async () => {
    await page.getByRole('button', { name: 'Load sample image' }).click();
    await expect
      .poll(() => page.getByTestId('import-result').textContent(), { timeout: 30_000 })
      .toBe('Loaded image: layerscope/sample:1.0');
    await expect.poll(() => rows().count()).toBe(1);
  });

  it('imports a skopeo docker-archive with the file picker, and an OCI archive by drag and drop', async () => {
    await page.getByLabel('Import…', { exact: true }).setInputFiles(join(tmp, 'skopeo.tar'));
    await expect
      .poll(() => page.getByTestId('import-result').textContent(), { timeout: 30_000 })
      .toBe('Loaded image: share/app:v1');
    await expect.poll(() => rows().count()).toBe(2);
    const ids = await rows().locator('td:nth-child(3)').allTextContents();
    expect(ids).toContain(img.configDigest!.slice(7, 19));

    const bytes = readFileSync(join(tmp, 'skopeo-oci.tar')).toString('base64');
    await page.evaluate((b64) => {
      const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bin], 'skopeo-oci.tar', { type: 'application/x-tar' }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    // An OCI layout names images by a bare tag (v1): Docker loads those untagged.
    await expect
      .poll(() => page.getByTestId('import-result').textContent(), { timeout: 30_000 })
      .toMatch(/^Loaded image ID: sha256:[0-9a-f]{64}$/);
  });

  it('exports from the dialog a docker-archive that skopeo reads', async () => {
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Export', exact: true }).click(),
    ]);
    const file = join(tmp, 'export.tar');
    await download.saveAs(file);
    await dialog.getByRole('button', { name: 'Close' }).click();
    const info = JSON.parse(skopeo('inspect', `docker-archive:${file}:share/app:v1`)) as { Layers: string[] };
    expect(info.Layers).toHaveLength(2);
    const config = JSON.parse(skopeo('inspect', '--config', '--raw', `docker-archive:${file}:share/app:v1`)) as {
      rootfs: { diff_ids: string[] };
    };
    expect(info.Layers).toEqual(config.rootfs.diff_ids); // layers written uncompressed, as docker save does
  });

  it('docker save downloads an archive; docker load reads a picked file', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      runCommand(page, 'docker save -o app.tar share/app:v1'),
    ]);
    expect(download.suggestedFilename()).toBe('app.tar');
    const saved = join(tmp, 'app.tar');
    await download.saveAs(saved);
    expect(JSON.parse(skopeo('inspect', '--config', '--raw', `docker-archive:${saved}:share/app:v1`))).toMatchObject({
      rootfs: { type: 'layers' },
    });

    await runCommand(page, 'docker rmi share/app:v1');
    const chooser = page.waitForEvent('filechooser');
    const out = runCommand(page, 'docker load -i app.tar');
    await (await chooser).setFiles(saved);
    expect((await out).trimEnd().split('\n').at(-1)).toBe('Loaded image: share/app:v1');
  });
});
