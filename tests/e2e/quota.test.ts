/**
 * A real quota error in Chromium: the DevTools protocol shrinks the
 * origin's quota (`Storage.overrideQuotaForOrigin`) below the size of an image, and IndexedDB
 * itself refuses the write. The pull must stop with a message that names storage and quota
 * (command bar and dialog), commit nothing, keep the store's invariants; a quota hit mid-blob
 * keeps the chunks written, and once the quota is lifted the pull resumes them with `Range`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CDPSession, Page } from 'playwright-core';
import { checkStore, openSession, runCommand, tableIds, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushTestImage, type PushedImage } from '../helpers/registry-images.ts';
import { startTap, type Tap } from '../helpers/tap.ts';

const MiB = 1024 * 1024;
const QUOTA = 2 * 1000 * 1000;

let session: Session;
let page: Page;
let cdp: CDPSession;
let reg: TestRegistry;
let tap: Tap;
let image: PushedImage;
let ref: string;
let origin: string;

beforeAll(async () => {
  reg = await startRegistry();
  tap = await startTap(reg.host);
  // Incompressible: the gzip layer is as big as its 5 MiB file, more than the 2 MB quota.
  image = await pushTestImage(reg, {
    name: 'e2e/quota',
    tag: 'v1',
    format: 'oci',
    layers: [{ 'etc/os-release': 'NAME=quota\n' }, { 'opt/big.bin': randomBytes(5 * MiB) }],
  });
  ref = `${tap.host}/e2e/quota:v1`;
  session = await openSession({ PROXY_ALLOW_HOSTS: tap.host });
  ({ page } = session);
  origin = new URL(session.app.url).origin;
  await page.getByRole('table', { name: 'Images' }).waitFor();
  cdp = await session.context.newCDPSession(page);
}, 180_000);

afterAll(async () => {
  await cdp?.detach().catch(() => {});
  await session?.close();
  await tap?.close();
  await reg?.stop();
});

describe('storage quota', () => {
  it('a pull bigger than the quota stops with a clear message and commits nothing', async () => {
    // (In an off-the-record context estimate() keeps reporting the memory budget; IndexedDB
    // enforces the override all the same.)
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: QUOTA });

    const out = await runCommand(page, `docker pull ${ref}`);
    const last = out.trimEnd().split('\n').at(-1)!;
    console.log(`quota: the command bar said: ${last}`);
    expect(last).toMatch(/^Error response from daemon: /);
    expect(last).toMatch(/storage quota is full/i);
    expect(last).toMatch(/docker rmi|image prune|more storage/);
    expect(out).not.toContain('Status: Downloaded newer image');

    // The dialog says it too, in its plain-language line and in the raw message.
    await page.getByRole('button', { name: 'Pull image' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Image reference').fill(ref);
    await dialog.getByRole('button', { name: 'Pull', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor({ timeout: 60_000 });
    const alertText = (await alert.textContent()) ?? '';
    console.log(`quota: the dialog said: ${alertText}`);
    expect(alertText).toMatch(/storage quota is full/i);
    await dialog.getByRole('button', { name: 'Close' }).click();

    expect(await tableIds(page)).toEqual([]);
    const check = await checkStore(page);
    console.log(`quota: ${check}`);
    expect(check).toMatch(/^All good: 0 images/);
    expect(await runCommand(page, 'docker images -q')).toBe('$ docker images -q\n');
  });

  it('a quota hit mid-blob keeps the chunks written; after the quota is lifted the pull resumes with Range', async () => {
    // Room for the first 4 MiB chunk of the big layer, not for its second one. Chromium enforces
    // the override against its own usage figure, which drifts from estimate() by hundreds of kB
    // (seen here: the whole pull fitting, or not even the first chunk, in 2 runs of 4, on this
    // code and on the code before it): when the quota missed, the margin moves and it is tried
    // again, from an empty store each time. The claim checked is the same in every attempt.
    const big = image.layers[1]!;
    let margin = 4 * MiB + 600_000;
    let out: string;
    let written: number | undefined;
    for (let attempt = 0; ; attempt++) {
      const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + margin });
      out = await runCommand(page, `docker pull ${ref}`);
      written = await blobBytes(big.digest);
      const failed = /^Error response from daemon: /.test(out.trimEnd().split('\n').at(-1)!);
      if (failed && written !== undefined && written > 0) break;
      console.log(`quota: attempt ${attempt}: margin ${margin} B, ${failed ? 'no chunk fitted' : 'the pull fitted'}`);
      expect(attempt, 'the quota never landed mid-blob').toBeLessThan(5);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });
      if (!failed) await runCommand(page, `docker rmi ${ref}`);
      await runCommand(page, 'docker image prune -f');
      margin += failed ? 512 * 1024 : -512 * 1024;
    }
    expect(out.trimEnd().split('\n').at(-1)).toMatch(
      /^Error response from daemon: The browser's storage quota is full/,
    );
    expect(written).toBe(4 * MiB);
    expect(await checkStore(page)).toMatch(/^All good: 0 images, \d+ blobs? \([12] partial/);

    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    tap.clear();
    out = await runCommand(page, `docker pull ${ref}`);
    expect(out).toContain(`Digest: ${image.manifestDigest}`);
    expect(out).toContain(`Status: Downloaded newer image for ${ref}`);
    const gets = tap.records.filter((r) => r.path.endsWith(`/blobs/${big.digest}`));
    expect(gets.map((r) => [r.range, r.bytes])).toEqual([[`bytes=${4 * MiB}-`, big.size - 4 * MiB]]);
    await expect.poll(() => tableIds(page)).toEqual([image.configDigest!.slice(7, 19)]);
    expect(await checkStore(page)).toMatch(/^All good: 1 image, 3 blobs \(0 partial/);
  });
});

/** Bytes stored for a blob (complete or not), read by plain IndexedDB in the page. */
function blobBytes(digest: string): Promise<number | undefined> {
  return page.evaluate(async (d) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('layerscope');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const req = db.transaction('blobs', 'readonly').objectStore('blobs').get(d);
      const rec = await new Promise<{ bytesWritten: number } | undefined>(
        (res, rej) => ((req.onsuccess = () => res(req.result)), (req.onerror = () => rej(req.error))),
      );
      return rec?.bytesWritten;
    } finally {
      db.close();
    }
  }, digest);
}
