/**
 * One headless Chromium for all e2e files (the machine has 2 cores): the global setup starts
 * a Playwright browser server on Debian's `chromium` from PATH; each file connects to it.
 */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type BrowserServer } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not on PATH: apt-get install -y chromium (npm test installs it when run as root)');
  }
}

export function launchServer(): Promise<BrowserServer> {
  return chromium.launchServer({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

export function connect(wsEndpoint: string): Promise<Browser> {
  return chromium.connect(wsEndpoint);
}
