/**
 * The levers of the pull, measured one at a time in headless Chromium (a dedicated worker, as
 * the engine is; a profile on disk, as an installed app has): IndexedDB values as Uint8Array vs
 * Blob, batches between threads transferred vs cloned, SHA-256 in JS (src/core/sha256.ts)
 * vs WebCrypto's one-shot digest. Variants interleaved, median of RUNS. Chromium's CPU seconds
 * (all its processes, from /proc) are noted per variant: IndexedDB's work is mostly in the
 * browser process, out of the worker's sight.
 *   node --import tsx bench/pull-levers.ts [--no-write]
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/e2e/browser.ts';
import { writeSection } from './results.ts';

const RUNS = Number(process.env.BENCH_RUNS) || 3;
const MB = 256;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function chromiumCpu(): number {
  const tick = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  const procs = new Map<number, { ppid: number; comm: string; cpu: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const f = stat.slice(close + 2).split(' ');
      procs.set(Number(d), {
        ppid: Number(f[1]),
        comm: stat.slice(stat.indexOf('(') + 1, close),
        cpu: (Number(f[11]) + Number(f[12])) / tick,
      });
    } catch {
      // exited meanwhile
    }
  }
  let cpu = 0;
  for (const [pid, p] of procs) {
    if (!/chrom/i.test(p.comm)) continue;
    for (let q = procs.get(pid)?.ppid, hops = 0; q !== undefined && q > 1 && hops < 32; q = procs.get(q)?.ppid, hops++)
      if (q === process.pid) {
        cpu += p.cpu;
        break;
      }
  }
  return cpu;
}

const bundle = await build({
  entryPoints: [new URL('pull-levers.worker.ts', import.meta.url).pathname],
  bundle: true,
  format: 'iife',
  write: false,
  target: 'es2022',
});
const files: Record<string, [string, string]> = {
  '/': ['text/html', '<!doctype html><title>levers</title>'],
  '/levers.js': ['text/javascript', bundle.outputFiles[0]!.text],
  '/pull-levers-echo.js': ['text/javascript', readFileSync(new URL('pull-levers-echo.js', import.meta.url), 'utf8')],
};
const server = createServer((req, res) => {
  const f = files[req.url ?? '/'];
  if (!f) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
const profile = mkdtempSync(join(tmpdir(), 'layerscope-levers-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath(),
  args: CHROMIUM_ARGS,
  headless: true,
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  await page.evaluate(() => {
    (globalThis as unknown as { lever: Worker }).lever = new Worker('/levers.js');
  });
  const run = async (t: string, arg?: number) => {
    const c0 = chromiumCpu();
    const r = await page.evaluate(
      ([t, mb, arg]) =>
        new Promise<{ ok: boolean; r?: Record<string, number>; error?: string }>((resolve) => {
          const w = (globalThis as unknown as { lever: Worker }).lever;
          w.onmessage = (e) => resolve(e.data);
          w.postMessage({ t, mb, arg });
        }),
      [t, MB, arg] as const,
    );
    if (!r.ok) throw new Error(`${t}: ${r.error}`);
    return { ...r.r!, cpu: chromiumCpu() - c0 };
  };
  const variants: [string, string, number?][] = [
    ['idb-array', 'IndexedDB: 4 MiB Uint8Array values, one transaction each; then read back'],
    ['idb-blob', 'IndexedDB: the same chunks as Blob values; then read back (arrayBuffer())'],
    ['copy-transfer', 'to a worker and back: copy into 512 KiB batches, transfer, buffer returned'],
    ['copy-clone', 'to a worker: 512 KiB batches structured-cloned (no transfer)'],
    ['copy-clone-64k', 'to a worker: 64 KiB chunks structured-cloned (no transfer)'],
    ['sha-js', 'SHA-256 streaming, src/core/sha256.ts, 64 KiB pieces'],
    ['sha-webcrypto', 'SHA-256 one-shot crypto.subtle.digest, 32 MiB buffers', 32],
    ['sha-webcrypto', 'SHA-256 one-shot crypto.subtle.digest, 4 MiB buffers', 4],
  ];
  const results = new Map<string, Record<string, number>[]>();
  for (let i = 0; i < RUNS; i++) {
    for (const [t, label, arg] of variants) {
      const r = await run(t, arg);
      console.log(
        `run ${i + 1} ${label}: ${JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v * 100) / 100])))}`,
      );
      results.set(label, [...(results.get(label) ?? []), r]);
    }
  }
  const rows = [...results].map(([label, rs]) => {
    const keys = Object.keys(rs[0]!).filter((k) => k !== 'cpu');
    const ms = (k: string) => median(rs.map((r) => r[k] ?? NaN));
    const figs = keys.map(
      (k) => `${k === 'ms' ? '' : `${k} `}${(ms(k) / 1000).toFixed(2)} s (${(MB / (ms(k) / 1000)).toFixed(0)} MiB/s)`,
    );
    return `| ${label} | ${figs.join('; ')} | ${median(rs.map((r) => r.cpu ?? NaN)).toFixed(2)} |`;
  });
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const body = `### Levers, one at a time

\`node --import tsx bench/pull-levers.ts\` on ${new Date().toISOString().slice(0, 16)}Z: ${MB} MiB through each building block
in a dedicated worker of headless Chromium (profile on disk), variants interleaved, median of ${RUNS};
load average at the end ${load}. CPU = all of Chromium's processes, from /proc.

| variant | time (throughput) | Chromium CPU (s) |
|---|---|---|
${rows.join('\n')}`;
  console.log(`\n${body}\n`);
  if (!process.argv.includes('--no-write')) writeSection('pull-levers', body);
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
