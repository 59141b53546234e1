/**
 * The UI speaks the browser's language (English or Japanese), can be switched, remembers the
 * choice; Docker's own output in the command bar stays English.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSession, runCommand, type Session } from './ui.ts';

let s: Session;

beforeAll(async () => {
  s = await openSession({}, { locale: 'ja-JP' });
}, 60_000);

afterAll(async () => {
  await s?.close();
});

it('starts in Japanese for a Japanese browser, switches to English and remembers it', async () => {
  const { page } = s;
  await page.getByRole('button', { name: 'イメージを取得' }).waitFor();
  expect(await page.locator('html').getAttribute('lang')).toBe('ja');
  // The empty state shows once the (empty) list has loaded from the worker.
  await expect.poll(() => page.getByText('イメージはまだありません').count()).toBe(1);
  // Docker's output is not translated.
  // (Docker CLI v29's default tree view, headers only: the store is empty.)
  expect(await runCommand(page, 'docker images')).toBe(
    '$ docker images\nIMAGE   ID             DISK USAGE   CONTENT SIZE   EXTRA\n',
  );

  await page.getByRole('combobox', { name: '言語' }).selectOption('en');
  await page.getByRole('button', { name: 'Pull image' }).waitFor();
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  await page.reload();
  await page.getByRole('button', { name: 'Pull image' }).waitFor();
  await expect.poll(() => page.getByText('No images yet').count()).toBe(1);
});
