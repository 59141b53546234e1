/**
 * zstd:chunked against a real docker-registry, with an independent producer: an image built by
 * umoci and pushed by skopeo to one registry is pulled by Podman (root, vfs driver, temp root)
 * and pushed by `podman push --compression-format zstd:chunked` to a second registry (a second
 * one so Podman cannot reuse the gzip blob it already knows there). The expected values come
 * from the files the image was built from, from the layer descriptor's annotations that Podman
 * wrote, and from `zstd -d` + GNU tar listing the blob, never from Layerscope: the manifest is
 * read with one Range request and checked against the checksum annotation (and found again from
 * the footer alone), every regular file opens with one Range request equal to the source bytes,
 * and a changed chunk fails.
 */
import 'fake-indexeddb/auto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileRowsWindow } from '../../src/app/api.ts';
import type { EstargzToc } from '../../src/core/peek/estargz.ts';
import type { RangeFetch } from '../../src/core/peek/read.ts';
import { readZstdChunkedFile, readZstdChunkedToc, zstdChunkedAnnotations } from '../../src/core/peek/zstd-chunked.ts';
import { testEngine } from '../helpers/engine.ts';
import { pushZstdChunked } from '../helpers/lazy-images.ts';
import { noise, prng } from '../helpers/prng.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout } from '../helpers/registry-images.ts';

const run = promisify(execFile);

function text(n: number, seed: number): string {
  const r = prng(seed);
  const words = ['alpha ', 'beta ', 'gamma\n', '/usr/lib/x86_64-linux-gnu/', 'libc.so.6 ', '0123 '];
  let s = '';
  while (s.length < n) s += words[Math.floor(r() * words.length)];
  return s.slice(0, n);
}

const FILES: Record<string, string | Uint8Array> = {
  'etc/hello': 'hello from zstd:chunked\n',
  'usr/share/big.bin': noise(10_000_000, 7), // many rolling-checksum chunks
  'usr/share/doc/readme.txt': text(200_000, 8),
  'usr/share/zz/last.txt': 'the last file\n',
};

let src: TestRegistry;
let reg: TestRegistry;
let layout: TestLayout;
let dir: string;
let layer: { digest: string; size: number; mediaType: string; annotations?: Record<string, string> };
const requests: string[] = [];

const rangeOf =
  (digest: string, tamper = false): RangeFetch =>
  async (start, end) => {
    requests.push(`${start}-${end}`);
    const r = await fetch(`${reg.url}/v2/zc/conv/blobs/${digest}`, { headers: { Range: `bytes=${start}-${end}` } });
    if (!tamper) return { status: r.status, body: r.body!, rangeStart: start };
    const b = new Uint8Array(await r.arrayBuffer());
    const at = b.length >> 1; // in the middle of the file's frames
    b[at] = b[at]! ^ 0x55;
    return { status: r.status, body: new Blob([b]).stream(), rangeStart: start };
  };

beforeAll(async () => {
  src = await startRegistry();
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({ tag: 'src', layers: [FILES] });
  await pushLayoutImage(src, layout, 'src', 'zc/src', 'v1', { format: 'oci' });
  dir = mkdtempSync(join(tmpdir(), 'ls-zstd-chunked-'));
  await pushZstdChunked(`${src.host}/zc/src:v1`, `${reg.host}/zc/conv:zc`);
  const m = (await (
    await fetch(`${reg.url}/v2/zc/conv/manifests/zc`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    })
  ).json()) as { layers: (typeof layer)[] };
  layer = m.layers[0]!;
}, 180_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await layout?.cleanup();
  await src?.stop();
  await reg?.stop();
});

