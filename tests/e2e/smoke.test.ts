import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { connect } from './browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await connect(inject('wsEndpoint'));
});
afterAll(async () => {
  await browser?.close();
});

it('drives the shared Chromium', async () => {
  const page = await browser.newPage();
  await page.setContent('<button onclick="this.textContent=\'ok\'">go</button>');
  await page.click('button');
  expect(await page.textContent('button')).toBe('ok');
  await page.close();
});
