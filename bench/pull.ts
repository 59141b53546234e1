/**
 * Pull throughput: a ~200 MB image (4 gzip layers of real files) from a local `docker-registry`
 * into the app in headless Chromium, through the app's own proxy, with IndexedDB on disk;
 * against `skopeo copy … dir:` from the same registry (which also verifies digests), in the same
 * run, runs interleaved, median of 3 each. Figures are compressed bytes per second.
 * Writes its own section of bench/RESULTS.md (between the pull markers).
 *   node --import tsx bench/pull.ts            (npm run bench -- pull; builds the app into a temp dir)
 *   LAYERSCOPE_DIST_DIR=/tmp/dist node --import tsx bench/pull.ts   (use an existing build)
 *   … bench/pull.ts --no-write                 (print only)
 * Layer tars are cached in $TMPDIR/layerscope-pullbench (delete it to rebuild them).
 */
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { startApp, type RunningApp } from '../tests/e2e/app.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/e2e/browser.ts';
import { startRegistry, type TestRegistry } from '../tests/helpers/registry.ts';
import { writeSection } from './results.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const CACHE = join(tmpdir(), 'layerscope-pullbench');
const RUNS = 3;
const REPO = 'bench/pull';
const TAG = 'v1';
/** Real files, bottom layer first: [name, tar -C dir, paths]. About 200 MB gzip'd in all. */
const LAYERS: [string, string, string[]][] = [
  ['node_modules', ROOT, ['node_modules']],
  ['locale', '/', ['usr/share/locale']],
  ['man', '/', ['usr/share/man']],
  [
    'misc',
    '/',
    [
      'usr/share/vim',
      'usr/share/perl',
      'usr/share/perl5',
      'usr/share/icons',
      'usr/share/fonts',
      'usr/share/cmake-3.25',
      'usr/share/java',
      'usr/share/i18n',
      'usr/share/zoneinfo',
      'usr/share/mime',
    ],
  ],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

interface BuiltLayer {
  name: string;
  digest: string;
  diffId: string;
  size: number;
  tarSize: number;
  entries: number;
}

/** The layer tars (pax, gzip -6) in an OCI layout, by hand: what is pushed is exactly these bytes. */
async function buildLayout(): Promise<{ layout: string; layers: BuiltLayer[] }> {
  const layout = join(CACHE, 'oci');
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layers: BuiltLayer[] = [];
  for (const [name, dir, paths] of LAYERS) {
    // Named by what goes in, so a changed path list builds a new tar.
    const key = createHash('sha256')
      .update(JSON.stringify([dir, paths]))
      .digest('hex')
      .slice(0, 12);
    const tar = join(CACHE, `${name}-${key}.tar`);
    const gz = `${tar}.gz`;
    if (!existsSync(gz)) {
      execFileSync('tar', ['--format=pax', '-cf', `${tar}.part`, '-C', dir, ...paths]);
      renameSync(`${tar}.part`, tar);
      execSync(`gzip -6 -c ${tar} > ${gz}.part && mv ${gz}.part ${gz}`);
    }
    const digest = await sha256File(gz);
    const diffId = await sha256File(tar);
    const entries = Number(execSync(`tar -tf ${tar} | wc -l`, { encoding: 'utf8' }).trim());
    const blob = join(blobs, digest.slice(7));
    if (!existsSync(blob)) execFileSync('cp', [gz, blob]);
    layers.push({ name, digest, diffId, size: statSync(gz).size, tarSize: statSync(tar).size, entries });
  }
  const put = (s: string) => {
    const d = `sha256:${createHash('sha256').update(s).digest('hex')}`;
    writeFileSync(join(blobs, d.slice(7)), s);
    return { digest: d, size: Buffer.byteLength(s) };
  };
  const config = put(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((l) => ({ created_by: `bench layer ${l.name}` })),
    }),
  );
  const manifest = put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: l.digest,
        size: l.size,
      })),
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
          annotations: { 'org.opencontainers.image.ref.name': TAG },
        },
      ],
    }),
  );
  return { layout, layers };
}

