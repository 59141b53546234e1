import { describe, expect, it } from 'vitest';
import type { LayerEntry } from '../layer/entry.ts';
import { dir, file, opaque, symlink, whiteout } from '../union/test-layers.ts';
import { applyLayers } from '../union/index.ts';
import { fileId, packageHistory, type ReadFiles } from './history.ts';
import { findDatabases, findOsRelease, relevantEntries } from './locate.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const stanza = (name: string, version: string, arch = 'amd64') =>
  `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\nArchitecture: ${arch}\n`;
const status = (...s: string[]) => s.join('\n');

/** Layers whose files carry content: entries as an index holds them, bytes by offset. */
function image(spec: [path: string, content?: string | { link: string } | 'dir' | 'whiteout'][][]) {
  const bytes = new Map<number, Uint8Array>();
  const layers: LayerEntry[][] = spec.map((l) =>
    l.map(([path, c]) => {
      if (c === 'dir') return dir(path);
      if (c === 'whiteout') {
        const i = path.lastIndexOf('/');
        return whiteout(i < 0 ? '' : path.slice(0, i), path.slice(i + 1));
      }
      if (typeof c === 'object') return symlink(path, c.link);
      const b = enc(c ?? '');
      const e = file(path, b.length);
      bytes.set(e.offset, b);
      return e;
    }),
  );
  const reads: number[] = [];
  const read: ReadFiles = async (files) => {
    reads.push(files.length);
    return new Map(files.map((f) => [fileId(f), bytes.get(f.offset)!]));
  };
  return { layers, read, reads };
}

