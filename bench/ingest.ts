/**
 * Layer ingest benchmark: our one-pass pipeline (src/core/layer/ingest.ts) against native tools
 * in the same run, and each stage against its native counterpart, medians of 3; then the peak
 * RSS while ingesting a generated 1 GB layer. Writes bench/RESULTS.md (keeps its notes section).
 *   node --import tsx bench/ingest.ts          (npm run bench)
 *   node --import tsx bench/ingest.ts --rss    (only the 1 GB memory run, prints JSON)
 *   node --import tsx bench/ingest.ts --gen    (the generated 1 GB tar, to stdout)
 *   node --import tsx bench/ingest.ts --parallel   (npm run bench -- --parallel: only the ingest
 *     rows, one thread vs hashes in worker threads vs native, into their own RESULTS.md section)
 * Hashes "in worker threads": src/workers/hasher.ts's pool over Node worker_threads
 * (bench/hash-thread.ts), the stand-in for the browser's nested Web Workers.
 */
import { execSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { decompress } from '../src/core/compression.ts';
import { ingestLayer } from '../src/core/layer/ingest.ts';
import { createSha256 } from '../src/core/sha256.ts';
import { streamOf } from '../src/core/tar/bytes.ts';
import { readTar } from '../src/core/tar/reader.ts';
import { writeTar, type TarWriteEntry } from '../src/core/tar/writer.ts';
import {
  byteBudget,
  createHasherPool,
  ONE_SHOT_BUDGET,
  oneShotFirst,
  poolSize,
  type HasherPool,
} from '../src/workers/hasher.ts';
import { threadPort } from './hash-thread.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const WORK = join(ROOT, 'bench/.work');
const TAR = join(WORK, 'layer.tar');
const GZ = `${TAR}.gz`;
const ZST = `${TAR}.zst`;
const RUNS = 5;
const CHUNK = 64 << 10; // about what fetch() hands out

// Pull-based (Readable.toWeb in Node 20 reads ahead without bound, which would measure Node's
// buffering rather than ours).
const nodeStream = (r: AsyncIterable<Uint8Array>) => streamOf(r[Symbol.asyncIterator]());
const fileStream = (f: string) => nodeStream(createReadStream(f, { highWaterMark: CHUNK }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeShell(cmd: string): number {
  const t = performance.now();
  const r = spawnSync('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`failed: ${cmd}`);
  return performance.now() - t;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function drain(it: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of it) n += c.length;
  return n;
}

function prepare(): void {
  mkdirSync(WORK, { recursive: true });
  if (!existsSync(TAR)) {
    // Real files: this project's node_modules and some of /usr/share (~200 MB, ~30k entries).
    execSync(`tar --format=pax -cf ${TAR} -C ${ROOT} node_modules -C / usr/share/i18n usr/share/man/man1`, {
      stdio: 'inherit',
    });
  }
  if (!existsSync(GZ)) execSync(`gzip -6 -c ${TAR} > ${GZ}`);
  if (!existsSync(ZST)) execSync(`zstd -q -3 -c ${TAR} > ${ZST}`);
}

interface Row {
  stage: string;
  ours: string;
  native: string;
  oursMs: number;
  nativeMs: number;
}

async function compare(
  stage: string,
  ours: string,
  fn: () => Promise<unknown>,
  native: string,
  cmd: string,
): Promise<Row> {
  const o: number[] = [];
  const n: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so both see the same background load.
    n.push(timeShell(cmd));
    o.push(await timeAsync(fn));
  }
  const row = { stage, ours, native, oursMs: median(o), nativeMs: median(n) };
  console.log(
    `${stage.padEnd(22)} ${ours.padEnd(44)} ${(row.oursMs / 1000).toFixed(2)}s  vs ${native}: ${(row.nativeMs / 1000).toFixed(2)}s  = ${(row.oursMs / row.nativeMs).toFixed(2)}x`,
  );
  return row;
}

/** Writes a generated 1 GB tar to stdout: 1024 files of 1 MiB, moderately compressible. */
async function generate(): Promise<void> {
  const files = Number(process.env.BENCH_GEN_FILES ?? 1024);
  const size = 1 << 20;
  const block = new Uint8Array(size);
  let seed = 1;
  for (let i = 0; i < size; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    block[i] = i % 4 === 0 ? seed >>> 24 : 0x61 + (i % 7);
  }
  async function* entries(): AsyncGenerator<TarWriteEntry> {
    for (let i = 0; i < files; i++) {
      const body = block.slice();
      body[0] = i & 0xff;
      body[1] = i >> 8;
      yield { path: `data/${String(i).padStart(4, '0')}.bin`, size, body, mtime: 0 };
    }
  }
  await new Promise<void>((resolve, reject) =>
    Readable.from(writeTar(entries())).pipe(process.stdout).on('finish', resolve).on('error', reject),
  );
}

/** Peak memory while ingesting the generated 1 GB layer, gzip'd by `gzip -1` in another
 * process (so only the ingest lives in this one). In-process CompressionStream was tried first:
 * Node's does not hold back its producer and itself grew to 360 MB for 256 MB. */
async function rssRun(): Promise<void> {
  const generated = (files: number) => {
    const child = spawn('/bin/sh', ['-c', `"${process.execPath}" --import tsx bench/ingest.ts --gen | gzip -1`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_GEN_FILES: String(files) },
    });
    return nodeStream(child.stdout);
  };
  const atStart = process.memoryUsage().rss;
  // Started first: their threads' memory is in RSS before and after.
  const pool = process.argv.includes('--workers') ? await warmPool(poolSize(availableParallelism())) : undefined;
  // The app's steady state: it has ingested a layer before (an 8 MB one here), so the code is
  // compiled and the heap has its working size. The baseline is taken after that.
  await ingestLayer(generated(8), pool ? { hasher: pool.hasher } : {});
  globalThis.gc?.();
  const gz = generated(Number(process.env.BENCH_GEN_FILES ?? 1024));
  const before = process.memoryUsage().rss;
  let peakSampled = before;
  const timer = setInterval(() => (peakSampled = Math.max(peakSampled, process.memoryUsage().rss)), 50);
  const t = performance.now();
  const r = await ingestLayer(gz, pool ? { hasher: pool.hasher } : {});
  pool?.close();
  clearInterval(timer);
  const out = {
    uncompressedBytes: r.uncompressedSize,
    compressedBytes: r.compressedSize,
    entries: r.entries.length,
    seconds: (performance.now() - t) / 1000,
    rssAtStartMB: atStart / 1e6,
    rssBeforeMB: before / 1e6,
    peakRssSampledMB: peakSampled / 1e6,
    maxRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
  };
  console.log(JSON.stringify(out));
}

function rssRunOf(files: number, v8: string[] = [], args: string[] = []): Record<string, number> {
  const rss = spawnSync(
    process.execPath,
    [...v8, '--import', 'tsx', '--expose-gc', join(ROOT, 'bench/ingest.ts'), '--rss', ...args],
    {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, BENCH_GEN_FILES: String(files) },
    },
  );
  if (rss.status !== 0) throw new Error(`rss run failed: ${rss.stderr}`);
  return JSON.parse(rss.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

/**
 * The memory target: peak RSS while ingesting a 1 GB layer, flat, < 64 MB above the
 * baseline. Each run is its own process; its baseline is the RSS just before the ingest starts,
 * with everything an ingest needs already up (modules loaded, hash threads started and warm:
 * they live as long as the app's engine, not per layer). The 1/8-size runs show it is flat; the
 * capped run shows the pipeline's live memory is bounded whatever heap V8 allows itself.
 */
function memoryRuns(): string {
  const runs: [string, Record<string, number>][] = [
    ['1 GB, one thread', rssRunOf(1024)],
    ['128 MB, one thread', rssRunOf(128)],
    [
      `1 GB, hashes in ${threadsLabel(poolSize(availableParallelism()))} (same process, counted)`,
      rssRunOf(1024, [], ['--workers']),
    ],
    [`128 MB, hashes in ${threadsLabel(poolSize(availableParallelism()))}`, rssRunOf(128, [], ['--workers'])],
    ['1 GB, one thread, `--max-old-space-size=48`', rssRunOf(1024, ['--max-old-space-size=48'])],
  ];
  const above = (r: Record<string, number>) => Math.max(r.maxRssMB!, r.peakRssSampledMB!) - r.rssBeforeMB!;
  const worst = Math.max(...runs.map(([, r]) => above(r)));
  const big = runs[0]![1];
  const rows = runs
    .map(
      ([name, r]) =>
        `| ${name} | ${(r.uncompressedBytes! / 1e6).toFixed(0)} | ${r.seconds!.toFixed(1)} | ${r.rssAtStartMB!.toFixed(0)} | ${r.rssBeforeMB!.toFixed(0)} | ${Math.max(r.maxRssMB!, r.peakRssSampledMB!).toFixed(0)} | **${above(r).toFixed(0)}** |`,
    )
    .join('\n');
  console.log(rows);
  return `Memory: a generated layer (${big.entries} files of 1 MiB at full size, \`gzip -1\` in a child process) ingested
in a process of its own. RSS at start: modules loaded. Baseline: RSS just before the big ingest, after
the hash threads (if any) started and an 8 MB layer was ingested first, as in an app that has pulled
before. Peak = the larger of maxRSS and RSS sampled every 50 ms (the 8 MB layer included).

| run | tar (MB) | time (s) | RSS at start (MB) | baseline (MB) | peak (MB) | above baseline (MB) |
|---|---|---|---|---|---|---|
${rows}

Memory target, flat and < 64 MB above baseline: ${worst < 64 ? 'met' : 'not met'} (worst ${worst.toFixed(0)} MB above).`;
}

/** A pool of hasher threads, started before timing (the browser's outlive one layer too); its
 * hashes composed as workerHasher composes them in the browser: WebCrypto's one-shot digest up to
 * ONE_SHOT_MAX within a shared budget, then the streaming hash in the threads. */
async function warmPool(size: number): Promise<HasherPool> {
  const pool = createHasherPool(threadPort, size, Infinity);
  const hs = Array.from({ length: size }, () => pool.hasher());
  for (const h of hs) await h.update(new Uint8Array(1));
  await Promise.all(hs.map((h) => h.digest()));
  const budget = byteBudget(ONE_SHOT_BUDGET);
  return {
    hasher: () => oneShotFirst(pool.hasher, budget),
    get size() {
      return pool.size;
    },
    close: () => pool.close(),
  };
}

const threadsLabel = (n: number) => `${n} hash thread${n > 1 ? 's' : ''}`;

/** The ingest rows: in one thread, with the hashes in `pools` of worker threads, vs native. */
async function ingestRows(pools: HasherPool[]): Promise<Row[]> {
  const rows: Row[] = [];
  const [main] = pools;
  const w = (p: HasherPool) => `, ${threadsLabel(p.size)}`;
  const noneCmd = `sha256sum ${TAR} > /dev/null && tar -tf ${TAR} > /dev/null`;
  const gzCmd = `sha256sum ${GZ} > /dev/null && tar -tzf ${GZ} > /dev/null`;
  const zstCmd = `sha256sum ${ZST} > /dev/null && zstd -dc ${ZST} | tar -tf - > /dev/null`;
  rows.push(
    await compare('ingest none', 'ingestLayer', () => ingestLayer(fileStream(TAR)), 'sha256sum && tar -tf', noneCmd),
  );
  rows.push(
    await compare(
      'ingest none',
      `ingestLayer, hash in a worker${w(main!)}`,
      () => ingestLayer(fileStream(TAR), { hasher: main!.hasher }),
      'sha256sum && tar -tf',
      noneCmd,
    ),
  );
  rows.push(
    await compare(
      'ingest gzip',
      'ingestLayer (DecompressionStream)',
      () => ingestLayer(fileStream(GZ), { gzip: 'native' }),
      'sha256sum && tar -tzf',
      gzCmd,
    ),
  );
  for (const p of pools) {
    rows.push(
      await compare(
        'ingest gzip',
        `ingestLayer (DecompressionStream), hashes in workers${w(p)}`,
        () => ingestLayer(fileStream(GZ), { gzip: 'native', hasher: p.hasher }),
        'sha256sum && tar -tzf',
        gzCmd,
      ),
    );
  }
  rows.push(
    await compare(
      'ingest gzip',
      'ingestLayer (fflate: Chromium without reread)',
      () => ingestLayer(fileStream(GZ), { gzip: 'fflate' }),
      'sha256sum && tar -tzf',
      gzCmd,
    ),
  );
  rows.push(
    await compare(
      'ingest gzip',
      `ingestLayer (fflate), hashes in workers${w(main!)}`,
      () => ingestLayer(fileStream(GZ), { gzip: 'fflate', hasher: main!.hasher }),
      'sha256sum && tar -tzf',
      gzCmd,
    ),
  );
  rows.push(
    await compare(
      'ingest zstd',
      'ingestLayer (fzstd)',
      () => ingestLayer(fileStream(ZST)),
      'sha256sum && zstd -dc | tar -t',
      zstCmd,
    ),
  );
  rows.push(
    await compare(
      'ingest zstd',
      `ingestLayer (fzstd), hashes in workers${w(main!)}`,
      () => ingestLayer(fileStream(ZST), { hasher: main!.hasher }),
      'sha256sum && zstd -dc | tar -t',
      zstCmd,
    ),
  );
  return rows;
}

const tableOf = (rows: Row[]) => `| stage | ours | native | ours (s) | native (s) | ratio |
|---|---|---|---|---|---|
${rows.map((r) => `| ${r.stage} | ${r.ours} | \`${r.native.replace(/\|/g, '\\|')}\` | ${(r.oursMs / 1000).toFixed(2)} | ${(r.nativeMs / 1000).toFixed(2)} | ${(r.oursMs / r.nativeMs).toFixed(2)}× |`).join('\n')}`;

const machine = () => {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? '?';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${execSync('nproc', { encoding: 'utf8' }).trim()} cores, ${cpu}, Node ${process.version}; load average at the end ${load}`;
};

