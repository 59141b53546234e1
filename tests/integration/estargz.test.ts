/**
 * eStargz against a real docker-registry, with an independent producer: an image built by
 * umoci and pushed by skopeo is converted by Debian's stargz-snapshotter 0.12.0 (`ctr-remote
 * image convert --estargz --oci`) through a containerd 1.6 daemon this test starts by PID with
 * its own root, state and socket in a temp dir, then pushed back to the registry by
 * `ctr-remote image push`. The expected values come from the files the image was built from
 * and from GNU tar's listing of the converted blob, never from Layerscope: the TOC is read with
 * two Range requests (footer, TOC member) and checked against the layer's
 * `containerd.io/snapshot/stargz/toc.digest` annotation, and every regular file opens with one
 * Range request per chunk, equal to the source bytes.
 */
import 'fake-indexeddb/auto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ESTARGZ_TOC_DIGEST_ANNOTATION,
  readEstargzFile,
  readEstargzToc,
  type EstargzToc,
} from '../../src/core/peek/estargz.ts';
import type { RangeFetch } from '../../src/core/peek/read.ts';
import { noise, prng } from '../helpers/prng.ts';
import { testEngine } from '../helpers/engine.ts';
import { convertEstargz, startContainerd, type Containerd } from '../helpers/lazy-images.ts';
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
  'etc/hello': 'hello from estargz\n',
  'usr/share/big.bin': noise(10_000_000, 7), // several 4 MiB chunks
  'usr/share/doc/readme.txt': text(200_000, 8),
  'usr/share/zz/last.txt': 'the last file\n',
};

let reg: TestRegistry;
let layout: TestLayout;
let ctd: Containerd | undefined;
let dir: string;
let layer: { digest: string; size: number; annotations?: Record<string, string> };
let plainLayer: { digest: string; size: number };
const requests: string[] = [];

const rangeOf =
  (digest: string, tamper = false): RangeFetch =>
  async (start, end) => {
    requests.push(`${start}-${end}`);
    const r = await fetch(`${reg.url}/v2/esgz/conv/blobs/${digest}`, { headers: { Range: `bytes=${start}-${end}` } });
    if (!tamper) return { status: r.status, body: r.body!, rangeStart: start };
    const b = new Uint8Array(await r.arrayBuffer());
    const at = b.length >> 1; // in the middle of the chunk's deflate data
    b[at] = b[at]! ^ 0x55;
    return { status: r.status, body: new Blob([b]).stream(), rangeStart: start };
  };

