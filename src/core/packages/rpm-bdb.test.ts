import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRpmBdb } from './rpmdb-bdb.ts';
import { SqliteFile } from './sqlite.ts';

/* Debian's rpm writes only sqlite databases but still reads BerkeleyDB ones (its bdb_ro
 * backend, what RHEL 8's Packages is read with). The database is made the way it is on disk:
 * rpm writes the headers (sqlite), Berkeley DB's own db5.3_load (apt-get install db5.3-util)
 * stores them in a hash database keyed by header number, and `rpm --define
 * '_db_backend bdb_ro' -qa` is the judge of what that database holds. */

const tmp = mkdtempSync(join(tmpdir(), 'ls-bdb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('rpm Packages (BerkeleyDB hash) against rpm bdb_ro', () => {
  const bdb = join(tmp, 'bdb');
  beforeAll(() => {
    // Enough packages that every hash bucket page is written (rpm's reader refuses a database
    // with a never-written bucket page, as db_load leaves for a tiny one).
    let spec = 'Name: ls-main\nVersion: 1.2.3\nRelease: 4.el8\nSummary: m\nLicense: MIT\n%description\nm\n%files\n';
    for (let i = 0; i < 60; i++)
      spec +=
        `%package -n ls-sub-${i}\nSummary: s\nVersion: 0.${i}\nRelease: 1.el8\nBuildArch: noarch\n` +
        `%description -n ls-sub-${i}\n${i % 2 ? 'long text '.repeat(300) : 'short'}\n%files -n ls-sub-${i}\n`;
    writeFileSync(join(tmp, 'a.spec'), spec);
    execFileSync('rpmbuild', ['--define', `_topdir ${join(tmp, 'top')}`, '-bb', join(tmp, 'a.spec')], {
      stdio: 'ignore',
    });
    const rpms: string[] = [];
    for (const a of readdirSync(join(tmp, 'top/RPMS')))
      for (const f of readdirSync(join(tmp, 'top/RPMS', a))) rpms.push(join(tmp, 'top/RPMS', a, f));
    mkdirSync(join(tmp, 'sql'));
    execFileSync(
      'rpm',
      ['--dbpath', join(tmp, 'sql'), '-i', '--justdb', '--nodeps', '--ignorearch', '--ignoreos', ...rpms],
      {
        stdio: 'ignore',
      },
    );
    const db = new SqliteFile(readFileSync(join(tmp, 'sql/rpmdb.sqlite')), 'sql');
    const hex = (b: Uint8Array) => [...b].map((x) => '\\' + x.toString(16).padStart(2, '0')).join('');
    let text = '';
    for (const r of db.rows(db.tableRoot('Packages')!)) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, r.rowid, true);
      text += hex(key) + '\n' + hex(r.values[1] as Uint8Array) + '\n';
    }
    mkdirSync(bdb);
    execFileSync('db5.3_load', ['-T', '-t', 'hash', join(bdb, 'Packages')], { input: text });
  }, 120_000);

  it('lists every package rpm lists, with name, version-release and architecture', () => {
    const want = execFileSync(
      'rpm',
      ['--define', '_db_backend bdb_ro', '--dbpath', bdb, '-qa', '--qf', '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(want).toHaveLength(61);
    const got = readRpmBdb(readFileSync(join(bdb, 'Packages')), '/var/lib/rpm/Packages');
    expect(got.map((p) => `${p.name} ${p.version} ${p.arch}`).sort()).toEqual(want);
  });

  it('refuses a broken database with an error naming the file', () => {
    const bytes = readFileSync(join(bdb, 'Packages'));
    expect(() => readRpmBdb(bytes.subarray(0, 100), '/var/lib/rpm/Packages')).toThrow(
      /^\/var\/lib\/rpm\/Packages: .* too short/,
    );
    const bad = Uint8Array.from(bytes);
    bad[12] = 0;
    expect(() => readRpmBdb(bad, 'P')).toThrow(/not a Berkeley DB hash database/);
    // Point every off-page item's first overflow page past the end of the file.
    const spoiled = Uint8Array.from(bytes);
    const dv = new DataView(spoiled.buffer);
    const ps = dv.getUint32(20, true);
    let changed = 0;
    for (let pg = 1; pg < spoiled.length / ps; pg++) {
      const at = pg * ps;
      if (spoiled[at + 25] !== 13) continue;
      const n = dv.getUint16(at + 20, true);
      for (let i = 1; i < n; i += 2) {
        const off = dv.getUint16(at + 26 + 2 * i, true);
        if (spoiled[at + off] === 3) {
          dv.setUint32(at + off + 4, 1_000_000, true);
          changed++;
        }
      }
    }
    expect(changed).toBeGreaterThan(0);
    expect(() => readRpmBdb(spoiled, 'P')).toThrow(/overflow page 1000000 is outside the file/);
  });
});