/** The native baseline: skopeo fetches every blob and checks its digest, writing to disk. */
function skopeoPull(ref: string, home: string): number {
  const dest = mkdtempSync(join(tmpdir(), 'layerscope-pullbench-skopeo-'));
  rmSync(dest, { recursive: true });
  const t = performance.now();
  const r = spawnSync(
    'skopeo',
    [
      '--insecure-policy',
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--src-no-creds',
      `docker://${ref}`,
      `dir:${dest}`,
    ],
    {
      env: { ...process.env, HOME: home },
      encoding: 'utf8',
    },
  );
  const ms = performance.now() - t;
  rmSync(dest, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`skopeo copy failed: ${r.stderr}`);
  return ms;
}

/** CPU seconds (user + system) of this process's descendants, by command name: where the pull's
 * time went (Chromium's processes, the app server's node). Linux /proc only. */
function cpuByCommand(): Map<string, number> {
  const tick = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  const procs = new Map<number, { ppid: number; comm: string; cpu: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      procs.set(Number(d), { ppid: Number(f[1]), comm, cpu: (Number(f[11]) + Number(f[12])) / tick });
    } catch {
      // exited meanwhile
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = procs.get(pid)?.ppid, hops = 0; p !== undefined && p > 1 && hops < 32; p = procs.get(p)?.ppid, hops++)
      if (p === process.pid) return true;
    return false;
  };
  const out = new Map<string, number>();
  for (const [pid, p] of procs) if (mine(pid)) out.set(p.comm, (out.get(p.comm) ?? 0) + p.cpu);
  return out;
}

/** Reference: the same blobs fetched by curl through the app's proxy (transfer only, no hashing,
 * to /dev/null): what the proxy hop itself allows. */
