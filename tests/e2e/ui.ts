/**
 * What every e2e file does with the app: open it in the shared Chromium (one context per file,
 * so each has its own IndexedDB), type commands into the command bar and wait for them, run
 * the store's invariant check as a person would. Waits use page.waitForFunction rather than
 * expect.poll, so they work in beforeAll as well as in tests.
 */
import { inject } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { connect } from './browser.ts';
import { startApp, type RunningApp } from './app.ts';

export interface Session {
  app: RunningApp;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * The app as `npm start` serves it, in a fresh browser context, loaded. `prepare` runs on the
 * context before the page opens (init scripts must be in place before the first load).
 */
export async function openSession(
  env: Record<string, string> = {},
  options: BrowserContextOptions = {},
  prepare?: (context: BrowserContext) => Promise<void>,
): Promise<Session> {
  const app = await startApp(env);
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await app.close();
  };
  try {
    browser = await connect(inject('wsEndpoint'));
    context = await browser.newContext({ locale: 'en-US', ...options });
    await prepare?.(context);
    const page = await context.newPage();
    await page.goto(app.url);
    // The app has created its database (tests that read IndexedDB directly open it without a
    // version, which would otherwise create an empty one first).
    const opened = () => page.evaluate(async () => (await indexedDB.databases()).some((d) => d.name === 'layerscope'));
    for (let i = 0; !(await opened()); i++) {
      if (i === 200) throw new Error('the app did not open its database within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return { app, browser, context, page, close };
  } catch (e) {
    // A failed start leaves nothing running: afterAll has no session to close.
    await close();
    throw e;
  }
}

/** For `prepare`: downloads take the link path (headless Chromium cannot answer a save-file picker). */
export async function withoutSavePicker(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker);
}

const logText = async (page: Page) => (await page.getByRole('log').textContent()) ?? '';

/**
 * Types a command into the command bar; the returned function waits until it ends (the log's
 * aria-busy is false after the echo) and gives what it printed, the echo line included.
 */
export async function startCommand(page: Page, line: string, timeout = 60_000): Promise<() => Promise<string>> {
  const before = (await logText(page)).length;
  const box = page.getByRole('textbox', { name: 'Command' });
  await box.fill(line);
  await box.press('Enter');
  await page.waitForFunction(
    ([n, echo]) =>
      (document.querySelector('[role="log"]')?.textContent ?? '').slice(n as number).includes(echo as string),
    [before, `$ ${line}`] as const,
    { timeout: 5_000 },
  );
  return async () => {
    try {
      await page.waitForFunction(
        () => document.querySelector('[role="log"]')?.getAttribute('aria-busy') === 'false',
        undefined,
        { timeout },
      );
    } catch {
      throw new Error(
        `\`${line}\` did not end in ${timeout / 1000} s; its output:\n${(await logText(page)).slice(before).slice(-3000)}`,
      );
    }
    return (await logText(page)).slice(before);
  };
}

export async function runCommand(page: Page, line: string, timeout?: number): Promise<string> {
  return (await startCommand(page, line, timeout))();
}

/** Settings → Check stored data: the store's invariant check, as a person would run it. */
export async function checkStore(page: Page): Promise<string> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Check stored data' }).click();
  const status = page.getByTestId('store-check');
  await status.waitFor({ timeout: 20_000 });
  const text = ((await status.textContent()) ?? '').trim();
  await nav.getByRole('button', { name: 'Images' }).click();
  return text;
}

/** IMAGE ID cells of the images table, in display order. */
export function tableIds(page: Page): Promise<string[]> {
  return page
    .getByRole('table', { name: 'Images' })
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[2]?.textContent ?? ''));
}
