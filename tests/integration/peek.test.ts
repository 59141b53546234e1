/**
 * Peek against a real docker-registry: a multi-layer image built by umoci (modified files,
 * whiteouts, an opaque directory, symlinks, hard links, a file large enough for several gzip
 * checkpoints), pushed by skopeo as gzip and as zstd. Peek and index it without pulling, then
 * open EVERY file through checkpoints + Range and compare with what a full pull of the same
 * image shows (the explorer over the stored blobs). Then the faults: a forwarder that drops
 * `Range` (the registry answers 200) and one that changes the blob's bytes.
 */
import 'fake-indexeddb/auto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/app/engine.ts';
import type { FileRowsWindow } from '../../src/app/api.ts';
import { testEngine } from '../helpers/engine.ts';
import { noise, prng } from '../helpers/prng.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, type PushedImage, type TestLayout } from '../helpers/registry-images.ts';
import { newImage, repack, umoci } from '../helpers/umoci.ts';

let reg: TestRegistry;
let tmp: string;
let gz: PushedImage;
let zst: PushedImage;

function text(n: number, seed: number): string {
  const r = prng(seed);
  const words = ['alpha ', 'beta ', 'gamma\n', '/usr/lib/x86_64-linux-gnu/', 'libc.so.6 ', '0123 '];
  let s = '';
  while (s.length < n) s += words[Math.floor(r() * words.length)];
  return s.slice(0, n);
}

/** The image, in a layout of its own; `salt` makes every layer's content differ (skopeo reuses
 * a blob already in the registry whatever its compression). Returns the layout path. */
async function build(dir: string, salt: string): Promise<string> {
  const layout = join(dir, 'oci');
  const bundle = join(dir, 'bundle');
  await newImage(layout, 's0', bundle);
  const at = (p: string) => join(bundle, 'rootfs', p);
  for (const d of [
    'etc',
    'usr',
    'usr/bin',
    'usr/lib',
    'usr/share',
    'usr/share/doc',
    'usr/share/man',
    'var',
    'var/cache',
    'opt',
  ]) {
    mkdirSync(at(d));
  }
  writeFileSync(at('etc/salt'), `${salt} 1\n`);
  writeFileSync(at('etc/app.conf'), 'listen 80\n');
  writeFileSync(at('usr/bin/tool'), noise(300_000, 1));
  chmodSync(at('usr/bin/tool'), 0o755);
  linkSync(at('usr/bin/tool'), at('usr/bin/tool-alias'));
  writeFileSync(at('usr/lib/libx.so'), noise(700_000, 2));
  symlinkSync('libx.so', at('usr/lib/libx.so.1'));
  symlinkSync('usr/bin', at('bin'));
  // ~14 MB of text, after 9 MB of incompressible bytes: gzip checkpoints (every ~4 MiB of
  // compressed input) fall inside big.bin, and decoding from them crosses into big.txt.
  writeFileSync(at('usr/share/big.bin'), noise(9_000_000, 4));
  writeFileSync(at('usr/share/big.txt'), text(14_000_000, 3));
  for (let i = 0; i < 30; i++) writeFileSync(at(`usr/share/doc/f${i}.txt`), text(500 + i * 4000, 10 + i));
  for (let i = 0; i < 30; i++) writeFileSync(at(`usr/share/man/m${i}.txt`), text(300 + i * 7000, 50 + i));
  for (const f of ['a', 'b', 'c']) writeFileSync(at(`var/cache/${f}`), f.repeat(100));
  writeFileSync(at('opt/empty'), '');
  await repack(layout, 's1', bundle, 'layer 1: base');

  writeFileSync(at('etc/salt'), `${salt} 2\n`);
  writeFileSync(at('etc/app.conf'), 'listen 8080\nworkers 4\n');
  unlinkSync(at('var/cache/b')); // whiteout
  rmSync(at('usr/share/doc'), { recursive: true }); // whiteout of a directory
  writeFileSync(at('usr/share/after.txt'), text(2_000_000, 99));
  unlinkSync(at('usr/lib/libx.so.1'));
  symlinkSync('/usr/lib/libx.so', at('usr/lib/libx.so.1'));
  await repack(layout, 's2', bundle, 'layer 2: modify and delete');

  const src = join(dir, 'cache-src');
  mkdirSync(src);
  writeFileSync(join(src, 'fresh'), `fresh ${salt}`);
  writeFileSync(join(src, 'zz-empty'), ''); // see union-umoci.test.ts: umoci insert's missing tar end
  await umoci(['tag', '--image', `${layout}:s2`, 's3']);
  await umoci(['insert', '--image', `${layout}:s3`, '--opaque', src, '/var/cache']);
  return layout;
}

