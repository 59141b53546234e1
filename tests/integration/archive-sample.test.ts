/**
 * The shipped sample archive: reproducible from samples/hello by scripts/make-sample.ts, the
 * committed file up to date, loadable by us (with a whiteout to show) and by skopeo / umoci.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLayers } from '../../src/core/union/index.ts';
import { loadArchive } from '../../src/app/archive.ts';
import { layerEntries } from '../../src/app/store-port.ts';
import { buildSample, SAMPLE_OUTPUT } from '../../scripts/make-sample.ts';
import { bytesStream, memStore } from '../helpers/archive.ts';
import { umoci, walkRootfs } from '../helpers/umoci.ts';

const exec = promisify(execFile);
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'layerscope-sample-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('public/sample/layerscope-sample.tar', () => {
  it('is rebuilt byte for byte, twice, and the committed file is current and small', async () => {
    const [a, b] = [await buildSample(), await buildSample()];
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const committed = await readFile(SAMPLE_OUTPUT);
    expect(Buffer.compare(committed, Buffer.from(a)), 'run `npx tsx scripts/make-sample.ts`').toBe(0);
    expect(committed.length).toBeLessThan(64 << 10);
  });

  it('loads as layerscope/sample:1.0 with two layers and a whiteout of etc/motd', async () => {
    const store = await memStore();
    const r = await loadArchive(store, bytesStream(await readFile(SAMPLE_OUTPUT)));
    expect(r.lines).toEqual(['Loaded image: layerscope/sample:1.0']);
    const img = (await store.getImage(r.images[0]!.imageId))!;
    expect(img.layers).toHaveLength(2);
    const layers = await Promise.all(img.layers.map(async (l) => (await layerEntries(store, l.diffId))!));
    expect(layers[1]!.map((e) => e.path)).toContain('etc/.wh.motd');
    const view = applyLayers(layers);
    expect(view.entries.has('etc/motd')).toBe(false);
    expect(view.entries.get('usr/local/bin/hello')).toMatchObject({ type: 'file', mode: 0o755 });
  });

  it('skopeo reads it as a docker-archive and umoci unpacks its OCI layout', async () => {
    const { stdout } = await exec('skopeo', ['--insecure-policy', 'inspect', `docker-archive:${SAMPLE_OUTPUT}`], {
      env: { ...process.env, HOME: tmp },
    });
    expect((JSON.parse(stdout) as { Layers: string[] }).Layers).toHaveLength(2);
    const dir = join(tmp, 'layout');
    await exec('mkdir', [dir]);
    await exec('tar', ['-xf', SAMPLE_OUTPUT, '-C', dir]);
    await umoci(['unpack', '--rootless', '--image', `${dir}:1.0`, join(tmp, 'bundle')]);
    const paths = (await walkRootfs(join(tmp, 'bundle', 'rootfs'))).map((r) => r.path);
    expect(paths).toEqual(expect.arrayContaining(['README.md', 'etc/os-release', 'usr/local/bin/hello']));
    expect(paths).not.toContain('etc/motd');
  });
});
