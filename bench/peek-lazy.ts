/**
 * Peek at lazy formats: a layer of real files (node_modules/typescript and /usr/share/{man,i18n},
 * GNU tar, `gzip -6`) with a 1 MB file appended last, put in a real docker-registry by skopeo
 * (an OCI layout written here), then converted by independent producers: eStargz by Debian's
 * stargz-snapshotter (`ctr-remote image convert --estargz --oci`, through a containerd started
 * here) and zstd:chunked by `podman push --compression-format zstd:chunked` (to a second
 * registry, so Podman cannot reuse the gzip blob). For each, measured against the registry
 * (Range requests, as the app makes them):
 * - reading the TOC (eStargz: footer + TOC member; zstd:chunked: the manifest from its
 *   annotations) and opening the first regular file: bytes fetched against the layer's size, time;
 * - opening the deep 1 MB file (every chunk and the file checked against their digests).
 * Medians of 5 runs; writes the "peek-lazy" section of bench/RESULTS.md.
 *   node --import tsx bench/peek-lazy.ts            (npm run bench -- peek-lazy)
 *   node --import tsx bench/peek-lazy.ts --no-write (print only)
 */
import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readEstargzFile, readEstargzToc, type EstargzToc } from '../src/core/peek/estargz.ts';
import type { RangeFetch } from '../src/core/peek/read.ts';
import { readZstdChunkedFile, readZstdChunkedToc } from '../src/core/peek/zstd-chunked.ts';
import { convertEstargz, pushZstdChunked, startContainerd } from '../tests/helpers/lazy-images.ts';
import { startRegistry, type TestRegistry } from '../tests/helpers/registry.ts';
import { writeSection } from './results.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const WORK = join(ROOT, 'bench/.work/peek-lazy');
/** Two layers: many small files (man pages: ~4 kB each), and fewer, larger ones. */
const LAYERS = [
  {
    name: 'small files',
    what: 'node_modules/typescript, /usr/share/{man,i18n}',
    paths: [
      ['-C', ROOT, 'node_modules/typescript'],
      ['-C', '/', 'usr/share/man', 'usr/share/i18n'],
    ],
  },
  {
    name: 'larger files',
    what: 'node_modules/typescript, /usr/lib/go-1.19/bin',
    paths: [
      ['-C', ROOT, 'node_modules/typescript'],
      ['-C', '/', 'usr/lib/go-1.19/bin'],
    ],
  },
];
const DEEP = 'zz-peek-bench/deep-1MB.bin';
const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function machine(): string {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? '?';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${execSync('nproc', { encoding: 'utf8' }).trim()} cores, ${cpu}, Node ${process.version}; load average at the end ${load}`;
}

/** The layer tar and an OCI layout holding it as a gzip layer. */
function prepare(k: number): { layout: string; tarSize: number; gzSize: number } {
  const TAR = join(WORK, `layer-${k}.tar`);
  mkdirSync(join(WORK, 'src/zz-peek-bench'), { recursive: true });
  const words = ['function ', 'return ', 'const ', '{\n', '}\n', 'node_modules/', 'export ', '=> ', '0x1f8b '];
  let s = '';
  let x = 7;
  while (s.length < 1_000_000) s += words[(x = (Math.imul(x, 1103515245) + 12345) >>> 0) % words.length];
  writeFileSync(join(WORK, 'src', DEEP), s.slice(0, 1_000_000));
  const common = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner'];
  execFileSync('tar', ['-cf', TAR, ...common, ...LAYERS[k]!.paths.flat()]);
  execFileSync('tar', ['-rf', TAR, ...common, '-C', join(WORK, 'src'), DEEP]);
  const tar = readFileSync(TAR);
  const gz = execFileSync('gzip', ['-6', '-c', '-n', TAR], { maxBuffer: 1 << 30 });
  const layout = join(WORK, `layout-${k}`);
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const put = (b: Uint8Array | string): { digest: string; size: number } => {
    const digest = sha(b);
    writeFileSync(join(layout, 'blobs/sha256', digest.slice(7)), b);
    return { digest, size: typeof b === 'string' ? Buffer.byteLength(b) : b.length };
  };
  const layer = put(gz);
  const config = put(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha(tar)] },
      history: [{ created_by: 'bench/peek-lazy.ts' }],
    }),
  );
  const manifest = put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }),
  );
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': 'v1' },
        },
      ],
    }),
  );
  return { layout, tarSize: statSync(TAR).size, gzSize: gz.length };
}

interface Layer {
  digest: string;
  size: number;
  mediaType: string;
  annotations?: Record<string, string>;
}

async function layerOf(reg: TestRegistry, repo: string, tag: string): Promise<Layer> {
  const r = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return ((await r.json()) as { layers: Layer[] }).layers[0]!;
}

function counting(reg: TestRegistry, repo: string, digest: string): { fetch: RangeFetch; requests: () => number } {
  let n = 0;
  return {
    fetch: async (start, end) => {
      n++;
      const r = await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`, { headers: { Range: `bytes=${start}-${end}` } });
      return { status: r.status, body: r.body!, rangeStart: start };
    },
    requests: () => n,
  };
}

interface Row {
  format: string;
  layer: Layer;
  first: string;
  tocBytes: number;
  tocRequests: number;
  firstBytes: number;
  firstRequests: number;
  firstMs: number;
  deepBytes: number;
  deepRequests: number;
  deepMs: number;
  entries: number;
}