beforeAll(async () => {
  reg = await startRegistry();
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-peek-'));
  mkdirSync(join(tmp, 'g'));
  mkdirSync(join(tmp, 'z'));
  const [lg, lz] = await Promise.all([build(join(tmp, 'g'), 'gzip'), build(join(tmp, 'z'), 'zstd')]);
  gz = await pushLayoutImage(reg, { layout: lg } as TestLayout, 's3', 'peek/gz', 'v1', { format: 'oci' });
  zst = await pushLayoutImage(reg, { layout: lz } as TestLayout, 's3', 'peek/zst', 'v1', {
    format: 'oci',
    compression: 'zstd',
  });
}, 300_000);

afterAll(async () => {
  await reg?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function allRows(files: (start: number) => Promise<FileRowsWindow>): Promise<string[]> {
  const out: string[] = [];
  for (let start = 0; ;) {
    const w = await files(start);
    for (const r of w.rows) out.push(`${r.path} ${r.isDir ? 'dir' : r.type} ${r.size}`);
    start += w.rows.length;
    if (w.rows.length === 0 || start >= w.total) break;
  }
  return out;
}

async function blobBytes(b: Blob | null): Promise<Uint8Array> {
  return new Uint8Array(await b!.arrayBuffer());
}

for (const which of ['gzip', 'zstd'] as const) {
  describe(`peek ${which}: every file equals the full pull`, () => {
    let peekEngine: Engine;
    let pullEngine: Engine;
    let img: PushedImage;

    beforeAll(async () => {
      img = which === 'gzip' ? gz : zst;
      expect(img.layers.length).toBe(3);
      for (const l of img.layers) expect(l.mediaType).toContain(which === 'gzip' ? 'gzip' : 'zstd');
      peekEngine = await testEngine();
      pullEngine = await testEngine();
      const r = await pullEngine.pull('p', img.reference, undefined, () => {});
      expect(r.ok).toBe(true);
    }, 120_000);

    it('peeks (manifest and config only), indexes, and lists the same tree as the pull', async () => {
      const s = await peekEngine.peek(img.reference);
      expect(s.id).toBe(img.configDigest);
      expect(s.manifestDigest).toBe(img.manifestDigest);
      expect(s.layers.map((l) => l.digest)).toEqual(img.layers.map((l) => l.digest));
      expect(s.layers.map((l) => l.compressedSize)).toEqual(img.layers.map((l) => l.size));
      expect(s.layers.every((l) => !l.indexed)).toBe(true);
      expect(s.fetchedBytes).toBe(img.manifestRaw.length + img.configRaw!.length);
      expect(JSON.parse(s.inspectJson)[0].Id).toBe(img.configDigest);
      expect((await peekEngine.images()).rows).toHaveLength(0); // nothing pulled

      const progress: number[] = [];
      const done = await peekEngine.peekIndex('j', s.id, (p) => progress.push(p.layer));
      expect(done.allIndexed).toBe(true);
      expect(new Set(progress)).toEqual(new Set([0, 1, 2]));
      const detail = await pullEngine.imageDetail(img.configDigest!);
      const pulledLayers = detail.layers.filter((l) => !l.empty);
      for (const [i, l] of done.layers.entries()) {
        expect(l.uncompressedSize).toBe(pulledLayers[i]!.uncompressedSize);
        // Index size ≤ 2% of the compressed layer (tiny layers excepted: fixed costs dominate).
        if (l.compressedSize > 1_000_000) expect(l.indexBytes! / l.compressedSize).toBeLessThan(0.02);
      }
      const q = { mode: 'upto' as const, sortBy: 'name' as const, search: '**', expanded: [], count: 500 };
      const peeked = await allRows((start) => peekEngine.peekFiles(s.id, { ...q, start }));
      const pulled = await allRows((start) => pullEngine.files(img.configDigest!, { ...q, start }));
      expect(peeked).toEqual(pulled);
      expect(peeked.some((r) => r.startsWith('var/cache/fresh '))).toBe(true);
      expect(peeked.some((r) => r.startsWith('var/cache/a '))).toBe(false); // opaque
      expect(peeked.some((r) => r.startsWith('var/cache/b '))).toBe(false); // whiteout
      expect(peeked.some((r) => r.startsWith('usr/share/doc'))).toBe(false);
    }, 120_000);

    it('opens every file through checkpoints and Range, equal to the pulled bytes', async () => {
      const id = img.configDigest!;
      const paths = await peekEngine.peeker.paths(id);
      let opened = 0;
      for (const path of paths) {
        const pulled = await pullEngine.readFile(id, path);
        if (pulled.type !== 'file') continue;
        const peeked = await peekEngine.peeker.readFile(id, path, { whole: true });
        expect(peeked.resolved, path).toBe(pulled.resolved);
        expect(peeked.linkTarget, path).toBe(pulled.linkTarget);
        expect(peeked.size, path).toBe(pulled.size);
        const whole = await blobBytes(await pullEngine.downloadFile(id, path, null));
        expect(Buffer.from(peeked.bytes).equals(Buffer.from(whole)), path).toBe(true);
        expect(peeked.rangeIgnored).toBe(false);
        opened++;
      }
      expect(opened).toBeGreaterThan(35);
      // A small file deep in the big gzip layer (after big.bin and big.txt): from the nearest
      // checkpoint, at most ~4 MiB of compressed input back, not the whole layer. zstd as skopeo
      // writes it is one frame: the read starts at the layer's start.
      const deep = await peekEngine.peeker.readFile(id, 'usr/share/man/m29.txt');
      if (which === 'gzip') {
        expect(deep.range[0]).toBeGreaterThan(0);
        expect(deep.fetched).toBeLessThan(img.layers[0]!.size / 2);
        expect(deep.fetched).toBeLessThanOrEqual(4 * 2 ** 20 + 64 * 1024);
      }
      const conf = await peekEngine.peeker.readFile(id, 'etc/app.conf');
      expect(new TextDecoder().decode(conf.bytes)).toBe('listen 8080\nworkers 4\n');
    }, 300_000);
  });
}

/** A forwarder to the registry that drops Range (a registry or CDN that ignores it) or flips
 * bytes of blob bodies (a blob that changed after indexing). */
async function forwarder(mode: {
  dropRange: boolean;
  tamper: boolean;
}): Promise<{ host: string; ranges: number; close(): Promise<void> }> {
  const [h, p] = reg.host.split(':');
  const state = { ranges: 0 };
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: reg.host };
    if (headers.range) state.ranges++;
    if (mode.dropRange) delete headers.range;
    const up = http.request({ host: h, port: Number(p), path: req.url, method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      const tamper = mode.tamper && /\/blobs\//.test(req.url ?? '') && r.statusCode === 206;
      r.on('data', (c: Buffer) => {
        if (tamper) for (let i = 0; i < c.length; i += 97) c[i] = c[i]! ^ 0x55;
        res.write(c);
      });
      r.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    get ranges() {
      return state.ranges;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('peek: faults', () => {
  it('a registry that ignores Range (200): the file still opens, streamed, and says so', async () => {
    const f = await forwarder({ dropRange: true, tamper: false });
    try {
      const e = await testEngine();
      const ref = gz.reference.replace(reg.host, f.host);
      const s = await e.peek(ref);
      await e.peekIndex('j', s.id, () => {});
      const got = await e.peekReadFile(s.id, 'usr/share/after.txt');
      expect(got.rangeIgnored).toBe(true);
      expect(f.ranges).toBeGreaterThan(0);
      expect(got.fetched).toBeGreaterThan(got.range[0]); // streamed from byte 0
      expect(new TextDecoder().decode(got.bytes)).toBe(text(2_000_000, 99));
    } finally {
      await f.close();
    }
  }, 120_000);

  it('a blob that changed after indexing fails with LAYER_FILE_MISMATCH', async () => {
    const f = await forwarder({ dropRange: false, tamper: true });
    try {
      const e = await testEngine();
      const ref = gz.reference.replace(reg.host, f.host);
      const s = await e.peek(ref);
      await e.peekIndex('j', s.id, () => {}); // whole-blob GETs (200) pass untouched
      await expect(e.peekReadFile(s.id, 'usr/share/after.txt')).rejects.toMatchObject({ code: 'LAYER_FILE_MISMATCH' });
      await expect(e.peekReadFile(s.id, 'etc/app.conf')).rejects.toMatchObject({ code: 'LAYER_FILE_MISMATCH' });
    } finally {
      await f.close();
    }
  }, 120_000);

  it('lists, counts and removes peeked images apart from pulled ones', async () => {
    const e = await testEngine();
    const s = await e.peek(gz.reference);
    await e.peekIndex('j', s.id, () => {});
    // The pull's garbage collection leaves peeked images alone.
    await (await e.store()).gc();
    expect((await (await e.store()).peekUsage()).layers).toBe(3);
    const list = await e.peekList();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: gz.configDigest, layers: 3, indexedLayers: 3 });
    expect(list[0]!.indexBytes).toBeGreaterThan(0);
    expect(list[0]!.indexBytes).toBeLessThan(list[0]!.downloadSize * 0.02);
    expect(await e.peekRemove(s.id)).toBe(true);
    expect(await e.peekList()).toHaveLength(0);
    expect((await (await e.store()).peekUsage()).layers).toBe(0);
  }, 120_000);
});

describe('peek: the command bar', () => {
  it('peek, peek index, peek cat, peek ls, peek rm', async () => {
    const e = await testEngine();
    let stdout = '';
    let stderr = '';
    const sink = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t) };
    expect(await e.run('c', `peek ${gz.reference}`, sink)).toBe(0);
    expect(stdout).toContain(`Image ID: ${gz.configDigest}`);
    expect(stdout).toContain('no layer pulled');
    expect(stdout.match(/ no\n/g)).toHaveLength(3);
    stdout = '';
    expect(await e.run('c', `peek index ${gz.reference}`, sink)).toBe(0);
    expect(stdout.match(/: Indexed\n/g)).toHaveLength(3);
    expect(stdout).toMatch(/LAYER +COMPRESSION +SIZE +ENTRIES +CHECKPOINTS +INDEX +OF LAYER\n/);
    expect(stdout).toContain(' gzip ');
    stdout = '';
    expect(await e.run('c', `peek cat ${gz.configDigest!.slice(7, 19)} etc/app.conf`, sink), stderr).toBe(0);
    expect(stdout).toBe('listen 8080\nworkers 4\n');
    expect(stderr).toContain('with one Range request');
    stdout = '';
    expect(await e.run('c', 'peek ls', sink)).toBe(0);
    expect(stdout).toContain('3/3');
    expect(await e.run('c', `peek rm ${gz.reference}`, sink)).toBe(0);
    stderr = '';
    expect(await e.run('c', 'peek cat nothing x', sink)).toBe(1);
    expect(stderr).toContain('No such peeked image');
  }, 120_000);
});
