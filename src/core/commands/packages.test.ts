import { describe, expect, it } from 'vitest';
import type { Digest } from '../digest.ts';
import type { ImageRecord } from '../model.ts';
import type { InstalledPackage, PackageHistory } from '../packages/history.ts';
import { renderPackagesTable, runPackagesCommand, type PackagesContext } from './packages.ts';

const d = (c: string): Digest => `sha256:${c.repeat(64 / c.length)}`;

describe('syft table', () => {
  it('matches syft’s own golden (syft/format/table/testdata/snapshot/TestTableEncoder.golden)', () => {
    expect(
      renderPackagesTable([
        { name: 'package-2', version: '2.0.1', type: 'deb' },
        { name: 'package-1', version: '1.0.1', type: 'python' },
      ]),
    ).toBe('NAME       VERSION  TYPE    \npackage-1  1.0.1    python  \npackage-2  2.0.1    deb     \n');
  });

  it('folds duplicates as syft’s markDuplicateRows does, and says when there is nothing', () => {
    const row = { name: 'libc6', version: '2.36-9', type: 'deb' };
    // Columns: name 5, version 7, type 4, note 15 wide; each cell padded, then two spaces.
    const line = (...c: [string, string, string, string]) =>
      c[0].padEnd(5) + '  ' + c[1].padEnd(7) + '  ' + c[2].padEnd(4) + '  ' + c[3].padEnd(15) + '  \n';
    expect(renderPackagesTable([row, row, row, { name: 'a', version: '1', type: 'deb' }])).toBe(
      line('NAME', 'VERSION', 'TYPE', '') +
        line('a', '1', 'deb', '') +
        line('libc6', '2.36-9', 'deb', '(+2 duplicates)'),
    );
    expect(renderPackagesTable([])).toBe('No packages discovered\n');
  });
});

describe('packages command', () => {
  const image: ImageRecord = {
    id: d('a'),
    manifestDigest: d('a0'),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    repoDigests: [],
    platform: { os: 'linux', architecture: 'amd64' },
    layers: [
      {
        digest: d('1'),
        diffId: d('1f'),
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        compressedSize: 1,
        uncompressedSize: 2,
        size: 1,
      },
      {
        digest: d('2'),
        diffId: d('2f'),
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        compressedSize: 1,
        uncompressedSize: 2,
        size: 1,
      },
    ],
    created: '2024-01-01T00:00:00Z',
    size: 2,
    downloadSize: 2,
    configMediaType: 'application/vnd.oci.image.config.v1+json',
    storedAt: 0,
  };
  const pkg = (name: string, version: string, layer: number): InstalledPackage => ({
    type: 'deb',
    name,
    version,
    arch: 'amd64',
    key: `deb/${name}/amd64`,
    database: 'var/lib/dpkg/status',
    addedIn: layer,
    layer,
  });
  const history: PackageHistory = {
    packages: [pkg('libc6', '2.36-9+deb12u4', 0), pkg('curl', '7.88.1-10', 1)],
    changes: [],
    events: [],
    databases: [{ path: '/var/lib/dpkg/status', kind: 'dpkg', layer: 1 }],
    distro: { id: 'debian', versionId: '12' },
    errors: [],
  };
  const ctx: PackagesContext = {
    listImages: async () => [image],
    listTags: async () => [{ name: 'docker.io/library/debian:12', imageId: image.id }],
    packages: async (id) => {
      if (id !== image.id) throw new Error('wrong image');
      return history;
    },
  };
  const run = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const status = await runPackagesCommand(args, ctx, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { status, stdout, stderr };
  };

  it('prints the table for a tag', async () => {
    expect(await run('debian:12')).toEqual({
      status: 0,
      stdout: 'NAME   VERSION         TYPE  \ncurl   7.88.1-10       deb   \nlibc6  2.36-9+deb12u4  deb   \n',
      stderr: '',
    });
  });

  it('prints JSON with purls and the layer of each package', async () => {
    const r = await run('debian:12', '--format', 'json');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.artifacts[1]).toMatchObject({
      name: 'curl',
      purl: 'pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12',
      locations: [{ path: '/var/lib/dpkg/status', layerID: d('2f') }],
      layer: { index: 1, digest: d('2') },
    });
    expect(doc.source).toMatchObject({ type: 'image', id: image.id, userInput: 'debian:12' });
  });

  it('refuses bad usage and unknown images', async () => {
    expect(await run()).toMatchObject({ status: 125, stderr: expect.stringMatching(/requires exactly 1 argument/) });
    expect(await run('debian:12', '--format', 'xml')).toMatchObject({
      status: 125,
      stderr: 'unsupported output format "xml", supported formats are: [table json]\n',
    });
    expect(await run('debian:12', '--format')).toMatchObject({ status: 125 });
    expect(await run('--bogus', 'debian:12')).toMatchObject({
      status: 125,
      stderr: expect.stringMatching(/^unknown flag: --bogus/),
    });
    expect(await run('alpine')).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/^Error: No such image: alpine/),
    });
  });
});
