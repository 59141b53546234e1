/**
 * Finding things in the page the way a person (or a screen reader) names them, for the engine
 * drivers that have no role locators: `mark` tags the one element with that role and
 * accessible name and gives a CSS selector for the driver to click or type into.
 */
import type { EnginePage } from './drivers.ts';

type Role = 'button' | 'tab' | 'textbox' | 'file';

/** Polls `fn` in the page until it gives a truthy value; the error says what was awaited. */
export async function waitFor<A extends unknown[], T>(
  page: EnginePage,
  what: string,
  fn: (...args: A) => T | Promise<T>,
  args: A,
  timeout = 30_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      last = await page.evaluate(fn, ...args);
      if (last) return last as NonNullable<T>;
    } catch (e) {
      last = e; // a reload in between
    }
    if (Date.now() > deadline)
      throw new Error(`${page.engine}: timed out after ${timeout} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A selector for the single element with this role and accessible name (aria-label or text),
 * matched exactly, or else as a part of the name.
 */
export async function mark(page: EnginePage, role: Role, name: string, within?: string): Promise<string> {
  const id = await waitFor(
    page,
    `${role} "${name}"`,
    (role: string, name: string, within: string | null) => {
      const scope: ParentNode | null = within ? document.querySelector(within) : document;
      if (!scope) return null;
      const css: Record<string, string> = {
        button: 'button, [role="button"]',
        tab: '[role="tab"]',
        textbox: 'input:not([type]), input[type="text"], input[type="search"], textarea',
        file: 'input[type="file"]',
      };
      const all = [...scope.querySelectorAll<HTMLElement>(css[role]!)].map((el) => ({
        el,
        label: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim(),
      }));
      // Exact first; else a name that contains it (as Playwright's getByRole does: "← All images").
      let found = all.filter((c) => c.label === name).map((c) => c.el);
      if (found.length === 0) found = all.filter((c) => c.label.includes(name)).map((c) => c.el);
      if (found.length !== 1) return null;
      const w = window as { __e2eMark?: number };
      const n = (w.__e2eMark = (w.__e2eMark ?? 0) + 1);
      found[0]!.setAttribute('data-e2e', String(n));
      return String(n);
    },
    [role, name, within ?? null] as [string, string, string | null],
    10_000,
  );
  return `[data-e2e="${id}"]`;
}

export async function clickNamed(page: EnginePage, role: Role, name: string, within?: string): Promise<void> {
  await page.click(await mark(page, role, name, within));
}

export async function waitRows(page: EnginePage, n: number, timeout = 30_000): Promise<void> {
  await waitFor(
    page,
    `${n} rows in the images table`,
    (n: number) => document.querySelectorAll('table[aria-label="Images"] tbody tr').length === n,
    [n] as [number],
    timeout,
  );
}

/** Types a command into the command bar and waits for it to end; gives what it printed. */
export async function runCommand(page: EnginePage, line: string, timeout = 60_000): Promise<string> {
  const before = await page.evaluate(() => document.querySelector('[role="log"]')?.textContent?.length ?? 0);
  await page.type('input[aria-label="Command"]', line, true);
  return waitFor(
    page,
    `\`${line}\` to end`,
    (before: number, echo: string) => {
      const log = document.querySelector('[role="log"]');
      const text = (log?.textContent ?? '').slice(before);
      return text.includes(echo) && log?.getAttribute('aria-busy') === 'false' ? text : null;
    },
    [before, `$ ${line}`] as [number, string],
    timeout,
  );
}

/**
 * From now on in this document: links with `download` are caught instead of followed (the
 * bytes are read back with `takeDownload`), and CSP violations are recorded.
 */
export async function watchPage(page: EnginePage): Promise<void> {
  await page.evaluate(() => {
    type Download = { name: string; href: string };
    const w = window as { __e2e?: { downloads: Download[]; csp: string[]; blobs: Map<string, Blob> } };
    if (w.__e2e) return;
    const state = (w.__e2e = { downloads: [] as Download[], csp: [] as string[], blobs: new Map<string, Blob>() });
    // The bytes behind blob: URLs, kept here: the page's CSP (connect-src) rightly stops a fetch of them.
    const create = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (obj: Blob | MediaSource) => {
      const url = create(obj);
      if (obj instanceof Blob) state.blobs.set(url, obj);
      return url;
    };
    document.addEventListener(
      'click',
      (e) => {
        const a = e.target instanceof Element ? e.target.closest('a[download]') : null;
        if (!(a instanceof HTMLAnchorElement)) return;
        e.preventDefault();
        state.downloads.push({ name: a.download, href: a.href });
      },
      true,
    );
    document.addEventListener('securitypolicyviolation', (e) =>
      state.csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
}

export function cspViolations(page: EnginePage): Promise<string[]> {
  return page.evaluate(() => (window as { __e2e?: { csp: string[] } }).__e2e?.csp ?? []);
}

/** Waits for the next caught download and gives its file name and bytes. */
export async function takeDownload(page: EnginePage, timeout = 30_000): Promise<{ name: string; bytes: Buffer }> {
  const got = await waitFor(
    page,
    'a download link',
    async () => {
      const state = (window as { __e2e?: { downloads: { name: string; href: string }[]; blobs: Map<string, Blob> } })
        .__e2e;
      const d = state?.downloads.shift();
      if (!d) return null;
      const blob = state!.blobs.get(d.href);
      if (!blob) throw new Error(`download ${d.name}: ${d.href} is not a blob this page made`);
      const buf = new Uint8Array(await blob.arrayBuffer());
      let bin = '';
      for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
      return { name: d.name, b64: btoa(bin) };
    },
    [] as [],
    timeout,
  );
  return { name: got.name, bytes: Buffer.from(got.b64, 'base64') };
}
