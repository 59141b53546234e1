import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDpkgStatus, parseStanzas } from './dpkg.ts';
import { PackageDbError } from './types.ts';

const enc = (s: string) => new TextEncoder().encode(s);

const tmp = mkdtempSync(join(tmpdir(), 'ls-dpkg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** dpkg-query's own listing of an admin dir: the installed packages, as dpkg sees them. */
function dpkgQuery(admindir: string): string[] {
  const out = execFileSync(
    'dpkg-query',
    ['--admindir=' + admindir, '-W', '-f', '${db:Status-Status} ${Package} ${Version} ${Architecture}\n'],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .filter((l) => l.startsWith('installed '))
    .map((l) => l.slice('installed '.length))
    .sort();
}

describe('dpkg status against dpkg-query', () => {
  // This machine's own status file is a real Debian one (hundreds of packages).
  const status = readFileSync('/var/lib/dpkg/status');
  const admin = join(tmp, 'admin');
  mkdirSync(admin);
  writeFileSync(join(admin, 'status'), status);

  it('lists every installed package with the name, version and architecture dpkg-query prints', () => {
    const want = dpkgQuery(admin);
    expect(want.length).toBeGreaterThan(100);
    const got = parseDpkgStatus(status, '/var/lib/dpkg/status')
      .map((p) => `${p.name} ${p.version} ${p.arch}`)
      .sort();
    expect(got).toEqual(want);
  });

  it('skips stanzas dpkg does not call installed (config-files, half-installed)', () => {
    const extra =
      '\nPackage: gone-pkg\nStatus: deinstall ok config-files\nMaintainer: X <x@y>\nVersion: 1.0\nArchitecture: amd64\nDescription: d\n\n' +
      'Package: half-pkg\nStatus: install reinstreq half-installed\nMaintainer: X <x@y>\nVersion: 2.0\nArchitecture: all\nDescription: d\n';
    const bytes = Buffer.concat([status, Buffer.from(extra)]);
    const admin2 = join(tmp, 'admin2');
    mkdirSync(admin2);
    writeFileSync(join(admin2, 'status'), bytes);
    const want = dpkgQuery(admin2);
    const got = parseDpkgStatus(bytes, 'status').map((p) => `${p.name} ${p.version} ${p.arch}`);
    expect(got.sort()).toEqual(want);
    expect(got.some((l) => l.startsWith('gone-pkg') || l.startsWith('half-pkg'))).toBe(false);
  });

  it('lists a 500-package status in well under 200 ms', () => {
    // Repeat the real file's stanzas under new names up to 500 packages.
    const stanzas = status
      .toString('utf8')
      .split(/\n\n+/)
      .filter((s) => s.trim());
    const parts: string[] = [];
    for (let i = 0; parts.length < 500; i++)
      parts.push(stanzas[i % stanzas.length]!.replace(/^Package: (.*)$/m, `Package: $1-${i}`));
    const big = enc(parts.join('\n\n') + '\n');
    const t0 = performance.now();
    const pkgs = parseDpkgStatus(big, 'status');
    const ms = performance.now() - t0;
    expect(pkgs.length).toBeGreaterThanOrEqual(480);
    expect(ms).toBeLessThan(200);
  });
});

describe('dpkg status parsing', () => {
  it('keeps continuation lines, source names and installed sizes', () => {
    const s = parseStanzas(enc('Package: a\nDescription: short\n long line\n .\n more\n'), 'f');
    expect(s[0]!.get('description')).toBe('short\nlong line\n.\nmore');
    const [p] = parseDpkgStatus(
      enc(
        'Package: libfoo1\nStatus: install ok installed\nInstalled-Size: 12\nArchitecture: amd64\n' +
          'Source: foo (1.2-1)\nVersion: 1:1.2-1+b1\nMaintainer: A <a@b>\n',
      ),
      'f',
    );
    expect(p).toEqual({
      type: 'deb',
      name: 'libfoo1',
      version: '1:1.2-1+b1',
      arch: 'amd64',
      source: 'foo',
      installedSize: 12 * 1024,
      supplier: 'A <a@b>',
    });
  });

  it('reads a distroless status.d file (no Status field)', () => {
    const pkgs = parseDpkgStatus(enc('Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n'), 'x');
    expect(pkgs.map((p) => p.name)).toEqual(['tzdata']);
  });

  it.each([
    ['Package: a\nVersion 1.0\n', /line 2: expected "Field: value"/],
    [' orphan\nPackage: a\n', /line 1: continuation line outside a field/],
    ['Package: a\nPackage: b\nVersion: 1\n', /line 2: duplicate field "Package"/],
    ['Version: 1\nStatus: install ok installed\n', /stanza 1 has no Package field/],
    ['Package: a\nStatus: install ok installed\n', /package a has no Version field/],
  ])('refuses %j naming the file and the fault', (text, re) => {
    expect(() => parseDpkgStatus(enc(text), '/var/lib/dpkg/status')).toThrow(re);
    try {
      parseDpkgStatus(enc(text), '/var/lib/dpkg/status');
    } catch (e) {
      expect(e).toBeInstanceOf(PackageDbError);
      expect((e as Error).message.startsWith('/var/lib/dpkg/status: ')).toBe(true);
    }
  });

  it('refuses a database over the size limit without reading it', () => {
    const huge = new Uint8Array(65 << 20);
    expect(() => parseDpkgStatus(huge, 'status')).toThrow(/exceeds the limit/);
  });
});
