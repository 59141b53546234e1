/**
 * Peek end to end: the built app and its proxy, a real docker-registry behind a recording tap,
 * headless Chromium. Peek at an image (only manifest and config fetched), index it (each layer
 * streamed once, nothing stored as a blob), open a small file that lies after 12 MB of another
 * file in a gzip layer: the tap shows one Range request and the bytes it carried, a fraction
 * of the layer. The view passes axe in light and dark, at 360 px.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type Session } from './ui.ts';
import { axe } from './axe.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';
import { startTap, type Tap } from '../helpers/tap.ts';
import { noise, prng } from '../helpers/prng.ts';

let session: Session;
let page: Page;
let reg: TestRegistry;
let tap: Tap;
let layout: TestLayout;
let img: PushedImage;

function text(n: number, seed: number): string {
  const r = prng(seed);
  const words = ['alpha ', 'beta ', 'gamma\n', '/usr/lib/x86_64-linux-gnu/', 'libc.so.6 ', '0123 '];
  let s = '';
  while (s.length < n) s += words[Math.floor(r() * words.length)];
  return s.slice(0, n);
}

const DEEP = 'the file deep in the layer\n';

beforeAll(async () => {
  reg = await startRegistry();
  tap = await startTap(reg.host);
  layout = await TestLayout.create();
  await layout.build({
    tag: 'peek',
    layers: [
      { 'etc/os-release': 'NAME=peek\n' },
      // Checkpoints are spaced by ~4 MiB of compressed input: 9 MB of incompressible bytes
      // before the file put two of them in this layer.
      {
        'usr/share/big.bin': noise(9_000_000, 6),
        'usr/share/big.txt': text(12_000_000, 5),
        'usr/share/zz/deep.txt': DEEP,
      },
    ],
  });
  img = await pushLayoutImage(reg, layout, 'peek', 'e2e/peek', 'v1', { format: 'oci' });
  session = await openSession({ PROXY_ALLOW_HOSTS: tap.host });
  page = session.page;
}, 180_000);

afterAll(async () => {
  await session?.close();
  await tap?.close();
  await reg?.stop();
  await layout?.cleanup();
});

const blobs = () => tap.records.filter((r) => r.path.includes('/blobs/'));

describe('peek', () => {
  it('peeks: manifest and config only, no layer fetched', async () => {
    tap.clear();
    await page.getByRole('button', { name: 'Peek', exact: true }).click();
    await page.getByLabel('Reference to peek at').fill(`${tap.host}/e2e/peek:v1`);
    await page.locator('form').getByRole('button', { name: 'Peek' }).click();
    await page.getByTestId('peek-layers').waitFor();
    expect(page.url()).toContain(`#/peek/${encodeURIComponent(`${tap.host}/e2e/peek:v1`)}`);
    await expect.poll(() => page.getByTestId('peek-layers').locator('tbody tr').count()).toBe(2);
    const fetched = blobs().map((r) => r.path);
    expect(fetched).toEqual([expect.stringContaining(img.configDigest!)]);
    for (const l of img.layers) expect(fetched.join()).not.toContain(l.digest);
    expect(await page.getByTestId('peek-fetched').textContent()).toContain('Nothing pulled');
  });

  it('indexes (each layer streamed once), opens a deep file with one Range request', async () => {
    tap.clear();
    await page.getByRole('button', { name: 'Index layers' }).click();
    await page.getByRole('list', { name: 'Files' }).waitFor({ timeout: 60_000 });
    const indexed = blobs();
    expect(indexed.map((r) => r.path.split('/').pop()).sort()).toEqual(img.layers.map((l) => l.digest).sort());
    expect(indexed.every((r) => r.range === undefined)).toBe(true);
    // Nothing of the layers went into the store as blobs: the images list is still empty.
    const stored = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('layerscope');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const count = (name: string) =>
        new Promise<number>((res) => {
          const q = db.transaction(name).objectStore(name).count();
          q.onsuccess = () => res(q.result);
        });
      const out = { blobs: await count('blobs'), peekLayers: await count('peekLayers') };
      db.close();
      return out;
    });
    expect(stored).toEqual({ blobs: 0, peekLayers: 2 });

    tap.clear();
    await page.getByLabel(/Search paths/).fill('deep');
    await page.getByRole('button', { name: 'deep.txt' }).click();
    await expect.poll(() => page.getByTestId('file-text').textContent()).toBe(DEEP);
    const reads = blobs();
    expect(reads).toHaveLength(1);
    const big = img.layers[1]!;
    expect(reads[0]!.path).toContain(big.digest);
    expect(reads[0]!.range).toMatch(/^bytes=\d+-\d+$/);
    expect(reads[0]!.status).toBe(206);
    // From the checkpoint before the file (≤ ~4 MiB of compressed input back) to the file's
    // end: within the issue's budget, 4 MiB + the file's compressed size, and under the layer.
    console.log(
      `peek e2e: layer ${big.size} B, fetched ${reads[0]!.bytes} B for ${DEEP.length} B (${reads[0]!.range})`,
    );
    expect(reads[0]!.bytes).toBeLessThan(big.size / 2);
    expect(reads[0]!.bytes).toBeLessThanOrEqual(4 * 2 ** 20 + 64 * 1024);
    expect(await page.getByTestId('peek-read').textContent()).toContain('one Range request');
  });

  it('lists the peeked image apart from pulled ones, and passes axe in light and dark at 360 px', async () => {
    await page.goto(page.url().replace(/#.*$/, '#/peek'));
    await page.getByRole('table', { name: 'Peeked images' }).waitFor();
    expect(await page.getByRole('table', { name: 'Peeked images' }).locator('tbody tr').count()).toBe(1);
    expect(await page.getByRole('table', { name: 'Peeked images' }).textContent()).toContain('2/2');
    await page.goto(page.url().replace(/#.*$/, `#/peek/${encodeURIComponent(`${tap.host}/e2e/peek:v1`)}`));
    await page.getByRole('list', { name: 'Files' }).waitFor();
    await page.setViewportSize({ width: 360, height: 800 });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await axe(page), scheme).toEqual([]);
    }
  });
});