function proxyFetch(app: RunningApp, host: string, layers: BuiltLayer[]): number {
  const args = ['-sSf', '--max-time', '600'];
  for (const l of layers) args.push('-o', '/dev/null', `${app.url}proxy/${host}/v2/${REPO}/blobs/${l.digest}`);
  const t = performance.now();
  const r = spawnSync('curl', args, { encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`curl through the proxy failed: ${r.stderr}`);
  return ms;
}

/**
 * One pull in a fresh Chromium profile (a new user-data dir: no site data, IndexedDB on disk as
 * an installed app has it; Playwright's newContext() would keep IndexedDB in memory). Timed from
 * Enter to the log going idle with the status line; the log's Digest line must be the manifest's.
 */
interface BrowserRun {
  ms: number;
  /** CPU seconds during the pull, by command name. */
  cpu: Map<string, number>;
  /** ms from Enter at which each layer's "Pull complete" line appeared. */
  complete: number[];
}

async function browserPull(app: RunningApp, ref: string, manifestDigest: string): Promise<BrowserRun> {
  const profile = mkdtempSync(join(tmpdir(), 'layerscope-pullbench-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: CHROMIUM_ARGS,
    headless: true,
    locale: 'en-US',
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(app.url);
    const box = page.getByRole('textbox', { name: 'Command' });
    await box.waitFor();
    const log = page.getByRole('log');
    await box.fill(`docker pull ${ref}`);
    const cpu0 = cpuByCommand();
    // Armed before Enter: busy first, then idle again resolves the moment the pull ends (no
    // polling interval); the times "Pull complete" lines appear are noted on the way.
    const logEl = await log.elementHandle();
    if (!logEl) throw new Error('no role=log element');
    const done = logEl.evaluate((el) => {
      const t0 = performance.now();
      return new Promise<{ ms: number; complete: number[] }>((resolve) => {
        let seenBusy = el.getAttribute('aria-busy') === 'true';
        const complete: number[] = [];
        const obs = new MutationObserver(() => {
          const n = (el.textContent ?? '').split(': Pull complete').length - 1;
          while (complete.length < n) complete.push(performance.now() - t0);
          const busy = el.getAttribute('aria-busy') === 'true';
          if (busy) seenBusy = true;
          else if (seenBusy) {
            obs.disconnect();
            resolve({ ms: performance.now() - t0, complete });
          }
        });
        obs.observe(el, {
          attributes: true,
          attributeFilter: ['aria-busy'],
          childList: true,
          subtree: true,
          characterData: true,
        });
      });
    });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r))); // the observer is armed
    const t = performance.now();
    await box.press('Enter');
    const inPage = await done;
    const ms = performance.now() - t;
    const cpu1 = cpuByCommand();
    const cpu = new Map<string, number>();
    for (const [k, v] of cpu1) cpu.set(k, v - (cpu0.get(k) ?? 0));
    const text = (await log.textContent()) ?? '';
    if (!text.includes(`Status: Downloaded newer image for ${ref}`) || !text.includes(`Digest: ${manifestDigest}`)) {
      throw new Error(`the pull did not complete:\n${text.slice(-2000)}`);
    }
    return { ms, cpu, complete: inPage.complete };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

function machine(): string {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? '?';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const chromiumVersion =
    /Chromium [\d.]+/.exec(execSync(`${chromiumPath()} --version 2>/dev/null`, { encoding: 'utf8' }))?.[0] ??
    'Chromium ?';
  const skopeo = execSync('skopeo --version', { encoding: 'utf8' }).trim();
  return `${execSync('nproc', { encoding: 'utf8' }).trim()} cores, ${cpu}, Node ${process.version}, ${chromiumVersion}, ${skopeo}, docker-registry ${execSync('docker-registry --version', { encoding: 'utf8' }).trim().split(' ').pop()}; load average at the end ${load}`;
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  let dist = process.env.LAYERSCOPE_DIST_DIR;
  if (!dist) {
    dist = join(CACHE, 'dist');
    console.log(`building the app into ${dist}`);
    execFileSync('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  const { layout, layers } = await buildLayout();
  const compressed = layers.reduce((n, l) => n + l.size, 0);
  for (const l of layers)
    console.log(
      `layer ${l.name}: ${(l.size / 1e6).toFixed(1)} MB gzip, ${(l.tarSize / 1e6).toFixed(1)} MB tar, ${l.entries} entries`,
    );
  console.log(`image: ${(compressed / 1e6).toFixed(1)} MB compressed`);

  const home = mkdtempSync(join(tmpdir(), 'layerscope-pullbench-home-'));
  let reg: TestRegistry | undefined;
  let app: RunningApp | undefined;
  try {
    reg = await startRegistry();
    const ref = `${reg.host}/${REPO}:${TAG}`;
    execFileSync(
      'skopeo',
      [
        '--insecure-policy',
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--dest-no-creds',
        `oci:${layout}:${TAG}`,
        `docker://${ref}`,
      ],
      { env: { ...process.env, HOME: home } },
    );
    const manifestDigest = `sha256:${createHash('sha256')
      .update(
        execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], {
          env: { ...process.env, HOME: home },
        }),
      )
      .digest('hex')}`;
    app = await startApp({ PROXY_ALLOW_HOSTS: reg.host, LAYERSCOPE_DIST_DIR: dist });

    const ours: number[] = [];
    const runs: BrowserRun[] = [];
    const native: number[] = [];
    const viaProxy: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so all see the same background load.
      native.push(skopeoPull(ref, home));
      viaProxy.push(proxyFetch(app, reg.host, layers));
      const b = await browserPull(app, ref, manifestDigest);
      runs.push(b);
      ours.push(b.ms);
      console.log(
        `  CPU s: ${[...b.cpu]
          .filter(([, v]) => v >= 0.05)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ')}; Pull complete at ${b.complete.map((c) => (c / 1000).toFixed(1)).join(', ')} s`,
      );
      console.log(
        `run ${i + 1}: skopeo ${(native.at(-1)! / 1000).toFixed(2)} s, curl via proxy ${(viaProxy.at(-1)! / 1000).toFixed(2)} s, Layerscope ${(ours.at(-1)! / 1000).toFixed(2)} s`,
      );
    }
    const o = median(ours);
    const mid = runs[ours.indexOf(o)]!;
    const cpuOf = (pred: (comm: string) => boolean) =>
      [...mid.cpu].filter(([k]) => pred(k)).reduce((n2, [, v]) => n2 + v, 0);
    const chromiumCpu = cpuOf((k) => /chrom/i.test(k));
    const nodeCpu = cpuOf((k) => k === 'node' || k === 'MainThread');
    const n = median(native);
    const mbps = (ms: number) => compressed / 1e6 / (ms / 1000);
    const range = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(1)).join(' / ');
    const body = `## Pull throughput benchmark

Generated by \`npm run bench -- pull\` (bench/pull.ts) on ${new Date().toISOString().slice(0, 16)}Z.
Machine: ${machine()}.
Median of ${RUNS} runs each, interleaved (skopeo, curl, then the browser, per run), one local registry.

Image: ${layers.length} gzip -6 layers of real files, ${(compressed / 1e6).toFixed(1)} MB compressed
(${(layers.reduce((n2, l) => n2 + l.tarSize, 0) / 1e6).toFixed(0)} MB of tar, ${layers.reduce((n2, l) => n2 + l.entries, 0)} entries), OCI manifest, pushed by skopeo to \`docker-registry\` on 127.0.0.1:

| layer | gzip (MB) | tar (MB) | entries |
|---|---|---|---|
${layers.map((l) => `| ${l.name} (${LAYERS.find((x) => x[0] === l.name)![2].join(', ')}) | ${(l.size / 1e6).toFixed(1)} | ${(l.tarSize / 1e6).toFixed(1)} | ${l.entries} |`).join('\n')}

| pull | median (s) | runs (s) | MB/s (compressed) |
|---|---|---|---|
| Layerscope in headless Chromium: \`docker pull\` in the command bar, through the app's proxy, into IndexedDB (fresh profile on disk per run) | ${(o / 1000).toFixed(2)} | ${range(ours)} | ${mbps(o).toFixed(1)} |
| \`skopeo copy docker://… dir:\` (native, verifies digests) | ${(n / 1000).toFixed(2)} | ${range(native)} | ${mbps(n).toFixed(1)} |
| reference: \`curl\` of the layer blobs through the app's proxy to /dev/null (transfer only) | ${(median(viaProxy) / 1000).toFixed(2)} | ${range(viaProxy)} | ${mbps(median(viaProxy)).toFixed(1)} |

In the median browser run, the "Pull complete" lines appeared at ${mid.complete.map((c) => (c / 1000).toFixed(1)).join(', ')} s, and
Chromium's processes used ${chromiumCpu.toFixed(1)} CPU s, the app server (proxy) ${nodeCpu.toFixed(1)} CPU s, in ${(o / 1000).toFixed(1)} s of wall time on ${cpus().length} shared cores.

Ratio: Layerscope takes ${(o / n).toFixed(2)}× skopeo's time (${((n / o) * 100).toFixed(0)}% of its throughput).
Layerscope's time runs from Enter to the log going idle with \`Status: Downloaded newer image\`
(and the log's Digest line checked against the manifest's); it includes decompression, both
digests and the tar index of every layer (what skopeo does not do: it only hashes the blobs).`;
    console.log(`\n${body}\n`);
    if (!process.argv.includes('--no-write')) {
      writeSection('pull', body);
      console.log('wrote the pull section of bench/RESULTS.md');
    }
  } finally {
    await app?.close();
    await reg?.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