describe('zstd:chunked (pushed by podman, served by docker-registry)', () => {
  let toc: EstargzToc;

  it('reads the manifest with one Range request, matching the checksum annotation and GNU tar', async () => {
    expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    const ann = zstdChunkedAnnotations(layer.annotations);
    expect(ann?.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    requests.length = 0;
    toc = (await readZstdChunkedToc(rangeOf(layer.digest), layer.size, { annotations: layer.annotations! }))!;
    expect(toc).toBeDefined();
    expect(requests).toHaveLength(1);
    expect(toc.tocDigest).toBe(ann!.checksum);
    // zstd(1) and GNU tar read the same blob as a plain tar.zst: its entries are the manifest's.
    const blob = join(dir, 'layer.tar.zst');
    writeFileSync(
      blob,
      new Uint8Array(await (await fetch(`${reg.url}/v2/zc/conv/blobs/${layer.digest}`)).arrayBuffer()),
    );
    const listed = (await run('tar', ['--zstd', '-tf', blob], { maxBuffer: 1 << 24 })).stdout
      .split('\n')
      .filter(Boolean)
      .map((n) => n.replace(/^\.\//, '').replace(/\/$/, ''))
      .filter((n) => n !== '' && n !== '.');
    const names = toc.entries
      .filter((e) => e.type !== 'chunk')
      .map((e) => e.name.replace(/^\.\//, '').replace(/\/$/, ''))
      .filter((n) => n !== '' && n !== '.');
    expect(new Set(names)).toEqual(new Set(listed));
    for (const f of Object.keys(FILES)) expect(names).toContain(f);
    // Without the annotations, the footer leads to the same manifest (two requests).
    requests.length = 0;
    const fromFooter = await readZstdChunkedToc(rangeOf(layer.digest), layer.size);
    expect(requests).toHaveLength(2);
    expect(fromFooter?.tocDigest).toBe(ann!.checksum);
    expect(fromFooter?.entries.length).toBe(toc.entries.length);
  });

  it('opens every regular file with one Range request, equal to the source bytes', async () => {
    for (const [name, content] of Object.entries(FILES)) {
      const expected = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      requests.length = 0;
      const got = await readZstdChunkedFile(rangeOf(layer.digest), toc, name);
      expect(Buffer.from(got.bytes).equals(Buffer.from(expected)), name).toBe(true);
      expect(requests).toHaveLength(1);
    }
    // big.bin is 10 MB: Podman cut it into chunks, each with its own digest.
    expect(toc.entries.filter((e) => e.type === 'chunk' && e.chunkDigest).length).toBeGreaterThan(1);
  });

  it('shows the first file while fetching < 2% of the layer', async () => {
    const t0 = performance.now();
    const fresh = (await readZstdChunkedToc(rangeOf(layer.digest), layer.size, { annotations: layer.annotations! }))!;
    const first = await readZstdChunkedFile(rangeOf(layer.digest), fresh, 'etc/hello');
    const ms = performance.now() - t0;
    const fetched = fresh.fetched + first.fetched;
    console.log(
      `zstd:chunked: layer ${layer.size} B; manifest ${fresh.fetched} B in ${fresh.requests} request, etc/hello ${first.fetched} B: ${fetched} B = ${((100 * fetched) / layer.size).toFixed(3)}% in ${ms.toFixed(0)} ms`,
    );
    expect(fetched).toBeLessThan(layer.size * 0.02);
  });

  it('a changed chunk fails with LAYER_FILE_MISMATCH, a changed manifest with LAYER_CORRUPT', async () => {
    await expect(readZstdChunkedFile(rangeOf(layer.digest, true), toc, 'usr/share/big.bin')).rejects.toMatchObject({
      code: 'LAYER_FILE_MISMATCH',
    });
    await expect(
      readZstdChunkedFile(rangeOf(layer.digest, true), toc, 'usr/share/doc/readme.txt'),
    ).rejects.toMatchObject({ code: 'LAYER_FILE_MISMATCH' });
    await expect(
      readZstdChunkedToc(rangeOf(layer.digest, true), layer.size, { annotations: layer.annotations! }),
    ).rejects.toMatchObject({ code: 'LAYER_CORRUPT' });
  });

  it('the app indexes it from the manifest alone (no pass over the layer) and opens its files', async () => {
    const blobReads: { range: string; bytes: number }[] = [];
    const engine = await testEngine({
      fetch: async (input, init) => {
        const r = await fetch(input, init);
        if (!input.includes('/blobs/')) return r;
        const body = await r.arrayBuffer();
        blobReads.push({ range: new Headers(init?.headers).get('range') ?? '', bytes: body.byteLength });
        return new Response(body, { status: r.status, statusText: r.statusText, headers: r.headers });
      },
    });
    const s = await engine.peek(`${reg.host}/zc/conv:zc`);
    blobReads.length = 0;
    const done = await engine.peekIndex('j', s.id, () => {});
    expect(done.allIndexed).toBe(true);
    expect(blobReads.map((r) => r.range)).toEqual([expect.stringMatching(/^bytes=/)]);
    expect(blobReads.reduce((n, r) => n + r.bytes, 0)).toBeLessThan(layer.size * 0.02);
    expect(done.layers[0]!.zstdChunked).toBe(true);
    expect(done.layers[0]!.compression).toBe('zstd');
    // Podman 4.3 writes no uncompressed-size annotation: unknown, not 0.
    expect(done.layers[0]!.uncompressedSize).toBeUndefined();
    const paths = await engine.peeker.paths(s.id);
    for (const f of Object.keys(FILES)) expect(paths).toContain(f);
    for (const [name, content] of Object.entries(FILES)) {
      const expected = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      blobReads.length = 0;
      const got = await engine.peeker.readFile(s.id, name, { whole: true });
      expect(Buffer.from(got.bytes).equals(Buffer.from(expected)), name).toBe(true);
      expect(blobReads).toHaveLength(1);
      expect(blobReads[0]!.range).toMatch(/^bytes=/);
    }
  });

  it('a full pull of it (skippable frames and all) shows the same tree as the peek', async () => {
    const pullEngine = await testEngine();
    const r = await pullEngine.pull('p', `${reg.host}/zc/conv:zc`, undefined, () => {});
    expect(r.ok).toBe(true);
    const peekEngine = await testEngine();
    const s = await peekEngine.peek(`${reg.host}/zc/conv:zc`);
    await peekEngine.peekIndex('j', s.id, () => {});
    const rows = async (files: (start: number) => Promise<FileRowsWindow>): Promise<string[]> => {
      const out: string[] = [];
      for (let start = 0; ;) {
        const w = await files(start);
        for (const row of w.rows) out.push(`${row.path} ${row.isDir ? 'dir' : row.type} ${row.size}`);
        start += w.rows.length;
        if (w.rows.length === 0 || start >= w.total) break;
      }
      return out;
    };
    const q = { mode: 'upto' as const, sortBy: 'name' as const, search: '**', expanded: [], count: 500 };
    const peeked = await rows((start) => peekEngine.peekFiles(s.id, { ...q, start }));
    const pulled = await rows((start) => pullEngine.files(s.id, { ...q, start }));
    expect(peeked.length).toBeGreaterThan(Object.keys(FILES).length);
    expect(peeked).toEqual(pulled);
  }, 120_000);
});
