/**
 * Packages benchmark: the Packages tab's scan (src/app/packages.ts, PackageScanner) of a stored
 * Debian image, with the database bytes kept at ingest (StoredLayer.packageFiles) and without
 * them (layers stored before they were kept: the database read from the layer blob), against
 * native tools on the same files in the same run. Medians; writes its section of
 * bench/RESULTS.md.
 *   node --import tsx bench/packages.ts            (npm run bench -- packages)
 *   node --import tsx bench/packages.ts --no-write (print only)
 *
 * The image: layer 0 is ~200 MB of real files (this project's node_modules, some of /usr/share)
 * with /var/lib/dpkg/status last in the tar (500 real stanzas of this machine's status file);
 * layers 1–9 each upgrade 10 packages, remove 5 and add 5 (status rewritten, plus a few files).
 * "list" is the image of layer 0 alone (500 packages); "attribution" all 10 layers.
 * The store is fake-indexeddb in Node (the app: IndexedDB in its engine worker).
 */
import 'fake-indexeddb/auto';
import { execSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { IDBFactory } from 'fake-indexeddb';
import { PackageScanner } from '../src/app/packages.ts';
import { storePort, type StoredLayer } from '../src/app/store-port.ts';
import type { Digest } from '../src/core/digest.ts';
import { ingestLayer } from '../src/core/layer/ingest.ts';
import type { ImageRecord, LayerRecord } from '../src/core/model.ts';
import { streamOf } from '../src/core/tar/bytes.ts';
import { memoryLocks, openStore, type Store } from '../src/store/index.ts';
import { writeSection } from './results.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const WORK = join(ROOT, 'bench/.work/packages');
const LAYERS = 10;
const RUNS = 7;
const OLD_RUNS = 3;
const GZ_MEDIA = 'application/vnd.oci.image.layer.v1.tar+gzip';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sha = (b: Uint8Array | string): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function machine(): string {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? '?';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${execSync('nproc', { encoding: 'utf8' }).trim()} cores, ${cpu}, Node ${process.version}; load average at the end ${load}`;
}

function timeShell(cmd: string): number {
  const t = performance.now();
  const r = spawnSync('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`failed: ${cmd}`);
  return performance.now() - t;
}

/** The status file after each layer, and the layer tars (gzip), built once into WORK. */
export function prepare(): { states: string[]; gz: string[] } {
  mkdirSync(WORK, { recursive: true });
  const stanzas = readFileSync('/var/lib/dpkg/status', 'utf8')
    .split(/\n\n+/)
    .filter((s) => /^Status: install ok installed$/m.test(s));
  if (stanzas.length < 550) throw new Error('this machine’s dpkg status has fewer than 550 installed packages');
  let cur = stanzas.slice(0, 500);
  const states = [cur.join('\n\n') + '\n'];
  for (let l = 1; l < LAYERS; l++) {
    cur = cur.map((s, i) => (i % 50 === l ? s.replace(/^Version: (.*)$/m, `Version: $1+ls${l}`) : s));
    cur = cur.filter((_, i) => i < l * 40 || i >= l * 40 + 5);
    cur.push(...stanzas.slice(500 + (l - 1) * 5, 500 + l * 5));
    states.push(cur.join('\n\n') + '\n');
  }
  const gz: string[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const dir = join(WORK, `root${l}`);
    const out = join(WORK, `layer${l}.tar.gz`);
    gz.push(out);
    mkdirSync(join(dir, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(join(dir, 'var/lib/dpkg/status'), states[l]!);
    if (existsSync(out)) continue;
    const tar = join(WORK, `layer${l}.tar`);
    if (l === 0) {
      // Real files first, the status file last: the blob read must decompress the whole layer.
      execSync(
        `tar --format=pax -cf ${tar} -C ${ROOT} node_modules -C / usr/share/i18n usr/share/man/man1 -C ${dir} var/lib/dpkg/status`,
        { stdio: 'inherit' },
      );
    } else {
      mkdirSync(join(dir, `usr/share/doc/layer${l}`), { recursive: true });
      for (let f = 0; f < 50; f++) writeFileSync(join(dir, `usr/share/doc/layer${l}/f${f}`), `layer ${l} file ${f}\n`);
      execSync(`tar --format=pax -cf ${tar} -C ${dir} usr var`, { stdio: 'inherit' });
    }
    execSync(`gzip -6 -n -c ${tar} > ${out} && rm ${tar}`);
  }
  return { states, gz };
}

const fileStream = (f: string) => streamOf(createReadStream(f, { highWaterMark: 64 << 10 })[Symbol.asyncIterator]());

/** What a pull stores: each layer's blob, its index (and kept database bytes), config, manifest, image. */
export async function storeImage(
  store: Store,
  name: string,
  gz: readonly string[],
  diffIds: Map<string, { rec: LayerRecord }>,
): Promise<Digest> {
  const port = storePort(store);
  const layers: LayerRecord[] = [];
  for (const f of gz) {
    let known = diffIds.get(f);
    if (!known) {
      const size = statSync(f).size;
      const digest = sha(readFileSync(f));
      const w = await store.beginBlob(digest, { size, mediaType: GZ_MEDIA });
      const r = await ingestLayer(fileStream(f), { onChunk: (c) => w.write(c) });
      await w.complete();
      const summary = {
        diffId: r.diffId,
        digest,
        compression: r.compression,
        compressedSize: r.compressedSize,
        uncompressedSize: r.uncompressedSize,
        size: r.size,
      };
      await port.putLayer(summary, r.entries, r.captured);
      known = {
        rec: {
          digest,
          diffId: r.diffId,
          mediaType: GZ_MEDIA,
          compressedSize: size,
          uncompressedSize: r.uncompressedSize,
          size: r.size,
        },
      };
      diffIds.set(f, known);
    }
    layers.push(known.rec);
  }
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created_by: `RUN layer ${i}` })),
    }),
  );
  const id = sha(config);
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: id, size: config.length },
      layers: layers.map((l) => ({ mediaType: GZ_MEDIA, digest: l.digest, size: l.compressedSize })),
    }),
  );
  await store.putBlob(id, config, 'application/vnd.oci.image.config.v1+json');
  await store.putManifest(sha(manifest), manifest, 'application/vnd.oci.image.manifest.v1+json');
  const image: ImageRecord = {
    id,
    manifestDigest: sha(manifest),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    repoDigests: [],
    platform: { os: 'linux', architecture: 'amd64' },
    layers,
    created: '',
    size: layers.reduce((n, l) => n + l.size, 0),
    downloadSize: layers.reduce((n, l) => n + l.compressedSize, 0),
    configMediaType: 'application/vnd.oci.image.config.v1+json',
    storedAt: Date.now(),
  };
  await store.commitImage(image, [`bench.local/packages/${name}:latest`]);
  return id;
}

/** The installed packages dpkg-query lists for a status file. */
function dpkgQuery(status: string): string[] {
  const admin = join(WORK, 'admin');
  mkdirSync(admin, { recursive: true });
  writeFileSync(join(admin, 'status'), status);
  return execSync(
    `dpkg-query --admindir=${admin} -W -f '\${db:Status-Status} \${Package} \${Version} \${Architecture}\\n'`,
    {
      encoding: 'utf8',
    },
  )
    .split('\n')
    .filter((l) => l.startsWith('installed '))
    .map((l) => l.slice(10))
    .sort();
}

/** Medians of fresh scans (a new scanner each run: no cache), blob reads counted. */
async function timeScans(
  store: Store,
  id: Digest,
  runs: number,
): Promise<{ ms: number[]; blobReads: number; packages: string[]; changes: number }> {
  const readBlob = store.readBlob.bind(store);
  let blobReads = 0;
  store.readBlob = (d, o) => (blobReads++, readBlob(d, o));
  const ms: number[] = [];
  let last: Awaited<ReturnType<PackageScanner['packages']>> | undefined;
  try {
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      last = await new PackageScanner(async () => store).packages(id);
      ms.push(performance.now() - t);
    }
  } finally {
    store.readBlob = readBlob;
  }
  return {
    ms,
    blobReads,
    packages: last!.packages.map((p) => `${p.name} ${p.version} ${p.arch}`).sort(),
    changes: last!.changes.length,
  };
}

/** Drops the kept database bytes of every layer record (as layers stored before they were kept);
 * returns a function that puts them back. */
async function forgetKept(store: Store, diffIds: readonly Digest[]): Promise<() => Promise<void>> {
  const saved: [Digest, StoredLayer][] = [];
  for (const d of diffIds) {
    const v = (await store.getLayerIndex<StoredLayer>(d))!;
    saved.push([d, v]);
    const { packageFiles: _, ...old } = v;
    await store.putLayerIndex(d, old);
  }
  return async () => {
    for (const [d, v] of saved) await store.putLayerIndex(d, v);
  };
}

async function main(): Promise<void> {
  const { states, gz } = prepare();
  const bytes0 = statSync(gz[0]!).size;
  const store = await openStore({ indexedDB: new IDBFactory(), locks: memoryLocks(), channel: null, storage: null });
  const known = new Map<string, { rec: LayerRecord }>();
  const t0 = performance.now();
  const listId = await storeImage(store, 'list', gz.slice(0, 1), known);
  const attrId = await storeImage(store, 'attr', gz, known);
  console.log(`stored both images in ${(performance.now() - t0).toFixed(0)} ms`);
  const diffIds = [...known.values()].map((k) => k.rec.diffId);

  // Ingest of layer 0 with and without keeping the database bytes: what the capture costs.
  const ingestMs = { kept: [] as number[], none: [] as number[] };
  for (let r = 0; r < 3; r++) {
    for (const mode of ['kept', 'none'] as const) {
      const t = performance.now();
      await ingestLayer(fileStream(gz[0]!), mode === 'none' ? { capture: null } : {});
      ingestMs[mode].push(performance.now() - t);
    }
  }

  const listNew = await timeScans(store, listId, RUNS);
  const attrNew = await timeScans(store, attrId, RUNS);
  const restore = await forgetKept(store, diffIds);
  const listOld = await timeScans(store, listId, OLD_RUNS);
  const attrOld = await timeScans(store, attrId, OLD_RUNS);
  await restore();

  // Judges: dpkg-query on the same status files.
  const wantList = dpkgQuery(states[0]!);
  const wantAttr = dpkgQuery(states[LAYERS - 1]!);
  for (const [what, got, want] of [
    ['list (kept)', listNew.packages, wantList],
    ['list (blob)', listOld.packages, wantList],
    ['attribution (kept)', attrNew.packages, wantAttr],
    ['attribution (blob)', attrOld.packages, wantAttr],
  ] as const) {
    if (JSON.stringify(got) !== JSON.stringify(want))
      throw new Error(`${what}: ${got.length} packages, dpkg-query lists ${want.length} (or they differ)`);
  }

  // Native, same run: dpkg-query over the status file(s) already on disk; and what reading them
  // from the layer costs natively (tar -xzO decompresses up to the member, as the blob read does).
  const roots = gz.map((_, l) => join(WORK, `root${l}`, 'var/lib/dpkg'));
  const nat = { list: [] as number[], extract: [] as number[], attr: [] as number[], attrExtract: [] as number[] };
  for (let r = 0; r < RUNS; r++) {
    nat.list.push(timeShell(`dpkg-query --admindir=${roots[0]} -W >/dev/null`));
    nat.attr.push(timeShell(roots.map((d) => `dpkg-query --admindir=${d} -W >/dev/null`).join(' && ')));
  }
  const ex = join(WORK, 'extract');
  mkdirSync(ex, { recursive: true });
  for (let r = 0; r < OLD_RUNS; r++) {
    nat.extract.push(timeShell(`tar -xzOf ${gz[0]} var/lib/dpkg/status | wc -c >/dev/null`));
    nat.attrExtract.push(
      timeShell(
        gz
          .map((f) => `tar -xzOf ${f} var/lib/dpkg/status > ${ex}/status && dpkg-query --admindir=${ex} -W >/dev/null`)
          .join(' && '),
      ),
    );
  }
  rmSync(ex, { recursive: true, force: true });

  const m = (xs: number[]) => median(xs).toFixed(1);
  const mr = (xs: number[]) => `${m(xs)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
  const body = `## Packages

Generated by \`npm run bench -- packages\` (bench/packages.ts) on ${new Date().toISOString().slice(0, 16)}Z.
Machine: ${machine()}.
Medians of ${RUNS} runs (${OLD_RUNS} for the blob reads), each a fresh PackageScanner (no cache) over a
fake-indexeddb store in Node, the layer indexes and kept bytes read from it each time.

The image: layer 0 is ${(bytes0 / 1e6).toFixed(0)} MB gzip of real files with \`/var/lib/dpkg/status\` last in
the tar (500 real stanzas of this machine's status file); layers 1–9 each upgrade 10 packages, remove 5 and
add 5. "list" is layer 0 alone (${wantList.length} packages); "attribution" all ${LAYERS} layers
(${wantAttr.length} packages in the end, ${attrNew.changes} changes over the layers). Every scan's packages
equal \`dpkg-query --admindir=… -W\`'s installed packages for the same status file (checked each run).

| what | Layerscope, median (min–max) ms | native, median ms | ratio of medians | layer blobs read |
|---|---|---|---|---|
| **list**, database bytes kept at ingest | ${mr(listNew.ms)} | ${m(nat.list)} (\`dpkg-query -W\` on the status file) | ${ratio(listNew.ms, nat.list)} | ${listNew.blobReads} |
| list, read from the blob (layers stored before) | ${mr(listOld.ms)} | ${m(nat.extract)} (\`tar -xzOf layer var/lib/dpkg/status\`) | ${ratio(listOld.ms, nat.extract)} | ${listOld.blobReads / OLD_RUNS} per scan |
| **attribution**, ${LAYERS} layers, bytes kept | ${mr(attrNew.ms)} | ${m(nat.attr)} (\`dpkg-query -W\` on each layer's status) | ${ratio(attrNew.ms, nat.attr)} | ${attrNew.blobReads} |
| attribution, ${LAYERS} layers, read from the blobs | ${mr(attrOld.ms)} | ${m(nat.attrExtract)} (\`tar -xzOf\` each layer's status, then \`dpkg-query -W\`) | ${ratio(attrOld.ms, nat.attrExtract)} | ${attrOld.blobReads / OLD_RUNS} per scan |
| ingest of layer 0 keeping the database bytes (cost of the capture) | ${mr(ingestMs.kept)} | ${m(ingestMs.none)} (same ingest, \`capture: null\`) | ${ratio(ingestMs.kept, ingestMs.none)} | — |

Targets: list a 500-package Debian image in < 200 ms: ${median(listNew.ms) < 200 ? 'met' : 'not met'}
(${m(listNew.ms)} ms); per-layer attribution of a 10-layer image in < 1 s: ${median(attrNew.ms) < 1000 ? 'met' : 'not met'}
(${m(attrNew.ms)} ms). Kept bytes per image: ${(Buffer.byteLength(states[0]!) / 1e3).toFixed(0)} kB per status file.`;
  console.log(`\n${body}\n`);
  if (!process.argv.includes('--no-write')) {
    writeSection('packages', body);
    console.log('wrote the packages section of bench/RESULTS.md');
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
