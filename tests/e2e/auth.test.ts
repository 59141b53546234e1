/**
 * Private registries through the proxy, and the pull dialog's errors: Basic (htpasswd) and
 * Bearer (token server) registries refuse anonymous pulls with a message that says to add
 * credentials; with credentials in Settings the pull succeeds. Not found, a host the proxy does
 * not allow, and an unreachable proxy each get their plain explanation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushTestImage } from '../helpers/registry-images.ts';

let session: Session;
let page: Page;
let basic: TestRegistry;
let token: TestRegistry;

beforeAll(async () => {
  basic = await startRegistry({ auth: 'basic' });
  token = await startRegistry({ auth: 'token' });
  await pushTestImage(basic, { name: 'private/app', tag: 'v1', files: { 'etc/secret': 'basic\n' } });
  await pushTestImage(token, { name: 'private/app', tag: 'v1', files: { 'etc/secret': 'token\n' } });
  token.tokenServer!.anonymousPull = false; // a private repository: no anonymous token
  const tokenHost = new URL(token.tokenServer!.url).host;
  session = await openSession({ PROXY_ALLOW_HOSTS: [basic.host, token.host, tokenHost].join(',') });
  ({ page } = session);
}, 180_000);

afterAll(async () => {
  await session?.close();
  await basic?.stop();
  await token?.stop();
});

async function pullInDialog(ref: string) {
  await page.getByRole('button', { name: 'Images' }).click();
  await page.getByRole('button', { name: 'Pull image' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Image reference').fill(ref);
  await dialog.getByRole('button', { name: 'Pull', exact: true }).click();
  await expect
    .poll(async () => (await dialog.getByRole('alert').count()) + (await dialog.getByText(/^Pulled /).count()), {
      timeout: 60_000,
    })
    .toBe(1);
  const text = (await dialog.getByRole('alert').count())
    ? await dialog.getByRole('alert').textContent()
    : await dialog.getByText(/^Pulled /).textContent();
  await dialog.getByRole('button', { name: 'Close' }).click();
  return text ?? '';
}

async function addCredentials(reg: TestRegistry) {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel('Registry', { exact: true }).fill(reg.host);
  await page.getByLabel('Username').fill(reg.username!);
  await page.getByLabel('Password or token').fill(reg.password!);
  await page.getByRole('button', { name: 'Add' }).click();
  await expect.poll(() => page.getByText(`${reg.host}`, { exact: true }).count()).toBe(1);
}

describe('credentials and errors', () => {
  for (const kind of ['basic', 'token'] as const) {
    it(`${kind}: refused without credentials, pulled with them`, async () => {
      const reg = kind === 'basic' ? basic : token;
      const refused = await pullInDialog(`${reg.host}/private/app:v1`);
      expect(refused).toContain('The registry refused access');
      expect(refused).toContain('add credentials for this registry in Settings');
      await addCredentials(reg);
      expect(await pullInDialog(`${reg.host}/private/app:v1`)).toBe(`Pulled ${reg.host}/private/app:v1`);
    });
  }

  it('says what to do for a missing image and a host the proxy does not allow', async () => {
    expect(await pullInDialog(`${basic.host}/private/nope:v1`)).toContain('Not found');
    expect(await pullInDialog('127.0.0.1:9/x:1')).toContain('Add it to PROXY_ALLOW_HOSTS');
  });

  it('says when the proxy cannot be reached', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('CORS proxy URL').fill('http://127.0.0.1:9/');
    await page.getByLabel('CORS proxy URL').press('Enter');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).count()).toBe(1);
    expect(await pullInDialog(`${basic.host}/private/app:v1`)).toContain('did not answer');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Reset to default' }).click();
  });
});
