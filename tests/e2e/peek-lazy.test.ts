/**
 * Peek at lazy-format images end to end: the built app and its proxy, real docker-registries
 * behind a recording tap, headless Chromium. One image is converted to eStargz by Debian's
 * stargz-snapshotter (`ctr-remote`, through a containerd started for the test), one pushed as
 * zstd:chunked by Podman (tests/helpers/lazy-images.ts). For each: index it (the tap shows only
 * Range requests: the TOC, never a pass over the layer), open a file (Range requests only), and
 * everything fetched from the layer stays under 2% of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout } from '../helpers/registry-images.ts';
import { startTap, type Tap } from '../helpers/tap.ts';
import { noise } from '../helpers/prng.ts';
import { convertEstargz, pushZstdChunked, startContainerd, type Containerd } from '../helpers/lazy-images.ts';

let session: Session;
let page: Page;
let src: TestRegistry;
let reg: TestRegistry;
let tap: Tap;
let layout: TestLayout;
let ctd: Containerd;

const HELLO = 'hello from a lazy layer\n';

interface Layer {
  digest: string;
  size: number;
  mediaType: string;
}

async function layerOf(repo: string, tag: string): Promise<Layer> {
  const r = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return ((await r.json()) as { layers: Layer[] }).layers[0]!;
}

beforeAll(async () => {
  src = await startRegistry();
  reg = await startRegistry();
  tap = await startTap(reg.host);
  layout = await TestLayout.create();
  await layout.build({
    tag: 'src',
    layers: [{ 'etc/hello': HELLO, 'usr/share/big.bin': noise(8_000_000, 11) }],
  });
  await pushLayoutImage(src, layout, 'src', 'e2e/src', 'v1', { format: 'oci' });
  ctd = await startContainerd();
  await convertEstargz(ctd, `${src.host}/e2e/src:v1`, `${reg.host}/e2e/lazy:esgz`);
  await pushZstdChunked(`${src.host}/e2e/src:v1`, `${reg.host}/e2e/lazy:zc`);
  session = await openSession({ PROXY_ALLOW_HOSTS: tap.host });
  page = session.page;
}, 240_000);

afterAll(async () => {
  await session?.close();
  await tap?.close();
  await ctd?.stop();
  await reg?.stop();
  await src?.stop();
  await layout?.cleanup();
});

const blobs = () => tap.records.filter((r) => r.path.includes('/blobs/'));

const cases = [
  { name: 'eStargz', tag: 'esgz', media: /tar\+gzip$/, says: 'eStargz table of contents', tocRequests: 2 },
  { name: 'zstd:chunked', tag: 'zc', media: /tar\+zstd$/, says: 'zstd:chunked, read from its TOC', tocRequests: 1 },
];

describe('peek at lazy formats', () => {
  for (const c of cases) {
    it(`${c.name}: indexes from the TOC and opens a file, fetching < 2% of the layer`, async () => {
      const layer = await layerOf('e2e/lazy', c.tag);
      expect(layer.mediaType).toMatch(c.media);
      const ref = `${tap.host}/e2e/lazy:${c.tag}`;
      await page.goto(page.url().replace(/#.*$/, '#/peek'));
      await page.getByLabel('Reference to peek at').fill(ref);
      await page.locator('form').getByRole('button', { name: 'Peek' }).click();
      await page.getByTestId('peek-layers').waitFor();
      tap.clear();
      const t0 = Date.now();
      await page.getByRole('button', { name: 'Index layers' }).click();
      await page.getByRole('list', { name: 'Files' }).waitFor({ timeout: 60_000 });
      const indexing = blobs();
      expect(await page.getByTestId('peek-layers').textContent()).toContain(c.says);
      expect(indexing).toHaveLength(c.tocRequests);
      for (const r of indexing) {
        expect(r.path).toContain(layer.digest);
        expect(r.range).toMatch(/^bytes=\d+-\d+$/);
        expect(r.status).toBe(206);
      }
      tap.clear();
      await page.getByLabel(/Search paths/).fill('hello');
      await page.getByRole('button', { name: 'hello', exact: true }).click();
      await expect.poll(() => page.getByTestId('file-text').textContent()).toBe(HELLO);
      const ms = Date.now() - t0;
      const reading = blobs();
      expect(reading.length).toBeGreaterThan(0);
      for (const r of reading) {
        expect(r.path).toContain(layer.digest);
        expect(r.range).toMatch(/^bytes=\d+-\d+$/);
        expect(r.status).toBe(206);
      }
      const tocBytes = indexing.reduce((n, r) => n + r.bytes, 0);
      const fileBytes = reading.reduce((n, r) => n + r.bytes, 0);
      const total = tocBytes + fileBytes;
      console.log(
        `peek e2e ${c.name}: layer ${layer.size} B; TOC ${tocBytes} B in ${indexing.length} request(s), ` +
          `etc/hello ${fileBytes} B in ${reading.length}: ${total} B = ${((100 * total) / layer.size).toFixed(3)}% ` +
          `of the layer, ${ms} ms from "Index layers" to the file shown`,
      );
      expect(total).toBeLessThan(layer.size * 0.02);
    });
  }

  it('the layer list says how each was indexed, in Japanese too', async () => {
    await page.goto(page.url().replace(/#.*$/, `#/peek/${encodeURIComponent(`${tap.host}/e2e/lazy:zc`)}`));
    await expect.poll(() => page.getByTestId('peek-layers').textContent()).toContain('zstd:chunked, read from its TOC');
    await page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    await expect.poll(() => page.getByTestId('peek-layers').textContent()).toContain('zstd:chunked、目次から読み取り');
    await page.goto(page.url().replace(/#.*$/, `#/peek/${encodeURIComponent(`${tap.host}/e2e/lazy:esgz`)}`));
    await expect.poll(() => page.getByTestId('peek-layers').textContent()).toContain('eStargz の目次から');
    await page.getByRole('combobox', { name: '言語' }).selectOption('en');
  });
});
