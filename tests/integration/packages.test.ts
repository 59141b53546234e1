/**
 * Packages of a pulled image, layer by layer, against independent judges: `dpkg-query` on the
 * status file as it stands after each layer (this machine's own status file is a real Debian
 * one, ~1,000 packages, cut into three states), and `rpm -qa` on a database Debian's rpm wrote
 * with packages rpmbuild built. The SBOM exports validate against the official schemas in
 * src/core/sbom/sbom.test.ts; here they are checked to carry every package.
 */
import 'fake-indexeddb/auto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/app/engine.ts';
import { PackageScanner } from '../../src/app/packages.ts';
import type { StoredLayer } from '../../src/app/store-port.ts';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';

let reg: TestRegistry;
let layout: TestLayout;
let img: PushedImage;
let engine: Engine;
let tmp: string;
/** The status file after layers 0, 1 and 3 (layer 2 holds no database change). */
const states: string[] = [];
let rpmdb: Uint8Array | undefined;

function dpkgQuery(status: string): string[] {
  const admin = mkdtempSync(join(tmp, 'admin-'));
  writeFileSync(join(admin, 'status'), status);
  return execFileSync(
    'dpkg-query',
    ['--admindir=' + admin, '-W', '-f', '${db:Status-Status} ${Package} ${Version} ${Architecture}\n'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  )
    .split('\n')
    .filter((l) => l.startsWith('installed '))
    .map((l) => l.slice(10))
    .sort();
}

function buildRpmdb(): Uint8Array {
  let spec = 'Name: ls-base\nVersion: 9.1\nRelease: 2.el9\nSummary: s\nLicense: MIT\n%description\nd\n%files\n';
  for (let i = 0; i < 5; i++)
    spec += `%package -n ls-tool-${i}\nSummary: t\nBuildArch: noarch\n%description -n ls-tool-${i}\nd\n%files -n ls-tool-${i}\n`;
  writeFileSync(join(tmp, 'p.spec'), spec);
  execFileSync('rpmbuild', ['--define', `_topdir ${join(tmp, 'top')}`, '-bb', join(tmp, 'p.spec')], {
    stdio: 'ignore',
  });
  const rpms: string[] = [];
  for (const a of readdirSync(join(tmp, 'top/RPMS')))
    for (const f of readdirSync(join(tmp, 'top/RPMS', a))) rpms.push(join(tmp, 'top/RPMS', a, f));
  mkdirSync(join(tmp, 'rpmdb'));
  execFileSync(
    'rpm',
    ['--dbpath', join(tmp, 'rpmdb'), '-i', '--justdb', '--nodeps', '--ignorearch', '--ignoreos', ...rpms],
    {
      stdio: 'ignore',
    },
  );
  return readFileSync(join(tmp, 'rpmdb', 'rpmdb.sqlite'));
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-packages-'));
  const stanzas = readFileSync('/var/lib/dpkg/status', 'utf8')
    .split(/\n\n+/)
    .filter((s) => s.trim());
  const upgraded = stanzas[5]!.replace(/^Version: (.*)$/m, 'Version: $1+ls1');
  // After layer 0: the first 300; layer 1: all, one upgraded; layer 3: the 10th removed.
  states.push(stanzas.slice(0, 300).join('\n\n') + '\n');
  const all = stanzas.map((s, i) => (i === 5 ? upgraded : s));
  states.push(all.join('\n\n') + '\n');
  states.push(all.filter((_, i) => i !== 10).join('\n\n') + '\n');
  rpmdb = buildRpmdb();
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({
    tag: 'x',
    layers: [
      {
        'etc/os-release': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
        'var/lib/dpkg/status': states[0]!,
      },
      { 'var/lib/dpkg/status': states[1]! },
      { 'usr/local/bin/app': 'binary', ...(rpmdb ? { 'var/lib/rpm/rpmdb.sqlite': rpmdb } : {}) },
      { 'var/lib/dpkg/status': states[2]! },
    ],
  });
  img = await pushLayoutImage(reg, layout, 'x', 'packages/x', 'v1', { format: 'oci' });
  engine = await testEngine();
  const r = await engine.pull('p', `${reg.host}/packages/x:v1`, undefined, () => {});
  expect(r.ok).toBe(true);
}, 180_000);

