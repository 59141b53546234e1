/**
 * The explorer over a pulled image: detail (sizes, wasted bytes, history), file rows, one
 * file's bytes from its layer blob, and the merged filesystem as a tar that GNU tar reads.
 */
import 'fake-indexeddb/auto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/app/engine.ts';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';

let reg: TestRegistry;
let layout: TestLayout;
let img: PushedImage;
let engine: Engine;
let tmp: string;

const v1 = 'first version of the config\n'.repeat(100); // 2,800 bytes, overwritten later
const v2 = 'second\n';

beforeAll(async () => {
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({
    tag: 'x',
    layers: [
      { 'etc/app.conf': v1, 'usr/bin/tool': 'T'.repeat(1000), 'srv/a/b/c.txt': 'deep\n' },
      { 'etc/app.conf': v2, 'srv/new.txt': 'new\n' },
    ],
  });
  img = await pushLayoutImage(reg, layout, 'x', 'explore/x', 'v1', { format: 'oci' });
  engine = await testEngine();
  const r = await engine.pull('p', `${reg.host}/explore/x:v1`, undefined, () => {});
  expect(r.ok).toBe(true);
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-explore-'));
}, 120_000);

afterAll(async () => {
  await reg?.stop();
  await layout?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('explorer', () => {
  it('describes the image: layers with history, sizes, wasted bytes of the overwritten file', async () => {
    const d = await engine.imageDetail(img.configDigest!);
    expect(d.repoTags).toEqual([`${reg.host}/explore/x:v1`]);
    expect(d.platform).toBe('linux/amd64');
    const real = d.layers.filter((l) => !l.empty);
    expect(real.map((l) => l.digest)).toEqual(img.layers.map((l) => l.digest));
    expect(real[1]).toMatchObject({ modified: 1, added: 1, removed: 0 });
    // dive (dive/image/analysis.go): the cumulative size of every path seen twice, v1 + v2.
    expect(d.wastedBytes).toBe(v1.length + v2.length);
    // Layerscope's reclaimable bytes: the overwritten v1 only.
    expect(d.reclaimableBytes).toBe(v1.length);
    expect(d.wastedPaths[0]).toMatchObject({ path: 'etc/app.conf', count: 2 });
    expect(d.efficiency).toBeGreaterThan(0);
    expect(d.efficiency).toBeLessThan(1);
    expect(JSON.parse(d.inspectJson)[0].Id).toBe(img.configDigest);
    expect(d.history[0]!.id).toBe(img.configDigest);
  });

  it('lists rows, expands directories, searches by glob, and shows one layer’s own changes', async () => {
    const base = { mode: 'upto' as const, sortBy: 'name' as const, search: '', start: 0, count: 100 };
    const top = await engine.files(img.configDigest!, { ...base, expanded: [] });
    expect(top.rows.map((r) => r.path)).toEqual(['etc', 'srv', 'usr']);
    const open = await engine.files(img.configDigest!, { ...base, expanded: ['srv'] });
    expect(open.rows.map((r) => r.path)).toEqual(['etc', 'srv', 'srv/a', 'srv/new.txt', 'usr']);
    const found = await engine.files(img.configDigest!, { ...base, expanded: [], search: '**/*.txt' });
    expect(found.matches).toBe(2);
    expect(found.rows.map((r) => r.path)).toEqual(['srv', 'srv/a', 'srv/a/b', 'srv/a/b/c.txt', 'srv/new.txt']);
    const own = await engine.files(img.configDigest!, { ...base, layer: 1, mode: 'own', expanded: ['etc', 'srv'] });
    expect(own.rows.filter((r) => !r.isDir).map((r) => [r.path, r.change])).toEqual([
      ['etc/app.conf', 'modified'],
      ['srv/new.txt', 'added'],
    ]);
    const bySize = await engine.files(img.configDigest!, { ...base, sortBy: 'size', expanded: [] });
    expect(bySize.rows[0]!.path).toBe('usr');
  });

  it('reads a file from its layer blob; an earlier layer shows the old version', async () => {
    const f = await engine.readFile(img.configDigest!, 'etc/app.conf');
    expect(new TextDecoder().decode(f.bytes)).toBe(v2);
    expect(f.truncated).toBe(false);
    await expect(engine.readFile(img.configDigest!, 'nope')).rejects.toThrow(/no such file/);
  });

  it('exports the merged filesystem as a tar that GNU tar lists and extracts', async () => {
    const blob = await engine.downloadFilesystem(img.configDigest!, null);
    expect(blob).not.toBeNull();
    const file = join(tmp, 'fs.tar');
    writeFileSync(file, new Uint8Array(await blob!.arrayBuffer()));
    const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((n) => n.replace(/\/$/, ''))
      .sort();
    expect(names).toEqual([
      'etc',
      'etc/app.conf',
      'srv',
      'srv/a',
      'srv/a/b',
      'srv/a/b/c.txt',
      'srv/new.txt',
      'usr',
      'usr/bin',
      'usr/bin/tool',
    ]);
    expect(execFileSync('tar', ['-xOf', file, 'etc/app.conf'], { encoding: 'utf8' })).toBe(v2);
    expect(execFileSync('tar', ['-xOf', file, 'usr/bin/tool'], { encoding: 'utf8' })).toBe('T'.repeat(1000));
  });

  it('shows which images share which layers', async () => {
    const s = await engine.sharing();
    expect(s.sizes.images).toHaveLength(1);
    expect(s.layers).toEqual([]); // one image: nothing shared
  });
});