const PAR_START = '<!-- ingest-parallel:start -->';
const PAR_END = '<!-- ingest-parallel:end -->';

function parallelSection(prev: string): string {
  const a = prev.indexOf(PAR_START);
  const b = prev.indexOf(PAR_END);
  return a >= 0 && b > a ? prev.slice(a, b + PAR_END.length) + '\n\n' : '';
}

/** Checks that the hashes from `pool` are sha256sum's, before anything is timed. */
async function checkDigests(pool?: HasherPool): Promise<void> {
  const want = execSync(`sha256sum ${GZ} ${TAR} ${ZST}`, { encoding: 'utf8' })
    .split('\n')
    .map((l) => `sha256:${l.split(' ')[0]}`);
  const gz = await ingestLayer(fileStream(GZ), pool ? { hasher: pool.hasher } : {});
  const zst = await ingestLayer(fileStream(ZST), pool ? { hasher: pool.hasher } : {});
  if (gz.digest !== want[0] || gz.diffId !== want[1] || zst.digest !== want[2] || zst.diffId !== want[1])
    throw new Error('digest check failed');
}

/** `--parallel`: the ingest rows only, into their own section of RESULTS.md. */
async function parallelOnly(): Promise<void> {
  prepare();
  const cores = availableParallelism();
  // What poolSize picks, and for comparison 1 thread (or 2 where it picks 1).
  const pools = [await warmPool(poolSize(cores))];
  pools.push(await warmPool(pools[0]!.size >= 2 ? 1 : 2));
  await checkDigests();
  for (const p of pools) await checkDigests(p);
  const rows = await ingestRows(pools);
  for (const p of pools) p.close();
  const mem = memoryRuns();
  const file = join(ROOT, 'bench/RESULTS.md');
  const prev = readFileSync(file, 'utf8');
  const section = `${PAR_START}
## Ingest with the hashes in worker threads

Generated by \`npm run bench -- --parallel\` (bench/ingest.ts) on ${new Date().toISOString().slice(0, 16)}Z, the layer above.
Machine: ${machine()}. Runs interleaved (native, one thread, workers), median of ${RUNS}.
"hashes in workers": \`ingestLayer(blob, { hasher })\` with src/workers/hasher.ts's pool over Node
worker_threads (the browser's are nested Web Workers in the engine worker). ${threadsLabel(poolSize(cores))} is what
\`poolSize(${cores} cores)\` picks.

${tableOf(rows)}

${mem}
${PAR_END}`;
  const a = prev.indexOf(PAR_START);
  const b = prev.indexOf(PAR_END);
  const notesAt = prev.indexOf('<!-- notes -->');
  const next =
    a >= 0 && b > a
      ? prev.slice(0, a) + section + prev.slice(b + PAR_END.length)
      : notesAt >= 0
        ? `${prev.slice(0, notesAt)}${section}\n\n${prev.slice(notesAt)}`
        : `${prev}\n${section}\n`;
  writeFileSync(file, next);
  console.log('wrote bench/RESULTS.md (ingest-parallel section)');
}

