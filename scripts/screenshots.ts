/**
 * The README's screenshots of a phone and of dark mode, made from the production build:
 *
 *   npx vite build && node --import tsx scripts/screenshots.ts
 *
 * Serves dist/ as `npm start -- --no-build` does (a free port on 127.0.0.1), drives Debian's
 * Chromium (CHROME_PATH, else `chromium` on PATH) with playwright-core, loads the sample image
 * that ships with the app and writes docs/phone.png, docs/phone-files.png (360×780 CSS px, the
 * narrowest phones people use, light) and docs/dark.png (1280×800, dark). No network needed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const OUT = 'docs';

function chromiumPath(): string {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
}

async function serve(): Promise<{ url: string; stop(): void }> {
  if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `npx vite build` first');
  const child = spawn(process.execPath, ['scripts/start.mjs', '--no-build'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start: ${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the app exited (${code}): ${output}`)));
  });
  return { url, stop: () => void child.kill('SIGTERM') };
}

/** A fresh context (its own IndexedDB) with the sample image and a second name for it. */
async function withSample(
  browser: Browser,
  url: string,
  opts: { width: number; height: number; scheme: 'light' | 'dark' },
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: opts.width, height: opts.height },
    deviceScaleFactor: 2,
    colorScheme: opts.scheme,
    locale: 'en-US',
  });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: 'Load sample image' }).click();
  await page.getByTestId('import-result').filter({ hasText: 'Loaded image: layerscope/sample:1.0' }).waitFor();
  const box = page.getByRole('textbox', { name: 'Command' });
  await box.fill('docker tag layerscope/sample:1.0 layerscope/sample:latest');
  await box.press('Enter');
  await page.getByRole('button', { name: 'Open layerscope/sample:latest' }).waitFor();
  // The one-time "Ready to work offline" notice would cover part of every picture.
  const ok = page.getByRole('status').filter({ hasText: 'Ready to work offline.' }).getByRole('button', { name: 'OK' });
  await ok.waitFor({ timeout: 10_000 }).then(
    () => ok.click(),
    () => {},
  );
  return page;
}

async function openFile(page: Page, path: string): Promise<void> {
  await page.getByRole('button', { name: 'Open layerscope/sample:1.0' }).click();
  await page.getByRole('tab', { name: 'Files' }).click();
  await page.locator(`[data-path="${path}"]`).click();
  await page.getByTestId('file-text').waitFor();
}

async function main(): Promise<void> {
  const app = await serve();
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    // A phone, light: the images list with a row ticked (the bulk bar), then a file open.
    const phone = await withSample(browser, app.url, { width: 360, height: 780, scheme: 'light' });
    await phone.getByRole('checkbox', { name: 'Select layerscope/sample:latest' }).check();
    await phone.locator('.dock-toggle').click(); // the command bar collapsed, as on a phone one would
    await phone.evaluate(() => window.scrollTo(0, 0));
    await phone.screenshot({ path: `${OUT}/phone.png` });
    await openFile(phone, 'README.md');
    await phone.locator('.viewer').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${OUT}/phone-files.png` });

    // Dark mode on a laptop: an image's files with a file open.
    const dark = await withSample(browser, app.url, { width: 1280, height: 800, scheme: 'dark' });
    await openFile(dark, 'README.md');
    await dark.locator('.dock-toggle').click();
    await dark.screenshot({ path: `${OUT}/dark.png` });
    console.log(`wrote ${OUT}/phone.png, ${OUT}/phone-files.png, ${OUT}/dark.png`);
  } finally {
    await browser.close();
    app.stop();
  }
}

await main();
