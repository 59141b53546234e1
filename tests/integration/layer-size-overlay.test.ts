/**
 * Layer sizes against the kernel: each layer is extracted with GNU tar into an overlay mount
 * of the layers below (what moby's naive-diff ApplyDiff and containerd's overlay apply do), and
 * the layer's upper directory is measured as moby's `directory.Size` measures it (Lstat sizes
 * of everything but directories, each inode once). Needs root for the mounts. The figures are
 * the kernel's, never Layerscope's: they check the union-view computation and what a pull stores.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tarBuilder } from '../../src/core/tar/builder.ts';
import { scanTar } from '../../src/core/tar/reader.ts';
import type { LayerEntry } from '../../src/core/layer/entry.ts';
import { chainLayerSizes, layerSize } from '../../src/core/layer/size.ts';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry } from '../helpers/registry.ts';

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pushes blobs with the registry's HTTP API (POST an upload, PUT its bytes). */
async function pushBlobs(url: string, name: string, blobs: Uint8Array<ArrayBuffer>[]): Promise<void> {
  for (const b of blobs) {
    const start = await fetch(`${url}/v2/${name}/blobs/uploads/`, { method: 'POST' });
    const loc = new URL(start.headers.get('location')!, url);
    loc.searchParams.set('digest', sha(b));
    const put = await fetch(loc, { method: 'PUT', body: b });
    if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
  }
}

const root = mkdtempSync(join(tmpdir(), 'ls-size-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function canMount(): boolean {
  try {
    const d = join(root, 'probe');
    for (const s of ['l', 'u', 'w', 'm']) mkdirSync(join(d, s), { recursive: true });
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${d}/l,upperdir=${d}/u,workdir=${d}/w`,
      `${d}/m`,
    ]);
    execFileSync('umount', [`${d}/m`]);
    return true;
  } catch {
    return false;
  }
}

/** moby pkg/directory.Size: Lstat sizes of non-directories, each inode once. */
function directorySize(dir: string, seen = new Set<string>()): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) {
      total += directorySize(p, seen);
      continue;
    }
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1 && seen.has(key)) continue;
    seen.add(key);
    total += st.size;
  }
  return total;
}

async function entriesOf(tar: Uint8Array): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  await scanTar([tar], {}, (e) => out.push(e));
  return out;
}

/** Applies the layers through overlay mounts; returns each upper directory's size. */
function kernelSizes(tars: Uint8Array[]): number[] {
  const uppers: string[] = [];
  const sizes: number[] = [];
  tars.forEach((tar, i) => {
    const d = join(root, `img-${Date.now()}-${i}`);
    for (const s of ['u', 'w', 'm', 'empty']) mkdirSync(join(d, s), { recursive: true });
    const lower = uppers.length ? [...uppers].reverse().join(':') : join(d, 'empty');
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${d}/u,workdir=${d}/w`,
      `${d}/m`,
    ]);
    try {
      writeFileSync(join(d, 'layer.tar'), tar);
      execFileSync('tar', ['-xf', join(d, 'layer.tar'), '-C', join(d, 'm'), '--numeric-owner']);
    } finally {
      execFileSync('umount', [join(d, 'm')]);
    }
    uppers.push(join(d, 'u'));
    sizes.push(directorySize(join(d, 'u')));
  });
  return sizes;
}

const mountable = canMount();

describe.skipIf(!mountable)('layer sizes, measured on an overlay mount', () => {
  it('hard links to lower files count the file once in the linking layer; duplicates count once', async () => {
    const tars = [
      tarBuilder().file('a', 'x'.repeat(1000)).file('big', 'y'.repeat(3000)).symlink('s', 'a-target-of-17-by').bytes(),
      tarBuilder()
        .link('b', 'a') // lower file: copied up
        .link('c', 'a') // the same inode again
        .file('d', 'z'.repeat(50))
        .file('d', 'z'.repeat(10)) // the same path twice: the last one is on disk
        .link('e', 'd') // same-layer target
        .link('t', 's') // a hard link to a lower symlink
        .bytes(),
      tarBuilder().file('big', 'w'.repeat(5)).link('k', 'big').bytes(),
    ];
    const layers = await Promise.all(tars.map(entriesOf));
    const want = kernelSizes(tars);
    const { sizes } = chainLayerSizes(layers);
    expect(sizes).toEqual(want);
    // Measured alone (at ingest) the lower targets are unknown: only the layer's own bytes.
    expect(layerSize(layers[1]!)).toBe(10);
  });

  it('a pulled image keeps those sizes: the command bar prints them (docker history, inspect)', async () => {
    const tars = [
      tarBuilder().file('a', 'x'.repeat(1000)).file('big', 'y'.repeat(3000)).bytes(),
      tarBuilder().link('b', 'a').file('d', 'z'.repeat(10)).bytes(),
      tarBuilder().link('k', 'big').link('l', 'b').bytes(),
    ];
    const want = kernelSizes(tars);
    const reg = await startRegistry();
    try {
      const gz = tars.map((t) => new Uint8Array(gzipSync(t)));
      const config = new TextEncoder().encode(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          created: '2024-01-01T00:00:00Z',
          rootfs: { type: 'layers', diff_ids: tars.map(sha) },
          history: tars.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
        }),
      );
      await pushBlobs(reg.url, 'size/links', [config, ...gz]);
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
        layers: gz.map((b) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: sha(b),
          size: b.length,
        })),
      });
      const put = await fetch(`${reg.url}/v2/size/links/manifests/v1`, {
        method: 'PUT',
        body: manifest,
        headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(put.status).toBe(201);
      const e = await testEngine();
      let out = '';
      const sink = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (out += t) };
      expect(await e.run('p', `docker pull -q ${reg.host}/size/links:v1`, sink)).toBe(0);
      out = '';
      await e.run('h', `docker history -H=false --format '{{.Size}}' ${reg.host}/size/links:v1`, sink);
      // docker history lists the newest layer first.
      expect(out).toBe(
        [...want]
          .reverse()
          .map((n) => `${n}\n`)
          .join(''),
      );
      out = '';
      await e.run('i', `docker image inspect -f '{{.Size}}' ${reg.host}/size/links:v1`, sink);
      expect(out).toBe(`${want.reduce((a, b) => a + b, 0)}\n`);
    } finally {
      await reg.stop();
    }
  });
});
