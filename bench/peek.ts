/**
 * Peek benchmark: a gzip layer of real files (this project's node_modules and part of
 * /usr/share, `gzip -6`) with a 1 MB file appended last, so it lies deep in the layer, served
 * by a local HTTP server that answers Range (as docker-registry does). Measures:
 * - the peek pass (digest, gunzip with our inflater, diff_id, tar index, a SHA-256 per file,
 *   checkpoints every ~4 MiB of compressed input, sparse windows) and the size of the stored
 *   index against the compressed layer;
 * - opening the deep 1 MB file after indexing: planRead + one Range request + inflate from the
 *   checkpoint + SHA-256 check, its time and the bytes fetched;
 * - the native way without an index, in the same run: `curl URL | tar -xzOf - FILE`.
 * Medians of several runs; writes the "Peek" section of bench/RESULTS.md.
 *   node --import tsx bench/peek.ts            (npm run bench -- peek)
 *   node --import tsx bench/peek.ts --no-write (print only)
 */
import { execSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { peekIndexLayer } from '../src/core/peek/index-layer.ts';
import { decodePeekLayer, encodePeekLayer, fileHashLookup, decodeLayerIndex } from '../src/core/peek/encode.ts';
import { bytesHex } from '../src/core/peek/index-layer.ts';
import { planRead, readPlanned, type RangeFetch } from '../src/core/peek/read.ts';
import { writeSection } from './results.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const WORK = join(ROOT, 'bench/.work');
const FULL = Boolean(process.env.PEEK_BENCH_FULL);
const TAR = join(WORK, FULL ? 'peek-layer-full.tar' : 'peek-layer.tar');
const GZ = `${TAR}.gz`;
const DEEP = 'zz-peek-bench/deep-1MB.bin';
const RUNS = 5;
const TARGET_MS = 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const kb = (n: number) => `${Math.round(n / 1e3)} kB`;

function machine(): string {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? '?';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${execSync('nproc', { encoding: 'utf8' }).trim()} cores, ${cpu}, Node ${process.version}; load average at the end ${load}`;
}

function prepare(): void {
  mkdirSync(WORK, { recursive: true });
  if (existsSync(GZ)) return;
  const deepDir = join(WORK, 'zz-peek-bench');
  mkdirSync(deepDir, { recursive: true });
  // 1 MB of text-like bytes (compresses as source files do).
  const words = ['function ', 'return ', 'const ', '{\n', '}\n', 'node_modules/', 'export ', '=> ', '0x1f8b '];
  let s = '';
  let x = 7;
  while (s.length < 1_000_000) s += words[(x = (Math.imul(x, 1103515245) + 12345) >>> 0) % words.length];
  writeFileSync(join(deepDir, 'deep-1MB.bin'), s.slice(0, 1_000_000));
  // PEEK_BENCH_FULL=1: the size: all of node_modules, /usr/share/{i18n,man,doc} and the
  // binaries of Chromium, Firefox ESR and Go (about 500 MB of gzip; its own files); by default a
  // ~150 MB tar, which a loaded 2-core machine indexes in reasonable time. The open time does
  // not depend on the layer's size, only on the distance from the nearest checkpoint.
  const sources = process.env.PEEK_BENCH_FULL
    ? `-C ${ROOT} node_modules -C / usr/share/i18n usr/share/man usr/share/doc usr/lib/chromium usr/lib/firefox-esr usr/lib/go-1.19`
    : `-C ${ROOT} node_modules/typescript node_modules/@rolldown -C / usr/share/i18n usr/share/man`;
  execSync(`tar --format=pax --ignore-failed-read -cf ${TAR} ${sources} -C ${WORK} zz-peek-bench`, {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execSync(`gzip -6 -c ${TAR} > ${GZ}`);
}

/** A file server that answers Range like docker-registry, counting the bytes it sends. */
async function serve(file: string): Promise<{ url: string; sent: () => number; close: () => Promise<void> }> {
  let sent = 0;
  const size = statSync(file).size;
  const server = http.createServer((req, res) => {
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    res.writeHead(m ? 206 : 200, {
      'content-length': end - start + 1,
      ...(m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    const rs = createReadStream(file, { start, end, highWaterMark: 64 << 10 });
    rs.on('data', (c) => (sent += c.length));
    rs.pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/blob`,
    sent: () => sent,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function main(): Promise<void> {
  const write = !process.argv.includes('--no-write');
  prepare();
  const gzSize = statSync(GZ).size;
  const tarSize = statSync(TAR).size;
  const srv = await serve(GZ);
  try {
    // The peek pass, once (it is the slow, one-time part).
    const t0 = performance.now();
    const res = await fetch(srv.url);
    const layer = await peekIndexLayer(res.body!);
    const indexMs = performance.now() - t0;
    const stored = encodePeekLayer(layer);
    const indexBytes = stored.packed.length;
    const decoded = decodePeekLayer(structuredClone(stored));
    // What the deflated index is made of (each part deflated alone, to see its share).
    const { deflateSync } = await import('fflate');
    const part = (b: Uint8Array) => deflateSync(b, { level: 6 }).length;
    const windowBytes = layer.windows.reduce((n, w) => n + part(w), 0);
    const windowKept = layer.windows.reduce((n, w) => n + w.reduce((k, b) => k + (b !== 0 ? 1 : 0), 0), 0);
    const hashBytes = part(layer.fileHashes);
    const files = layer.fileHashes.length / 32;
    const entries = decodeLayerIndex(decoded.index);
    const k = entries.findIndex((e) => e.path === DEEP);
    const entry = entries[k]!;
    const sha = bytesHex(fileHashLookup(decoded.index, decoded.fileHashes)(k)!);
    const rangeFetch: RangeFetch = async (start, end) => {
      const r = await fetch(srv.url, { headers: { Range: `bytes=${start}-${end}` } });
      return { status: r.status, body: r.body!, rangeStart: start };
    };

    // Opening the deep file after indexing.
    const openMs: number[] = [];
    let fetched = 0;
    let plan = planRead(decoded, entry);
    for (let i = 0; i < RUNS + 1; i++) {
      const t = performance.now();
      plan = planRead(decoded, entry);
      const got = await readPlanned(rangeFetch, plan, sha);
      const ms = performance.now() - t;
      if (i > 0) openMs.push(ms); // the first run warms the JIT
      fetched = got.fetched;
      if (got.bytes.length !== 1_000_000) throw new Error('wrong size');
    }
    // The file's own compressed size, bounded from above by the access points around it.
    const after = decoded.points.find((p) => p.out >= entry.offset + entry.size);
    const before = [...decoded.points].reverse().find((p) => p.out <= entry.offset);
    const fileCompressed = Math.ceil(((after?.inBit ?? gzSize * 8) - (before?.inBit ?? 0)) / 8);
    const budget = 4 * 2 ** 20 + fileCompressed;

    // Native, no index: stream the layer and extract the one file.
    const nativeMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      // Asynchronously: the server answering curl runs in this process's event loop.
      const code = await new Promise<number | null>((resolve) =>
        spawn('/bin/sh', ['-c', `curl -s ${srv.url} | tar -xzOf - ${DEEP} > /dev/null`], { stdio: 'inherit' }).on(
          'exit',
          resolve,
        ),
      );
      if (code !== 0) throw new Error('native failed');
      nativeMs.push(performance.now() - t);
    }
    const ours = median(openMs);
    const native = median(nativeMs);
    const body = `## Peek${FULL ? ', the 500 MB layer (PEEK_BENCH_FULL=1)' : ''}

Generated by \`${FULL ? 'PEEK_BENCH_FULL=1 ' : ''}npm run bench -- peek\` (bench/peek.ts) on ${new Date().toISOString().slice(0, 16)}Z; ${machine()}.

Layer: ${mb(tarSize)} tar (${FULL ? "this project's node_modules, /usr/share/{i18n,man,doc}, /usr/lib/{chromium,firefox-esr,go-1.19}" : 'node_modules/{typescript,@rolldown}, /usr/share/{i18n,man}'}), \`gzip -6\`: ${mb(gzSize)}, ${entries.length} entries; the 1 MB file \`${DEEP}\` is the last entry (offset ${mb(entry.offset)} of the tar). Served by a local HTTP server that answers Range.

| what | figure |
|---|---|
| peek pass (digest, our inflater, diff_id, tar index, SHA-256 per file, checkpoints every ~4 MiB of compressed input) | ${(indexMs / 1000).toFixed(1)} s, ${mb(tarSize / (indexMs / 1000))}/s of tar |
| index stored (entries, file hashes, ${decoded.points.length} access points, ${decoded.windows.length} checkpoint windows; deflated) | ${kb(indexBytes)} = ${((100 * indexBytes) / gzSize).toFixed(2)}% of the compressed layer (target ≤ 2%) |
| of which: ${files} file SHA-256s (32 B each, incompressible) / the checkpoint windows (sparse: bytes never read after the checkpoint zeroed; ${windowKept} non-zero bytes left of ${layer.windows.length} × 32 KiB) / the rest (entries, points) | ${kb(hashBytes)} / ${kb(windowBytes)} / ${kb(Math.max(0, indexBytes - hashBytes - windowBytes))} (each deflated alone) |
| open the deep 1 MB file after indexing (plan, one Range request, inflate from the checkpoint, SHA-256 check), median of ${RUNS} | ${ours.toFixed(0)} ms (target < ${TARGET_MS} ms ${ours < TARGET_MS ? 'met' : 'NOT met'}) |
| bytes fetched for it | ${mb(fetched)} (Range ${plan.start}–${plan.end}); budget 4 MiB + the file's compressed span ${mb(fileCompressed)} = ${mb(budget)}: ${fetched <= budget ? 'met' : 'NOT met'} |
| native, no index: \`curl URL \\| tar -xzOf - FILE\`, median of ${RUNS} | ${native.toFixed(0)} ms, ${mb(gzSize)} fetched |
| ratio ours / native (same run) | ${(ours / native).toFixed(3)}× |
`;
    console.log(body);
    if (write) writeSection(FULL ? 'peek-full' : 'peek', body);
  } finally {
    await srv.close();
  }
}

await main();