beforeAll(async () => {
  reg = await startRegistry();
  layout = await TestLayout.create();
  await layout.build({ tag: 'src', layers: [FILES] });
  await pushLayoutImage(reg, layout, 'src', 'esgz/conv', 'src', { format: 'oci' });
  dir = mkdtempSync(join(tmpdir(), 'ls-estargz-'));
  ctd = await startContainerd();
  await convertEstargz(ctd, `${reg.host}/esgz/conv:src`, `${reg.host}/esgz/conv:esgz`);
  const get = async (tag: string) =>
    (await (
      await fetch(`${reg.url}/v2/esgz/conv/manifests/${tag}`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).json()) as { layers: (typeof layer)[] };
  layer = (await get('esgz')).layers[0]!;
  plainLayer = (await get('src')).layers[0]!;
}, 180_000);

afterAll(async () => {
  await ctd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await layout?.cleanup();
  await reg?.stop();
});

describe('eStargz (converted by ctr-remote, served by docker-registry)', () => {
  let toc: EstargzToc;

  it('reads the TOC with two Range requests, matching the toc.digest annotation and GNU tar', async () => {
    const annotated = layer.annotations?.[ESTARGZ_TOC_DIGEST_ANNOTATION];
    expect(annotated).toMatch(/^sha256:[0-9a-f]{64}$/);
    requests.length = 0;
    toc = (await readEstargzToc(rangeOf(layer.digest), layer.size, { expectedTocDigest: annotated! }))!;
    expect(toc).toBeDefined();
    expect(requests).toHaveLength(2);
    expect(toc.tocDigest).toBe(annotated);
    // GNU tar reads the same blob as a plain tar.gz: its entries are the TOC's, plus the TOC itself.
    const blob = join(dir, 'layer.tgz');
    writeFileSync(
      blob,
      new Uint8Array(await (await fetch(`${reg.url}/v2/esgz/conv/blobs/${layer.digest}`)).arrayBuffer()),
    );
    const listed = (await run('tar', ['-tzf', blob], { maxBuffer: 1 << 24 })).stdout
      .split('\n')
      .filter(Boolean)
      .map((n) => n.replace(/^\.\//, '').replace(/\/$/, ''))
      .filter((n) => n !== 'stargz.index.json' && n !== '' && n !== '.');
    const names = toc.entries
      .filter((e) => e.type !== 'chunk')
      .map((e) => e.name.replace(/^\.\//, '').replace(/\/$/, ''))
      .filter((n) => n !== '' && n !== '.');
    expect(new Set(names)).toEqual(new Set(listed));
    for (const f of Object.keys(FILES)) expect(names).toContain(f);
    // The plain gzip layer of the source image has no eStargz footer.
    requests.length = 0;
    const plainFetch: RangeFetch = async (start, end) => {
      const r = await fetch(`${reg.url}/v2/esgz/conv/blobs/${plainLayer.digest}`, {
        headers: { Range: `bytes=${start}-${end}` },
      });
      return { status: r.status, body: r.body!, rangeStart: start };
    };
    expect(await readEstargzToc(plainFetch, plainLayer.size)).toBeUndefined();
  });

  it('opens every regular file with one Range request per chunk, equal to the source bytes', async () => {
    for (const [name, content] of Object.entries(FILES)) {
      const expected = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      const chunks = toc.entries.filter((e) => e.name === name && (e.type === 'reg' || e.type === 'chunk')).length;
      requests.length = 0;
      const got = await readEstargzFile(rangeOf(layer.digest), toc, name);
      expect(Buffer.from(got.bytes).equals(Buffer.from(expected)), name).toBe(true);
      expect(got.requests).toBe(chunks);
      expect(requests).toHaveLength(chunks);
    }
    // big.bin is 10 MB: the converter cut it into chunks.
    expect(toc.entries.filter((e) => e.type === 'chunk').length).toBeGreaterThan(0);
  });

  it('shows the first file while fetching < 2% of the layer', async () => {
    const first = await readEstargzFile(rangeOf(layer.digest), toc, 'etc/hello');
    const fetched = toc.fetched + first.fetched;
    console.log(
      `estargz: layer ${layer.size} B; TOC ${toc.fetched} B in 2 requests, etc/hello ${first.fetched} B: ${fetched} B = ${((100 * fetched) / layer.size).toFixed(3)}%`,
    );
    expect(fetched).toBeLessThan(layer.size * 0.02);
  });

  it('a changed chunk fails with LAYER_FILE_MISMATCH or LAYER_CORRUPT, never wrong bytes', async () => {
    await expect(readEstargzFile(rangeOf(layer.digest, true), toc, 'usr/share/doc/readme.txt')).rejects.toMatchObject({
      code: expect.stringMatching(/^LAYER_(FILE_MISMATCH|CORRUPT)$/),
    });
    await expect(
      readEstargzToc(rangeOf(layer.digest), layer.size, { expectedTocDigest: `sha256:${'0'.repeat(64)}` }),
    ).rejects.toMatchObject({ code: 'LAYER_CORRUPT' });
  });

  it('the app indexes it from the TOC alone (no pass over the layer) and opens its files', async () => {
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
    const s = await engine.peek(`${reg.host}/esgz/conv:esgz`);
    blobReads.length = 0;
    const done = await engine.peekIndex('j', s.id, () => {});
    expect(done.allIndexed).toBe(true);
    // Footer and TOC: two ranged reads, a few hundred bytes, nothing else of the layer.
    expect(blobReads.map((r) => r.range)).toEqual([expect.stringMatching(/^bytes=/), expect.stringMatching(/^bytes=/)]);
    expect(blobReads.reduce((n, r) => n + r.bytes, 0)).toBeLessThan(layer.size * 0.02);
    expect(done.layers[0]!.indexBytes! / layer.size).toBeLessThan(0.02);
    expect(done.layers[0]!.estargz).toBe(true);
    const paths = await engine.peeker.paths(s.id);
    for (const f of Object.keys(FILES)) expect(paths).toContain(f);
    for (const [name, content] of Object.entries(FILES)) {
      const expected = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      blobReads.length = 0;
      const got = await engine.peeker.readFile(s.id, name, { whole: true });
      expect(Buffer.from(got.bytes).equals(Buffer.from(expected)), name).toBe(true);
      expect(blobReads.every((r) => r.range.startsWith('bytes='))).toBe(true);
    }
  });
});
