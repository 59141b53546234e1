/**
 * A real Debian root filesystem as an image layer: the package list Layerscope reads from the
 * pulled image must be exactly what `dpkg-query --admindir=<root>/var/lib/dpkg -W` prints.
 *
 * Opt-in, because making the root takes minutes and the network to Debian's mirrors:
 *   debootstrap --variant=minbase bookworm /tmp/dbs-root http://deb.debian.org/debian
 *   LAYERSCOPE_DEBOOTSTRAP_ROOT=/tmp/dbs-root npx vitest run --project unit tests/integration/packages-debootstrap.test.ts
 */
import 'fake-indexeddb/auto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/app/engine.ts';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';

const root = process.env.LAYERSCOPE_DEBOOTSTRAP_ROOT;

describe.skipIf(!root)('a debootstrap root filesystem', () => {
  let reg: TestRegistry;
  let layout: TestLayout;
  let img: PushedImage;
  let engine: Engine;
  let tmp: string;
  const extra =
    'Package: ls-extra\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\nMaintainer: X <x@y>\nDescription: d\n';

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'layerscope-debootstrap-'));
    layout = await TestLayout.create();
    const image = `${layout.layout}:deb`;
    const bundle = join(tmp, 'bundle');
    execFileSync('umoci', ['new', '--image', image]);
    execFileSync('umoci', ['unpack', '--image', image, bundle]);
    execFileSync('cp', ['-a', `${root}/.`, join(bundle, 'rootfs')]);
    execFileSync('umoci', ['repack', '--image', image, bundle]);
    rmSync(bundle, { recursive: true, force: true });
    // A second layer: one more package in the status file, as `apt-get install` would leave it.
    const status = readFileSync(join(root!, 'var/lib/dpkg/status'), 'utf8');
    await layout.build({
      tag: 'deb2',
      from: 'deb',
      layers: [{ 'var/lib/dpkg/status': status.trimEnd() + '\n\n' + extra }],
    });
    reg = await startRegistry();
    img = await pushLayoutImage(reg, layout, 'deb2', 'debootstrap/x', 'v1', { format: 'oci' });
    engine = await testEngine();
    const r = await engine.pull('p', `${reg.host}/debootstrap/x:v1`, undefined, () => {});
    expect(r.ok).toBe(true);
  }, 600_000);

  afterAll(async () => {
    await reg?.stop();
    await layout?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('lists every package dpkg-query lists, each attributed to its layer', async () => {
    const want = execFileSync(
      'dpkg-query',
      ['--admindir=' + join(root!, 'var/lib/dpkg'), '-W', '-f', '${Package} ${Version} ${Architecture}\n'],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    const p = await engine.packages(img.configDigest!);
    const got = p.packages.map((x) => `${x.name} ${x.version} ${x.arch}`).sort();
    expect(got).toEqual([...want, 'ls-extra 1.0-1 all'].sort());
    expect(p.packages.filter((x) => x.layer === 1).map((x) => x.name)).toEqual(['ls-extra']);
    expect(p.distro?.id).toBe('debian');
  });
});