describe('package history', () => {
  it('attributes each package to the layer that added, upgraded or removed it', async () => {
    const { layers, read } = image([
      [
        ['etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'],
        ['var/lib/dpkg/status', status(stanza('base-files', '12.4'), stanza('libc6', '2.36-9'))],
      ],
      [['usr/bin/tool', 'x']],
      [
        [
          'var/lib/dpkg/status',
          status(stanza('base-files', '12.4'), stanza('libc6', '2.36-9+deb12u4'), stanza('curl', '7.88.1-10')),
        ],
      ],
      [
        [
          'var/lib/dpkg/status',
          status(stanza('libc6', '2.36-9+deb12u4'), stanza('curl', '7.88.1-10'), stanza('zz', '1:0.1', 'all')),
        ],
      ],
      [
        [
          'var/lib/dpkg/status',
          status(stanza('libc6', '2.36-9'), stanza('curl', '7.88.1-10'), stanza('zz', '1:0.1', 'all')),
        ],
      ],
    ]);
    const h = await packageHistory(layers, read);
    expect(h.distro).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
    expect(h.packages.map((p) => [p.name, p.version, p.addedIn, p.layer])).toEqual([
      ['curl', '7.88.1-10', 2, 2],
      ['libc6', '2.36-9', 0, 4],
      ['zz', '1:0.1', 3, 3],
    ]);
    expect(h.changes.map((c) => [c.layer, c.kind, c.name, c.previous ?? '', c.version ?? ''])).toEqual([
      [0, 'added', 'base-files', '', '12.4'],
      [0, 'added', 'libc6', '', '2.36-9'],
      [2, 'upgraded', 'libc6', '2.36-9', '2.36-9+deb12u4'],
      [2, 'added', 'curl', '', '7.88.1-10'],
      [3, 'removed', 'base-files', '12.4', ''],
      [3, 'added', 'zz', '', '1:0.1'],
      [4, 'downgraded', 'libc6', '2.36-9+deb12u4', '2.36-9'],
    ]);
    expect(h.databases).toEqual([{ path: '/var/lib/dpkg/status', kind: 'dpkg', layer: 4 }]);
    expect(h.events.filter((e) => e.event === 'written').map((e) => e.layer)).toEqual([0, 2, 3, 4]);
  });

  it('treats a deleted database as unknown, not as every package removed', async () => {
    const { layers, read } = image([
      [['var/lib/dpkg/status', status(stanza('a', '1'), stanza('b', '2'))]],
      [['var/lib/dpkg', 'whiteout']],
    ]);
    const h = await packageHistory(layers, read);
    expect(h.packages).toEqual([]);
    expect(h.changes.filter((c) => c.kind === 'removed')).toEqual([]);
    expect(h.events.at(-1)).toEqual({ layer: 1, path: '/var/lib/dpkg/status', kind: 'dpkg', event: 'removed' });
    expect(h.databases).toEqual([]);
  });

  it('reads distroless status.d one file per package, skipping md5sums', async () => {
    const { layers, read } = image([
      [
        ['var/lib/dpkg/status.d', 'dir'],
        ['var/lib/dpkg/status.d/base-files', stanza('base-files', '12.4+deb12u5')],
        ['var/lib/dpkg/status.d/base-files.md5sums', 'd41d8cd98f00b204e9800998ecf8427e  etc/issue\n'],
      ],
      [['var/lib/dpkg/status.d/libc6', stanza('libc6', '2.36-9+deb12u7')]],
    ]);
    const h = await packageHistory(layers, read);
    expect(h.packages.map((p) => [p.name, p.layer])).toEqual([
      ['base-files', 0],
      ['libc6', 1],
    ]);
    expect(h.databases).toEqual([{ path: '/var/lib/dpkg/status.d', kind: 'dpkg-status.d', layer: 1 }]);
  });

  it('reports an unreadable state and compares the next readable one with the last known', async () => {
    const { layers, read } = image([
      [['var/lib/dpkg/status', status(stanza('a', '1'))]],
      [['var/lib/dpkg/status', 'Package: a\nthis line is broken\n']],
      [['var/lib/dpkg/status', status(stanza('a', '1'), stanza('b', '1'))]],
    ]);
    const h = await packageHistory(layers, read);
    expect(h.events[1]).toMatchObject({ layer: 1, event: 'unreadable' });
    expect(h.events[1]!.message).toMatch(/^\/var\/lib\/dpkg\/status: line 2: expected "Field: value"/);
    expect(h.changes.map((c) => [c.layer, c.kind, c.name])).toEqual([
      [0, 'added', 'a'],
      [2, 'added', 'b'],
    ]);
    expect(h.errors).toEqual([]);
  });

  it('reads apk databases and follows a symlinked database directory', async () => {
    const { layers, read } = image([
      [['lib/apk/db/installed', 'P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\n\n']],
      [
        ['lib/apk/db/installed', 'P:musl\nV:1.2.4-r3\nA:x86_64\nL:MIT\n\nP:zlib\nV:1.3-r0\nA:x86_64\n\n'],
        ['usr/lib/sysimage/rpm', 'dir'],
        ['var/lib/rpm', { link: '../../usr/lib/sysimage/rpm' }],
      ],
    ]);
    const h = await packageHistory(layers, read);
    expect(h.changes.map((c) => [c.layer, c.kind, c.name])).toEqual([
      [0, 'added', 'musl'],
      [1, 'changed', 'musl'],
      [1, 'added', 'zlib'],
    ]);
  });

  it('refuses an rpmdb.sqlite whose write-ahead log was never checkpointed', async () => {
    const { layers, read } = image([
      [
        ['var/lib/rpm/rpmdb.sqlite', 'not read'],
        ['var/lib/rpm/rpmdb.sqlite-wal', 'x'.repeat(100)],
      ],
    ]);
    const h = await packageHistory(layers, read);
    expect(h.errors).toEqual([
      '/var/lib/rpm/rpmdb.sqlite: its write-ahead log (-wal, 100 bytes) was never checkpointed; reading it is not supported',
    ]);
    expect(h.databases).toEqual([{ path: '/var/lib/rpm/rpmdb.sqlite', kind: 'rpm-sqlite', layer: 0 }]);
  });

  it('reports an NDB database it cannot parse as unreadable, naming it', async () => {
    const { layers, read } = image([[['usr/lib/sysimage/rpm/Packages.db', 'not an ndb file at all']]]);
    const h = await packageHistory(layers, read);
    expect(h.errors).toEqual(['/usr/lib/sysimage/rpm/Packages.db: 22 bytes is too short for an NDB database']);
  });

  it('attributes 500 packages over 10 layers in under a second, reading files once', async () => {
    const spec: [string, string][][] = [];
    const all: string[] = [];
    for (let l = 0; l < 10; l++) {
      for (let i = 0; i < 50; i++)
        all.push(
          stanza(`pkg-${l}-${i}`, `1.${i}-${l}`) +
            'Description: a package\n ' +
            'long description line '.repeat(20) +
            '\n',
        );
      spec.push([
        [`usr/share/doc/layer-${l}`, 'x'],
        ['var/lib/dpkg/status', status(...all)],
      ]);
    }
    const { layers, read, reads } = image(spec);
    const t0 = performance.now();
    const h = await packageHistory(layers, read);
    const ms = performance.now() - t0;
    expect(h.packages).toHaveLength(500);
    expect(h.packages.find((p) => p.name === 'pkg-7-3')!.layer).toBe(7);
    expect(reads).toEqual([10]);
    expect(ms).toBeLessThan(1000);
  });
});