async function measure(
  format: 'eStargz' | 'zstd:chunked',
  reg: TestRegistry,
  repo: string,
  tag: string,
  deepBytes: Uint8Array,
): Promise<Row> {
  const layer = await layerOf(reg, repo, tag);
  const readToc = (f: RangeFetch): Promise<EstargzToc | undefined> =>
    format === 'eStargz'
      ? readEstargzToc(f, layer.size, {
          expectedTocDigest: layer.annotations!['containerd.io/snapshot/stargz/toc.digest']!,
        })
      : readZstdChunkedToc(f, layer.size, { annotations: layer.annotations! });
  const readFile = format === 'eStargz' ? readEstargzFile : readZstdChunkedFile;
  let row: Row | undefined;
  const firstMs: number[] = [];
  const deepMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c = counting(reg, repo, layer.digest);
    const t0 = performance.now();
    const toc = (await readToc(c.fetch))!;
    // eStargz puts a 1-byte landmark file first (prefetch marker): the first real file after it.
    const firstEntry = toc.entries.find(
      (e) => e.type === 'reg' && (e.size ?? 0) > 0 && !e.name.includes('prefetch.landmark'),
    )!;
    const first = await readFile(c.fetch, toc, firstEntry.name);
    firstMs.push(performance.now() - t0);
    const t1 = performance.now();
    const deep = await readFile(c.fetch, toc, DEEP);
    deepMs.push(performance.now() - t1);
    if (!Buffer.from(deep.bytes).equals(Buffer.from(deepBytes))) throw new Error(`${format}: ${DEEP} differs`);
    row = {
      format,
      layer,
      first: `${firstEntry.name} (${firstEntry.size} B)`,
      tocBytes: toc.fetched,
      tocRequests: toc.requests,
      firstBytes: first.fetched,
      firstRequests: first.requests,
      firstMs: 0,
      deepBytes: deep.fetched,
      deepRequests: deep.requests,
      deepMs: 0,
      entries: toc.entries.filter((e) => e.type !== 'chunk').length,
    };
  }
  return { ...row!, firstMs: median(firstMs), deepMs: median(deepMs) };
}

async function main(): Promise<void> {
  const write = !process.argv.includes('--no-write');
  rmSync(WORK, { recursive: true, force: true });
  const src = await startRegistry();
  const reg = await startRegistry();
  const ctd = await startContainerd();
  const lines: string[] = [];
  const made: string[] = [];
  try {
    for (const [k, spec] of LAYERS.entries()) {
      const { layout, tarSize, gzSize } = prepare(k);
      const deepBytes = readFileSync(join(WORK, 'src', DEEP));
      execFileSync('skopeo', [
        'copy',
        '--dest-tls-verify=false',
        `oci:${layout}:v1`,
        `docker://${src.host}/bench/src${k}:v1`,
      ]);
      let t = performance.now();
      await convertEstargz(ctd, `${src.host}/bench/src${k}:v1`, `${reg.host}/bench/lazy${k}:esgz`);
      const esgzConvert = performance.now() - t;
      t = performance.now();
      await pushZstdChunked(`${src.host}/bench/src${k}:v1`, `${reg.host}/bench/lazy${k}:zc`);
      const zcConvert = performance.now() - t;
      made.push(
        `- ${spec.name}: ${mb(tarSize)} tar (${spec.what}, GNU tar, the 1 MB file \`${DEEP}\` last), \`gzip -6\` ${mb(gzSize)}; converted in ${(esgzConvert / 1000).toFixed(1)} s (eStargz) and ${(zcConvert / 1000).toFixed(1)} s (zstd:chunked).`,
      );
      for (const r of [
        await measure('eStargz', reg, `bench/lazy${k}`, 'esgz', deepBytes),
        await measure('zstd:chunked', reg, `bench/lazy${k}`, 'zc', deepBytes),
      ]) {
        const firstTotal = r.tocBytes + r.firstBytes;
        const pct = (100 * firstTotal) / r.layer.size;
        lines.push(
          `| ${spec.name} | ${r.format} | ${mb(r.layer.size)} | ${r.entries} | ${r.tocBytes} B in ${r.tocRequests} (${(r.tocBytes / r.entries).toFixed(0)} B per entry) | ` +
            `${r.first}: ${r.firstBytes} B in ${r.firstRequests} | **${firstTotal} B = ${pct.toFixed(3)}%** (< 2%: ${pct < 2 ? 'met' : 'not met'}) | ` +
            `${r.firstMs.toFixed(0)} ms | ${mb(r.deepBytes)} in ${r.deepRequests}, ${r.deepMs.toFixed(0)} ms |`,
        );
      }
    }
    const body = `## Peek, lazy formats (eStargz, zstd:chunked)

Generated by \`npm run bench -- peek-lazy\` (bench/peek-lazy.ts) on ${new Date().toISOString().slice(0, 16)}Z; ${machine()}.

Each layer is put in a docker-registry by skopeo (an OCI layout written by the bench), then converted by independent producers: eStargz by \`ctr-remote image convert --estargz --oci\` (stargz-snapshotter, through containerd), zstd:chunked by \`podman push --compression-format zstd:chunked\`. Read from a docker-registry on 127.0.0.1 with Range requests, as the app reads them (src/core/peek/estargz.ts, zstd-chunked.ts); every chunk and file checked against its digest; medians of ${RUNS} runs.

${made.join('\n')}

| layer | format | size | entries | TOC fetched (requests) | first regular file fetched (requests) | TOC + first file, of the layer | time to the first file (TOC + file) | the deep 1 MB file |
|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}
`;
    console.log(body);
    if (write) writeSection('peek-lazy', body);
  } finally {
    await ctd.stop();
    await reg.stop();
    await src.stop();
  }
}

await main();