async function main(): Promise<void> {
  if (process.argv.includes('--gen')) return generate();
  if (process.argv.includes('--rss')) return rssRun();
  if (process.argv.includes('--parallel')) return parallelOnly();
  prepare();
  const tarBytes = statSync(TAR).size;
  const entryCount = execSync(`tar -tf ${TAR} | wc -l`, { encoding: 'utf8' }).trim();
  console.log(
    `layer: ${(tarBytes / 1e6).toFixed(0)} MB tar, ${entryCount} entries; gzip ${(statSync(GZ).size / 1e6).toFixed(0)} MB, zstd ${(statSync(ZST).size / 1e6).toFixed(0)} MB`,
  );
  // Sanity: our digests equal sha256sum's before timing anything, in one thread and with workers.
  const pool = await warmPool(poolSize(availableParallelism()));
  await checkDigests();
  await checkDigests(pool);

  const rows: Row[] = [];
  rows.push(
    await compare(
      'gunzip',
      'DecompressionStream',
      () => drain(decompress(fileStream(GZ), 'gzip', { gzip: 'native' })),
      'gzip -dc',
      `gzip -dc ${GZ} > /dev/null`,
    ),
  );
  rows.push(
    await compare(
      'gunzip',
      'fflate Gunzip (8 KiB slices)',
      () => drain(decompress(fileStream(GZ), 'gzip', { gzip: 'fflate' })),
      'gzip -dc',
      `gzip -dc ${GZ} > /dev/null`,
    ),
  );
  rows.push(
    await compare(
      'zstd',
      'fzstd Decompress (4 KiB pieces, guard)',
      () => drain(decompress(fileStream(ZST), 'zstd')),
      'zstd -dc',
      `zstd -dc ${ZST} > /dev/null`,
    ),
  );
  rows.push(
    await compare(
      'sha256',
      'createSha256 (src/core/sha256.ts, unrolled)',
      async () => {
        const h = createSha256();
        for await (const c of fileStream(TAR) as unknown as AsyncIterable<Uint8Array>) h.update(c);
        return h.digest();
      },
      'sha256sum',
      `sha256sum ${TAR} > /dev/null`,
    ),
  );
  rows.push(
    await compare(
      'sha256',
      '@noble/hashes streaming (what core used before)',
      async () => {
        const h = nobleSha256.create();
        for await (const c of fileStream(TAR) as unknown as AsyncIterable<Uint8Array>) h.update(c);
        return h.digest();
      },
      'sha256sum',
      `sha256sum ${TAR} > /dev/null`,
    ),
  );
  rows.push(
    await compare(
      'sha256',
      'node:crypto streaming (reference, not in core)',
      async () => {
        const h = createHash('sha256');
        for await (const c of fileStream(TAR) as unknown as AsyncIterable<Uint8Array>) h.update(c);
        return h.digest('hex');
      },
      'sha256sum',
      `sha256sum ${TAR} > /dev/null`,
    ),
  );
  rows.push(
    await compare(
      'tar index',
      'readTar (skip bodies)',
      async () => {
        let n = 0;
        for await (const _ of readTar(fileStream(TAR))) n++;
        return n;
      },
      'tar -tf',
      `tar -tf ${TAR} > /dev/null`,
    ),
  );
  rows.push(...(await ingestRows([pool])));
  pool.close();

  const mem = memoryRuns();

  const prev = existsSync(join(ROOT, 'bench/RESULTS.md')) ? readFileSync(join(ROOT, 'bench/RESULTS.md'), 'utf8') : '';
  const notesAt = prev.indexOf('<!-- notes -->');
  const notes = notesAt >= 0 ? prev.slice(notesAt) : '<!-- notes -->\n';
  const md = `# Layer ingest benchmark

Generated by \`npm run bench\` (bench/ingest.ts) on ${new Date().toISOString().slice(0, 16)}Z.
Machine: ${machine()}
(the machine is shared: ratios are measured in the same run, runs interleaved, median of ${RUNS}).

Layer: ${(tarBytes / 1e6).toFixed(0)} MB tar of real files (node_modules, /usr/share/i18n, /usr/share/man/man1),
${entryCount} entries; gzip -6 ${(statSync(GZ).size / 1e6).toFixed(0)} MB; zstd -3 ${(statSync(ZST).size / 1e6).toFixed(0)} MB. Chunks of ${CHUNK >> 10} KiB.

${tableOf(rows)}

${mem}

${parallelSection(prev)}${notes}`;
  writeFileSync(join(ROOT, 'bench/RESULTS.md'), md);
  console.log('wrote bench/RESULTS.md');
}

await main();
