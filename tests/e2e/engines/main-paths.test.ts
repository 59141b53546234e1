/**
 * The main paths in every engine a person may open Layerscope in: Chromium, Firefox ESR
 * (WebDriver BiDi) and WebKitGTK, Safari's engine (WebDriver classic). One browser per engine;
 * each has its own app server (the offline step stops it) and its own profile, all pulling from
 * one real docker-registry through the app's proxy. Expected values come from outside the app:
 * digests from skopeo (what the registry serves), the exported archive read back by skopeo.
 *
 * No engine here can answer a save-file picker from a test, and Firefox and WebKit have none:
 * the app then saves through a download link, which these tests catch and read back. What each
 * engine offers is checked too (the README's browser table).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../app.ts';
import { startRegistry, type TestRegistry } from '../../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../../helpers/registry-images.ts';
import { LAUNCH, type EngineName, type EnginePage } from './drivers.ts';
import { clickNamed, cspViolations, mark, runCommand, takeDownload, waitFor, waitRows, watchPage } from './dom.ts';

let reg: TestRegistry;
let layout: TestLayout;
let img: PushedImage;
let tmp: string;

const SAMPLE = 'layerscope/sample:1.0';

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-engines-'));
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({
    tag: 'x',
    layers: [{ 'etc/motd': 'old\n', 'usr/share/doc/readme.txt': 'Read me.\n' }, { 'etc/motd': 'Welcome\n' }],
  });
  img = await pushLayoutImage(reg, layout, 'x', 'engines/app', 'v1', { format: 'v2s2' });
}, 120_000);

afterAll(async () => {
  await reg?.stop();
  await layout?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** What each engine offers that the app uses or degrades without (checked, and in the README). */
const FEATURES: Record<EngineName, Record<string, boolean>> = {
  chromium: { saveFilePicker: true, launchQueue: true, webLocks: true, serviceWorker: true, folderInput: true },
  firefox: { saveFilePicker: false, launchQueue: false, webLocks: true, serviceWorker: true, folderInput: true },
  webkit: { saveFilePicker: false, launchQueue: false, webLocks: true, serviceWorker: true, folderInput: true },
};