afterAll(async () => {
  await reg?.stop();
  await layout?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('packages of a pulled image', () => {
  it('lists what dpkg-query (and rpm -qa) list for the final image', async () => {
    // The database bytes were kept when the layers were ingested: no layer blob is read.
    const store = await engine.store();
    const readBlob = store.readBlob.bind(store);
    const reads: string[] = [];
    store.readBlob = (d, o) => (reads.push(d), readBlob(d, o));
    const t0 = performance.now();
    const p = await engine.packages(img.configDigest!).finally(() => (store.readBlob = readBlob));
    const ms = performance.now() - t0;
    const image = (await store.getImage(img.configDigest! as `sha256:${string}`))!;
    expect(reads.filter((d) => image.layers.some((l) => l.digest === d))).toEqual([]);
    const deb = p.packages.filter((x) => x.type === 'deb').map((x) => `${x.name} ${x.version} ${x.arch}`);
    expect(deb.sort()).toEqual(dpkgQuery(states[2]!));
    expect(deb.length).toBeGreaterThan(500);
    if (rpmdb) {
      const want = execFileSync(
        'rpm',
        ['--dbpath', join(tmp, 'rpmdb'), '-qa', '--qf', '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n'],
        {
          encoding: 'utf8',
        },
      )
        .split('\n')
        .filter(Boolean)
        .sort();
      const rpm = p.packages.filter((x) => x.type === 'rpm').map((x) => `${x.name} ${x.version} ${x.arch}`);
      expect(rpm.sort()).toEqual(want);
      expect(p.packages.find((x) => x.type === 'rpm')!.layer).toBe(2);
    }
    expect(p.distro).toMatchObject({ id: 'debian', versionId: '12' });
    expect(p.layers).toHaveLength(4);
    // Reading four layers and parsing three ~1,000-package states; generous for a shared CI box.
    expect(ms).toBeLessThan(2000);
    console.log(`packages: ${p.packages.length} packages over 4 layers in ${ms.toFixed(0)} ms`);
  });

  it('prints syft’s table from the command bar (`packages IMAGE`), one row per package dpkg-query lists', async () => {
    let stdout = '';
    let stderr = '';
    const sink = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t) };
    expect(await engine.run('c', `packages ${reg.host}/packages/x:v1`, sink)).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +VERSION +TYPE/);
    const debRows = lines.slice(1).filter((l) => / deb\b/.test(l));
    const debNames = new Set(dpkgQuery(states[2]!).map((l) => l.split(' ')[0]));
    expect(new Set(debRows.map((l) => l.split(/\s+/)[0]))).toEqual(debNames);
  });

  it('attributes each package to the layer whose database change added, upgraded or removed it', async () => {
    const p = await engine.packages(img.configDigest!);
    // Each layer's additions and removals are what dpkg-query lists differently before and after it.
    const before = [[] as string[], dpkgQuery(states[0]!), dpkgQuery(states[1]!)];
    const after = [dpkgQuery(states[0]!), dpkgQuery(states[1]!), dpkgQuery(states[2]!)];
    const layerOf = [0, 1, 3];
    for (let s = 0; s < 3; s++) {
      const names = (l: string[]) => new Map(l.map((x) => [x.split(' ')[0] + ' ' + x.split(' ')[2], x.split(' ')[1]]));
      const b = names(before[s]!);
      const a = names(after[s]!);
      const added = [...a.keys()].filter((k) => !b.has(k)).sort();
      const removed = [...b.keys()].filter((k) => !a.has(k)).sort();
      const changed = [...a.keys()].filter((k) => b.has(k) && b.get(k) !== a.get(k)).sort();
      const ch = p.changes.filter((c) => c.layer === layerOf[s] && c.type === 'deb');
      const key = (c: { name: string; arch: string }) => `${c.name} ${c.arch}`;
      expect(
        ch
          .filter((c) => c.kind === 'added')
          .map(key)
          .sort(),
      ).toEqual(added);
      expect(
        ch
          .filter((c) => c.kind === 'removed')
          .map(key)
          .sort(),
      ).toEqual(removed);
      expect(
        ch
          .filter((c) => c.kind === 'upgraded' || c.kind === 'downgraded' || c.kind === 'changed')
          .map(key)
          .sort(),
      ).toEqual(changed);
    }
    expect(p.changes.filter((c) => c.kind === 'upgraded')).toHaveLength(1);
  });

  it('exports SPDX and CycloneDX documents carrying every package', async () => {
    const p = await engine.packages(img.configDigest!);
    const spdx = await engine.packageSbom(img.configDigest!, 'spdx');
    expect(spdx.fileName).toMatch(/\.spdx\.json$/);
    expect(JSON.parse(spdx.text).packages).toHaveLength(p.packages.length + 1);
    const cdx = await engine.packageSbom(img.configDigest!, 'cyclonedx');
    expect(JSON.parse(cdx.text).components.filter((c: { type: string }) => c.type === 'library')).toHaveLength(
      p.packages.length,
    );
  });

  it('reads from the layer blobs when a layer was stored without its database bytes (ingested before they were kept)', async () => {
    const store = await engine.store();
    const image = (await store.getImage(img.configDigest! as `sha256:${string}`))!;
    const kept: Record<string, number> = {};
    for (const l of image.layers) {
      const v = (await store.getLayerIndex<StoredLayer>(l.diffId))!;
      kept[l.diffId] = v.packageFiles!.length;
      // As a layer ingested before the capture existed: no packageFiles field.
      const { packageFiles: _, ...old } = v;
      await store.putLayerIndex(l.diffId, old);
    }
    // Layers 0, 1 and 3 hold a status file (layer 0 also os-release), layer 2 the rpmdb.
    expect(image.layers.map((l) => kept[l.diffId])).toEqual([2, 1, rpmdb ? 1 : 0, 1]);
    const readBlob = store.readBlob.bind(store);
    const reads: string[] = [];
    store.readBlob = (d, o) => (reads.push(d), readBlob(d, o));
    try {
      const p = await new PackageScanner(() => engine.store()).packages(img.configDigest! as `sha256:${string}`);
      const deb = p.packages.filter((x) => x.type === 'deb').map((x) => `${x.name} ${x.version} ${x.arch}`);
      expect(deb.sort()).toEqual(dpkgQuery(states[2]!));
      expect(p.distro).toMatchObject({ id: 'debian', versionId: '12' });
    } finally {
      store.readBlob = readBlob;
    }
    expect(new Set(reads)).toEqual(new Set(image.layers.filter((_, i) => i !== 2 || rpmdb).map((l) => l.digest)));
  });

  it('an image loaded from an archive (skopeo’s docker-archive of the same layout) lists its packages reading no layer blob', async () => {
    const tar = join(tmp, 'x.tar');
    execFileSync('skopeo', ['copy', `oci:${layout.layout}:x`, `docker-archive:${tar}:packages/x:v1`], {
      stdio: 'ignore',
    });
    const other = await testEngine();
    const r = await other.importArchive('j', new Blob([readFileSync(tar)]), () => {});
    expect(r.imageIds).toEqual([img.configDigest]);
    const store = await other.store();
    const readBlob = store.readBlob.bind(store);
    const reads: string[] = [];
    store.readBlob = (d, o) => (reads.push(d), readBlob(d, o));
    const p = await other.packages(img.configDigest!).finally(() => (store.readBlob = readBlob));
    const image = (await store.getImage(img.configDigest! as `sha256:${string}`))!;
    expect(reads.filter((d) => image.layers.some((l) => l.digest === d))).toEqual([]);
    const deb = p.packages.filter((x) => x.type === 'deb').map((x) => `${x.name} ${x.version} ${x.arch}`);
    expect(deb.sort()).toEqual(dpkgQuery(states[2]!));
  });

  it('compares the packages of two images', async () => {
    const d = await engine.comparePackages(img.configDigest!, img.configDigest!);
    expect(d.rows).toEqual([]);
    expect(d.unchanged).toBe((await engine.packages(img.configDigest!)).packages.length);
  });
});
