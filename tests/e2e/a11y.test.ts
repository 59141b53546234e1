/**
 * Every main view and every dialog, in the light and the dark colour scheme, checked by
 * axe-core (WCAG 2.0–2.2 A and AA rules): no serious or critical violation. And at 360 px wide
 * (the narrowest phones people use), no view scrolls sideways: wide content scrolls inside its
 * own region. Runs on the sample image that ships with the app, so it needs no registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axe } from './axe.ts';
import { openSession, runCommand, type Session } from './ui.ts';

let session: Session;
let page: Page;

beforeAll(async () => {
  session = await openSession();
  page = session.page;
  await page.getByRole('button', { name: 'Load sample image' }).click();
  await page.getByTestId('import-result').filter({ hasText: 'Loaded image: layerscope/sample:1.0' }).waitFor();
  // A second name for the image, so the sharing panel shows too.
  await runCommand(page, 'docker tag layerscope/sample:1.0 layerscope/copy:2.0');
  await page.getByRole('button', { name: 'Open layerscope/copy:2.0' }).waitFor();
}, 120_000);

afterAll(async () => {
  await session?.close();
});

const nav = () => page.getByRole('navigation', { name: 'Main' });

async function toImages(): Promise<void> {
  await page.keyboard.press('Escape');
  await nav().getByRole('button', { name: 'Images' }).click();
  await page.getByRole('table', { name: 'Images' }).waitFor();
}

async function openImage(): Promise<void> {
  await toImages();
  await page.getByRole('button', { name: 'Open layerscope/sample:1.0' }).click();
  await page.getByRole('tab', { name: 'Summary' }).waitFor();
}

async function openTab(name: string): Promise<void> {
  await openImage();
  await page.getByRole('tab', { name }).click();
}

/** Each view: how to get there, and what shows it is there. */
/** Ticks every row of the images list (the header checkbox): the bulk actions show. */
async function selectAll(): Promise<void> {
  await toImages();
  await page.getByRole('checkbox', { name: 'Select all shown images' }).check();
  await page.getByRole('group', { name: 'Selected images' }).waitFor();
}

const views: [string, () => Promise<void>][] = [
  ['images', toImages],
  ['images, rows selected', selectAll],
  ['summary', () => openTab('Summary')],
  ['layers', () => openTab('Layers')],
  [
    'files, with a file open',
    async () => {
      await openTab('Files');
      await page.locator('[data-path="README.md"]').click();
      await page.getByTestId('file-text').waitFor();
    },
  ],
  ['size map', () => openTab('Size map')],
  ['history', () => openTab('History')],
  ['inspect', () => openTab('Inspect')],
  [
    'packages',
    async () => {
      await openTab('Packages');
      await page.locator('[data-testid="packages-none"], table[aria-label="Packages"]').first().waitFor();
    },
  ],
  [
    'a link to an image not stored',
    async () => {
      await toImages();
      await page.evaluate(() => (location.hash = '#/image/example.com%2Fabsent%3A1.0/summary'));
      await page.getByRole('heading', { name: 'Not stored in this browser' }).waitFor();
    },
  ],
  [
    'compare, two layers of one image with a file diff',
    async () => {
      await toImages();
      await page.evaluate(
        () => (location.hash = '#/compare/layerscope%2Fsample%3A1.0/layerscope%2Fsample%3A1.0?aLayer=0'),
      );
      await page.getByRole('listbox', { name: 'Changed files' }).waitFor();
      await page.getByRole('listbox', { name: 'Changed files' }).getByRole('option').first().click();
      await page.locator('.compare-diff h3').waitFor();
    },
  ],
  [
    'settings',
    async () => {
      await page.keyboard.press('Escape');
      await nav().getByRole('button', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
    },
  ],
];

const dialogs: [string, () => Promise<void>][] = [
  ['pull', () => page.getByRole('button', { name: 'Pull image' }).click()],
  ['export', () => page.getByRole('button', { name: 'Export…' }).click()],
  ['tag', () => page.getByRole('button', { name: 'Tag… layerscope/sample:1.0' }).click()],
  ['remove', () => page.getByRole('button', { name: 'Remove… layerscope/sample:1.0' }).click()],
  ['prune', () => page.getByRole('button', { name: 'Prune…' }).click()],
  [
    'remove selected',
    async () => {
      await selectAll();
      await page.getByRole('button', { name: 'Remove selected…' }).click();
    },
  ],
  [
    'export selected',
    async () => {
      await selectAll();
      await page.getByRole('button', { name: 'Export selected…' }).click();
    },
  ],
  ['compare', () => page.getByRole('button', { name: 'Compare layerscope/sample:1.0 with another image' }).click()],
];

async function openDialog(open: () => Promise<void>): Promise<void> {
  await toImages();
  await open();
  await page.getByRole('dialog').waitFor();
  // Previews (remove, prune) come from the worker: let them arrive before checking.
  await page.waitForTimeout(300);
}

async function closeDialog(): Promise<void> {
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
}

describe.each(['light', 'dark'] as const)('axe-core, %s scheme', (colorScheme) => {
  beforeAll(async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme });
  });

  it.each(views)('%s has no serious or critical violation', async (_name, go) => {
    await go();
    expect(await axe(page)).toEqual([]);
  });

  it.each(dialogs)('the %s dialog has no serious or critical violation', async (_name, open) => {
    await openDialog(open);
    expect(await axe(page)).toEqual([]);
    await closeDialog();
  });
});

describe('at 360 px wide', () => {
  beforeAll(async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 360, height: 740 });
  });
  afterAll(async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  const overflow = () =>
    page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));

  it.each(views)('%s does not scroll sideways', async (_name, go) => {
    await go();
    const { scrollWidth, clientWidth } = await overflow();
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
  });

  it.each(dialogs)('the %s dialog fits the screen', async (_name, open) => {
    await openDialog(open);
    const box = await page.getByRole('dialog').boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(360);
    const { scrollWidth, clientWidth } = await overflow();
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    await closeDialog();
  });
});

describe('focus follows navigation', () => {
  const focused = () =>
    page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      return { tag: a?.tagName ?? '', id: a?.id ?? '', label: a?.getAttribute('aria-label') ?? '' };
    });

  it('opening an image focuses its title; going back focuses its row', async () => {
    await toImages();
    await page.getByRole('button', { name: 'Open layerscope/sample:1.0' }).click();
    await expect.poll(focused).toMatchObject({ tag: 'H2', id: 'image-title' });
    await page.getByRole('button', { name: 'All images' }).click();
    await expect.poll(focused).toMatchObject({ tag: 'BUTTON', label: 'Open layerscope/sample:1.0' });
  });

  it('the main navigation focuses the new view’s heading', async () => {
    await nav().getByRole('button', { name: 'Settings' }).click();
    await expect.poll(focused).toMatchObject({ tag: 'H2', id: 'settings-heading' });
    await nav().getByRole('button', { name: 'Images' }).click();
    await expect.poll(focused).toMatchObject({ tag: 'H2', id: 'images-heading' });
  });

  it('closing a dialog returns focus to the button that opened it', async () => {
    await page.getByRole('button', { name: 'Prune…' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(focused).toMatchObject({ tag: 'BUTTON' });
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Prune…');
  });
});
