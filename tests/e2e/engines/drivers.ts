/**
 * One small page interface over three engines, so the same main paths run in each:
 * - Chromium (Debian `chromium`) and Firefox ESR (Debian `firefox-esr`) through puppeteer-core
 *   (Chromium over CDP, Firefox over WebDriver BiDi);
 * - WebKitGTK, Safari's engine (Debian `webkit2gtk-driver`'s `WebKitWebDriver` driving the
 *   MiniBrowser of libwebkit2gtk), through selenium-webdriver, on an Xvfb display started here.
 * Elements are found in the page by role and accessible name (see `mark`), then clicked or typed
 * into by the driver, so events are the engine's own.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import puppeteer, { type Browser as PBrowser, type Page as PPage } from 'puppeteer-core';
import { Builder, By, Capabilities, Key, type WebDriver } from 'selenium-webdriver';

export type EngineName = 'chromium' | 'firefox' | 'webkit';

export interface EnginePage {
  readonly engine: EngineName;
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Runs `fn` in the page (awaiting a returned promise) and gives its JSON-able result. */
  evaluate<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>, ...args: A): Promise<T>;
  click(selector: string): Promise<void>;
  /** Replaces the field's value by typing `text`; `enter` presses Enter after. */
  type(selector: string, text: string, enter?: boolean): Promise<void>;
  /** Gives a file input a file from disk, as the file chooser would. */
  upload(selector: string, path: string): Promise<void>;
  close(): Promise<void>;
}

const which = (cmd: string): string | undefined => {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};

function need(cmd: string, pkg: string): string {
  const path = which(cmd);
  if (!path) throw new Error(`${cmd} is not on PATH: apt-get install -y ${pkg} (npm test installs it as root)`);
  return path;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

class PuppeteerPage implements EnginePage {
  constructor(
    readonly engine: EngineName,
    private readonly browser: PBrowser,
    private readonly page: PPage,
  ) {}
  async goto(url: string) {
    await this.page.goto(url, { waitUntil: 'load' });
  }
  async reload() {
    await this.page.reload({ waitUntil: 'load' });
  }
  evaluate<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>, ...args: A): Promise<T> {
    return this.page.evaluate(fn as (...a: unknown[]) => T, ...args) as Promise<T>;
  }
  async click(selector: string) {
    await this.page.click(selector);
  }
  async type(selector: string, text: string, enter = false) {
    await this.page.$eval(selector, (el) => ((el as HTMLInputElement).value = ''));
    await this.page.type(selector, text);
    if (enter) await this.page.keyboard.press('Enter');
  }
  async upload(selector: string, path: string) {
    const input = await this.page.$(selector);
    if (!input) throw new Error(`no ${selector}`);
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(path);
  }
  async close() {
    await this.browser.close().catch(() => {});
  }
}

async function launchChromium(): Promise<EnginePage> {
  const browser = await puppeteer.launch({
    browser: 'chrome',
    executablePath: need('chromium', 'chromium'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--lang=en-US'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  return new PuppeteerPage('chromium', browser, page);
}

async function launchFirefox(): Promise<EnginePage> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: need('firefox-esr', 'firefox-esr'),
    headless: true,
    extraPrefsFirefox: { 'intl.accept_languages': 'en-US', 'intl.locale.requested': 'en-US' },
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  return new PuppeteerPage('firefox', browser, page);
}

/** MiniBrowser ships in libwebkit2gtk (a dependency of webkit2gtk-driver); its directory names the API version. */
function miniBrowserPath(): string {
  for (const arch of ['x86_64-linux-gnu', 'aarch64-linux-gnu']) {
    for (const api of ['webkit2gtk-4.1', 'webkit2gtk-4.0', 'webkitgtk-6.0']) {
      const p = `/usr/lib/${arch}/${api}/MiniBrowser`;
      if (existsSync(p)) return p;
    }
  }
  throw new Error('WebKitGTK MiniBrowser not found: apt-get install -y webkit2gtk-driver');
}

/** Starts `Xvfb -displayfd`, which picks a free display and writes its number to fd 3. */
async function startXvfb(): Promise<{ display: string; proc: ChildProcess }> {
  const proc = spawn(need('Xvfb', 'xvfb'), ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start in 10 s: ${err}`)), 10_000);
    (proc.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}): ${err}`));
    });
  });
  return { display, proc };
}

async function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

class SeleniumPage implements EnginePage {
  readonly engine = 'webkit' as const;
  constructor(
    private readonly driver: WebDriver,
    private readonly procs: ChildProcess[],
  ) {}
  async goto(url: string) {
    await this.driver.get(url);
  }
  async reload() {
    await this.driver.navigate().refresh();
  }
  evaluate<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>, ...args: A): Promise<T> {
    // WebDriver's Execute Script awaits a returned promise.
    return this.driver.executeScript(`return (${fn.toString()}).apply(null, arguments);`, ...args) as Promise<T>;
  }
  async click(selector: string) {
    await this.driver.findElement(By.css(selector)).click();
  }
  async type(selector: string, text: string, enter = false) {
    const el = await this.driver.findElement(By.css(selector));
    await el.clear();
    await el.sendKeys(enter ? text + Key.ENTER : text);
  }
  async upload(selector: string, path: string) {
    // WebKitWebDriver refuses to type into a `hidden` input (the app's inputs are hidden and
    // opened by their buttons): show it for the moment the file is set.
    const el = await this.driver.findElement(By.css(selector));
    const wasHidden = (await this.driver.executeScript(
      'const h = arguments[0].hidden; arguments[0].hidden = false; return h;',
      el,
    )) as boolean;
    try {
      await el.sendKeys(path);
    } finally {
      await this.driver.executeScript('arguments[0].hidden = arguments[1];', el, wasHidden);
    }
  }
  async close() {
    await this.driver.quit().catch(() => {});
    for (const p of this.procs) await stop(p);
  }
}

async function launchWebKit(): Promise<EnginePage> {
  const driverBin = need('WebKitWebDriver', 'webkit2gtk-driver');
  const binary = miniBrowserPath();
  const procs: ChildProcess[] = [];
  try {
    const { display, proc: xvfb } = await startXvfb();
    procs.unshift(xvfb);
    const port = await freePort();
    const wd = spawn(driverBin, [`--port=${port}`, '--host=127.0.0.1'], {
      env: { ...process.env, DISPLAY: display, LANG: 'en_US.UTF-8' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    procs.unshift(wd);
    let log = '';
    wd.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const server = `http://127.0.0.1:${port}`;
    for (let deadline = Date.now() + 15_000; ;) {
      if (wd.exitCode !== null) throw new Error(`WebKitWebDriver exited (${wd.exitCode}): ${log}`);
      const ok = await fetch(`${server}/status`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`WebKitWebDriver not ready in 15 s: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const caps = new Capabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary, args: ['--automation'] },
    });
    const driver = await new Builder().usingServer(server).withCapabilities(caps).build();
    await driver.manage().window().setRect({ width: 1280, height: 900 });
    return new SeleniumPage(driver, procs);
  } catch (e) {
    for (const p of procs) await stop(p);
    throw e;
  }
}

export const LAUNCH: Record<EngineName, () => Promise<EnginePage>> = {
  chromium: launchChromium,
  firefox: launchFirefox,
  webkit: launchWebKit,
};