describe.each(['chromium', 'firefox', 'webkit'] as const)('%s', (engine) => {
  let app: RunningApp | undefined;
  let page: EnginePage;
  const ref = () => `${reg.host}/engines/app:v1`;

  beforeAll(async () => {
    app = await startApp({ PROXY_ALLOW_HOSTS: reg.host });
    page = await LAUNCH[engine]();
    await page.goto(app.url);
    await mark(page, 'textbox', 'Command');
    await watchPage(page);
  }, 60_000);

  afterAll(async () => {
    await page?.close();
    await app?.close();
  });

  it('offers the APIs the browser table says', async () => {
    const has = await page.evaluate(() => ({
      saveFilePicker: typeof (window as { showSaveFilePicker?: unknown }).showSaveFilePicker === 'function',
      launchQueue: 'launchQueue' in window,
      webLocks: typeof navigator.locks?.request === 'function',
      serviceWorker: 'serviceWorker' in navigator,
      folderInput: 'webkitdirectory' in HTMLInputElement.prototype,
    }));
    expect(has).toEqual(FEATURES[engine]);
  });

  it('loads the sample image that ships with the app', async () => {
    await clickNamed(page, 'button', 'Load sample image');
    await waitFor(
      page,
      'the sample to load',
      (want: string) => document.querySelector('[data-testid="import-result"]')?.textContent === want,
      [`Loaded image: ${SAMPLE}`] as [string],
    );
    await waitRows(page, 1);
  });

  it('pulls from the registry through the proxy, printing what docker pull prints', async () => {
    const out = await runCommand(page, `docker pull ${ref()}`);
    const lines = out.trimEnd().split('\n');
    for (const l of img.layers) expect(lines).toContain(`${l.digest.slice(7, 19)}: Pull complete`);
    expect(lines).toContain(`Digest: ${img.manifestDigest}`);
    expect(lines).toContain(`Status: Downloaded newer image for ${ref()}`);
    await waitRows(page, 2);
  });

  it('opens the image, its Files tab and a file', async () => {
    await clickNamed(page, 'button', `Open ${ref()}`);
    await waitFor(page, 'the config digest on the summary', (d: string) => document.body.innerText.includes(d), [
      img.configDigest!,
    ] as [string]);
    await clickNamed(page, 'tab', 'Files');
    await waitFor(page, 'the file tree', () => document.querySelector('[role="tree"] [data-path="etc"]') !== null, []);
    await page.click('[role="tree"] [data-path="etc"]');
    await waitFor(page, 'etc to expand', () => document.querySelector('[data-path="etc/motd"]') !== null, []);
    await page.click('[role="tree"] [data-path="etc/motd"]');
    // The upper layer's motd wins in the merged view.
    await waitFor(
      page,
      'etc/motd to show',
      () => document.querySelector('[data-testid="file-text"]')?.textContent === 'Welcome\n',
      [],
    );
    await clickNamed(page, 'button', 'All images');
    await waitRows(page, 2);
  });

  it('exports both images as a docker-archive (through a download link) that skopeo reads', async () => {
    // Headless Chromium has a save picker nobody can answer: take the same path as the others.
    await page.evaluate(() => delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker);
    await clickNamed(page, 'button', 'Export…');
    await clickNamed(page, 'button', 'Export', 'dialog[open]');
    const { name, bytes } = await takeDownload(page);
    expect(name).toMatch(/\.tar$/);
    const file = join(tmp, `${engine}.tar`);
    writeFileSync(file, bytes);
    await clickNamed(page, 'button', 'Close', 'dialog[open]');
    const skopeo = (...args: string[]) =>
      JSON.parse(
        execFileSync('skopeo', ['--insecure-policy', ...args], {
          encoding: 'utf8',
          env: { ...process.env, HOME: tmp },
        }),
      ) as { Layers: string[]; Digest: string };
    const pulled = skopeo('inspect', `docker-archive:${file}:${ref()}`);
    expect(pulled.Layers).toHaveLength(img.layers.length);
    const config = JSON.parse(
      execFileSync('skopeo', ['--insecure-policy', 'inspect', '--config', '--raw', `docker-archive:${file}:${ref()}`], {
        env: { ...process.env, HOME: tmp },
      }).toString(),
    ) as unknown;
    expect(JSON.stringify(config)).toBe(JSON.stringify(JSON.parse(img.configRaw!.toString())));
    expect(skopeo('inspect', `docker-archive:${file}:${SAMPLE}`).Layers.length).toBeGreaterThan(0);
  });

  it('imports the archive back through the file input after removing both images', async () => {
    const out = await runCommand(page, `docker rmi ${SAMPLE} ${ref()}`);
    expect(out).toContain(`Untagged: ${ref()}`);
    await waitRows(page, 0);
    await page.upload('input[type="file"][aria-label="Import…"]', join(tmp, `${engine}.tar`));
    const result = await waitFor(
      page,
      'the import to finish',
      () => {
        const t = document.querySelector('[data-testid="import-result"]')?.textContent ?? '';
        return t.split('\n').length === 2 ? t : null;
      },
      [],
    );
    expect(result.split('\n').sort()).toEqual([`Loaded image: ${ref()}`, `Loaded image: ${SAMPLE}`].sort());
    await waitRows(page, 2);
    expect(await cspViolations(page)).toEqual([]);
  });

  it('reloads with the server gone: the service worker serves the app, IndexedDB the images', async () => {
    await waitFor(page, 'the service worker', () => navigator.serviceWorker.ready.then(() => true), [], 30_000);
    await page.reload();
    await waitFor(page, 'a controlling service worker', () => navigator.serviceWorker.controller !== null, []);
    await app!.close();
    app = undefined;
    await page.reload();
    await watchPage(page);
    await waitRows(page, 2);
    await clickNamed(page, 'button', `Open ${ref()}`);
    await clickNamed(page, 'tab', 'Files');
    await waitFor(page, 'the file tree', () => document.querySelector('[role="tree"] [data-path="etc"]') !== null, []);
    await page.click('[role="tree"] [data-path="etc"]');
    await waitFor(page, 'etc to expand', () => document.querySelector('[data-path="etc/motd"]') !== null, []);
    await page.click('[role="tree"] [data-path="etc/motd"]');
    await waitFor(
      page,
      'etc/motd to show offline',
      () => document.querySelector('[data-testid="file-text"]')?.textContent === 'Welcome\n',
      [],
    );
    expect(await cspViolations(page)).toEqual([]);
  });
});
