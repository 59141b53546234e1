/**
 * Packages changed between two images, in the compare view's Packages tab. Two images, each
 * with a real Debian status file (stanzas of this machine's /var/lib/dpkg/status) and an
 * rpmdb.sqlite that Debian's rpm wrote with packages rpmbuild built, are pushed and pulled in
 * the app. The expected rows come from `dpkg-query -W` and `rpm -qa` on each image's databases;
 * which way a version moved from `dpkg --compare-versions` and rpm's own `rpm.vercmp`. Then the
 * kind toggles and the filter (kept in the URL), the tab by keyboard, a deep link, 360 px,
 * both colour schemes (axe) and Japanese.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axe } from './axe.ts';
import { openSession, runCommand, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout } from '../helpers/registry-images.ts';

let session: Session;
let page: Page;
let reg: TestRegistry;
let layout: TestLayout;
let tmp: string;
const status: Record<'a' | 'b', string> = { a: '', b: '' };
const rpmdbDir: Record<'a' | 'b', string> = { a: '', b: '' };
const ref = (tag: string) => `${reg.host}/pkgcompare/${tag}:v1`;

type Kind = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'changed';
interface Row {
  kind: Kind;
  name: string;
  arch: string;
  a: string;
  b: string;
}

/** `type name arch` → version, of each installed package dpkg-query and rpm -qa list. */
function judge(side: 'a' | 'b'): Map<string, string> {
  const admin = mkdtempSync(join(tmp, 'admin-'));
  writeFileSync(join(admin, 'status'), status[side]);
  const out = new Map<string, string>();
  for (const l of execFileSync(
    'dpkg-query',
    ['--admindir=' + admin, '-W', '-f', '${db:Status-Status} ${Package} ${Version} ${Architecture}\n'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  ).split('\n')) {
    const [st, name, version, arch] = l.split(' ');
    if (st === 'installed') out.set(`deb ${name} ${arch}`, version!);
  }
  for (const l of execFileSync(
    'rpm',
    ['--dbpath', rpmdbDir[side], '-qa', '--qf', '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n'],
    {
      encoding: 'utf8',
    },
  )
    .split('\n')
    .filter(Boolean)) {
    const [name, version, arch] = l.split(' ');
    out.set(`rpm ${name} ${arch}`, version!);
  }
  return out;
}

/** The rows the tab must show: the judges' lists compared, directions from dpkg and rpm. */
function expectedRows(): Row[] {
  const a = judge('a');
  const b = judge('b');
  const rows: Row[] = [];
  const direction = (type: string, x: string, y: string): Kind => {
    if (type === 'deb') {
      const lt = (p: string, q: string) => {
        try {
          execFileSync('dpkg', ['--compare-versions', p, 'lt', q]);
          return true;
        } catch {
          return false;
        }
      };
      return lt(x, y) ? 'upgraded' : lt(y, x) ? 'downgraded' : 'changed';
    }
    const c = Number(execFileSync('rpm', ['--eval', `%{lua:print(rpm.vercmp('${x}', '${y}'))}`], { encoding: 'utf8' }));
    return c < 0 ? 'upgraded' : c > 0 ? 'downgraded' : 'changed';
  };
  for (const [k, v] of a) {
    const [type, name, arch] = k.split(' ') as [string, string, string];
    const w = b.get(k);
    if (w === undefined) rows.push({ kind: 'removed', name, arch, a: v, b: '' });
    else if (w !== v) rows.push({ kind: direction(type, v, w), name, arch, a: v, b: w });
  }
  for (const [k, w] of b) {
    const [, name, arch] = k.split(' ') as [string, string, string];
    if (!a.has(k)) rows.push({ kind: 'added', name, arch, a: '', b: w });
  }
  return rows.sort((x, y) => (`${x.name} ${x.arch}` < `${y.name} ${y.arch}` ? -1 : 1));
}

/** Two rpm databases: A with ls-base 1.0 and tools 0 and 1; B with 1.1, tools 0 and 2. */
function buildRpmdbs(): void {
  for (const [side, version, tools] of [
    ['a', '1.0', [0, 1]],
    ['b', '1.1', [0, 2]],
  ] as const) {
    let spec = `Name: ls-base\nVersion: ${version}\nRelease: 1\nSummary: s\nLicense: MIT\n%description\nd\n%files\n`;
    for (const i of tools)
      spec += `%package -n ls-tool-${i}\nSummary: t\nBuildArch: noarch\n%description -n ls-tool-${i}\nd\n%files -n ls-tool-${i}\n`;
    const top = join(tmp, `top-${side}`);
    writeFileSync(join(tmp, `${side}.spec`), spec);
    execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', join(tmp, `${side}.spec`)], { stdio: 'ignore' });
    const rpms: string[] = [];
    for (const arch of readdirSync(join(top, 'RPMS')))
      for (const f of readdirSync(join(top, 'RPMS', arch))) rpms.push(join(top, 'RPMS', arch, f));
    rpmdbDir[side] = join(tmp, `rpmdb-${side}`);
    mkdirSync(rpmdbDir[side]);
    execFileSync(
      'rpm',
      ['--dbpath', rpmdbDir[side], '-i', '--justdb', '--nodeps', '--ignorearch', '--ignoreos', ...rpms],
      { stdio: 'ignore' },
    );
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-e2e-pkgcompare-'));
  const stanzas = readFileSync('/var/lib/dpkg/status', 'utf8')
    .split(/\n\n+/)
    .filter((s) => /^Status: install ok installed$/m.test(s));
  // A: the first 80. B: three removed, five added, one upgraded, one downgraded.
  status.a = stanzas.slice(0, 80).join('\n\n') + '\n';
  status.b =
    stanzas
      .slice(0, 85)
      .filter((_, i) => i < 10 || i > 12)
      .map((s, i) =>
        i === 5
          ? s.replace(/^Version: (.*)$/m, 'Version: $1+ls1')
          : i === 6
            ? s.replace(/^Version: (.*)$/m, 'Version: 0.0.0~ls1')
            : s,
      )
      .join('\n\n') + '\n';
  buildRpmdbs();
  reg = await startRegistry();
  layout = await TestLayout.create();
  for (const side of ['a', 'b'] as const) {
    await layout.build({
      tag: side,
      layers: [
        {
          'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
          'var/lib/dpkg/status': status[side],
          'var/lib/rpm/rpmdb.sqlite': readFileSync(join(rpmdbDir[side], 'rpmdb.sqlite')),
        },
      ],
    });
    await pushLayoutImage(reg, layout, side, `pkgcompare/${side}`, 'v1', { format: 'oci' });
  }
  session = await openSession({ PROXY_ALLOW_HOSTS: reg.host }, { viewport: { width: 1280, height: 800 } });
  ({ page } = session);
  await page.emulateMedia({ colorScheme: 'light' });
  for (const side of ['a', 'b'])
    expect(await runCommand(page, `docker pull ${ref(side)}`)).toContain(`Downloaded newer image for ${ref(side)}`);
}, 240_000);

afterAll(async () => {
  await session?.close();
  await reg?.stop();
  await layout?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const tableRows = () =>
  page.getByRole('table', { name: 'Packages' }).evaluate((t) =>
    [...t.querySelectorAll('tbody tr')].map((tr) => {
      const td = [...tr.querySelectorAll('td')].map((c) => c.textContent?.trim() ?? '');
      return { kind: tr.getAttribute('data-kind'), name: td[1], arch: td[2], a: td[3], b: td[4] };
    }),
  );
const hash = () => page.evaluate(() => decodeURIComponent(location.hash));

describe('packages changed between two images', () => {
  const link = () => `#/compare/${encodeURIComponent(ref('a'))}/${encodeURIComponent(ref('b'))}`;

  it('lists what dpkg-query and rpm -qa list differently, each with both versions and its direction', async () => {
    const want = expectedRows();
    // The fixtures hold every kind but `changed` (a version that differs and orders equal).
    const count = (k: Kind) => want.filter((r) => r.kind === k).length;
    expect([count('added'), count('removed'), count('upgraded'), count('downgraded')]).toEqual([6, 4, 3, 1]);
    await page.evaluate((h) => (location.hash = h), link());
    await page.getByRole('tab', { name: 'Files' }).waitFor();
    expect(await page.getByRole('tab', { name: 'Files' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('tab', { name: 'Packages' }).click();
    await expect.poll(hash).toBe(`#/compare/${ref('a')}/${ref('b')}/packages`);
    await page.getByRole('table', { name: 'Packages' }).waitFor();
    await expect.poll(async () => (await tableRows()).length).toBe(want.length);
    expect(await tableRows()).toEqual(want);
    for (const k of ['added', 'removed', 'upgraded', 'downgraded', 'changed'] as const)
      expect(await page.getByTestId(`pkg-count-${k}`).locator('.count').textContent()).toBe(String(count(k)));
    // Every package both judges list in both images with one version is unchanged.
    const a = judge('a');
    const b = judge('b');
    const same = [...a].filter(([k, v]) => b.get(k) === v).length;
    expect(await page.getByTestId('pkg-unchanged').textContent()).toBe(
      `${same} packages have the same version in both.`,
    );
  });

  it('filters by kind and by name or version, keeping both in the URL', async () => {
    const want = expectedRows();
    await page.getByTestId('pkg-count-added').click();
    await page.getByTestId('pkg-count-removed').click();
    await expect
      .poll(async () => (await tableRows()).map((r) => r.kind))
      .toEqual(want.filter((r) => r.kind === 'upgraded' || r.kind === 'downgraded').map((r) => r.kind));
    await expect.poll(hash).toContain('/packages?pkind=upgraded,downgraded,changed');
    await page.getByRole('searchbox', { name: 'Filter packages (name or version)' }).fill('ls-tool');
    await expect.poll(async () => (await tableRows()).map((r) => r.name)).toEqual(['ls-tool-0']);
    await expect.poll(hash).toContain('pkg=ls-tool');
    // A deep link to the filtered tab shows the same.
    const url = page.url().split('#')[0]!;
    const h = await page.evaluate(() => location.hash);
    await page.goto('about:blank');
    await page.goto(url + h);
    await expect
      .poll(async () => (await tableRows()).map((r) => `${r.name} ${r.a} ${r.b}`))
      .toEqual(['ls-tool-0 1.0-1 1.1-1']);
    expect(await page.getByTestId('pkg-count-added').getAttribute('aria-pressed')).toBe('false');
    await page.getByRole('searchbox', { name: 'Filter packages (name or version)' }).fill('');
    await page.getByTestId('pkg-count-added').click();
    await page.getByTestId('pkg-count-removed').click();
    await expect.poll(async () => (await tableRows()).length).toBe(want.length);
  });

  it('switches tabs by keyboard', async () => {
    await page.getByRole('tab', { name: 'Packages' }).focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByRole('tab', { name: 'Files' }).getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Files');
    await expect.poll(hash).toBe(`#/compare/${ref('a')}/${ref('b')}`);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByRole('tab', { name: 'Packages' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('table', { name: 'Packages' }).waitFor();
  });

  it.each(['light', 'dark'] as const)('has no serious or critical axe-core violation, %s scheme', async (scheme) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.getByRole('table', { name: 'Packages' }).waitFor();
    expect(await axe(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('does not scroll sideways at 360 px; the table scrolls in its own region', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      expect(await page.getByRole('region', { name: 'Packages', exact: true }).getAttribute('tabindex')).toBe('0');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('speaks Japanese', async () => {
    await page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    try {
      await expect.poll(() => page.getByRole('tab', { name: 'パッケージ' }).getAttribute('aria-selected')).toBe('true');
      await page.getByRole('table', { name: 'パッケージ' }).waitFor();
      expect(await page.getByTestId('pkg-count-upgraded').textContent()).toContain('アップグレード');
      expect(await page.getByRole('searchbox', { name: 'パッケージを絞り込む (名前またはバージョン)' }).count()).toBe(
        1,
      );
    } finally {
      await page.getByRole('combobox', { name: '言語' }).selectOption('en');
    }
  });
});