describe('relevantEntries', () => {
  it('keeps what finds the same databases as the full view: links followed across layers, whiteouts, opaque dirs', async () => {
    const noise = (l: number) =>
      Array.from({ length: 200 }, (_, i) => [`usr/share/doc/p${l}_${i}/copyright`, 'c'] as [string, string]);
    const { layers } = image([
      [
        ['usr/lib/os-release', 'ID=alpine\n'],
        ['etc/os-release', { link: '../usr/lib/os-release' }],
        // merged-usr: lib/apk/db/installed lives in usr/lib/apk/db.
        ['lib', { link: 'usr/lib' }],
        ['usr/lib/apk/db/installed', 'P:musl\nV:1.2\nA:x86_64\n'],
        ['var/lib/rpm', { link: '../../opt/rpmdb' }],
        ['opt/rpmdb/rpmdb.sqlite', 'not a database'],
        ['opt/rpmdb/rpmdb.sqlite-wal', ''],
        ...noise(0),
      ],
      [['var/lib/dpkg/status.d/base', stanza('base', '1')], ['var/lib/dpkg/status.d/base.md5sums', 'x'], ...noise(1)],
      [
        ['var/lib/dpkg/status.d/base', 'whiteout'],
        ['var/lib/dpkg/status.d/tzdata', stanza('tzdata', '2')],
      ],
      [['usr/lib/apk/db/installed', 'P:busybox\nV:1.36\nA:x86_64\n']],
    ]);
    layers[3]!.unshift(opaque('usr/lib/apk/db'));
    const kept = relevantEntries(layers);
    const dbs = (ls: readonly (readonly LayerEntry[])[]) => {
      const out: unknown[] = [];
      applyLayers(ls, { beforeLayer: (_, below) => out.push(findDatabases(below), findOsRelease(below)) });
      const v = applyLayers(ls);
      out.push(findDatabases(v.entries), findOsRelease(v.entries));
      return out;
    };
    expect(dbs(kept)).toEqual(dbs(layers));
    // The found ones are the ones expected, through the links.
    const final = applyLayers(kept).entries;
    expect(findDatabases(final).map((d) => [d.kind, d.files.map((f) => f.path)])).toEqual([
      ['dpkg-status.d', ['var/lib/dpkg/status.d/tzdata']],
      ['apk', ['usr/lib/apk/db/installed']],
      ['rpm-sqlite', ['opt/rpmdb/rpmdb.sqlite']],
    ]);
    expect(findOsRelease(final)?.path).toBe('usr/lib/os-release');
    // And the noise is gone.
    expect(kept.reduce((n, l) => n + l.length, 0)).toBeLessThan(20);
    expect(layers.reduce((n, l) => n + l.length, 0)).toBeGreaterThan(400);
  });
});
