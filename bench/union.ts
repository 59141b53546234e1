/**
 * Union view benchmark (target: the union of 100,000 files over 10 layers in < 300 ms): applyLayers
 * on a synthetic image that is not the trivial case (overwrites, file and directory whiteouts,
 * opaque directories, symlinks, hard links), then fileTree + flattenVisible and wasted() on the
 * result. Median of 5 runs after 1 warm-up. The entries go through encodeLayerIndex /
 * decodeLayerIndex first, so they are the objects the app has after reading IndexedDB.
 * Writes its own section of bench/RESULTS.md (between the union markers).
 *   node --import tsx bench/union.ts            (npm run bench -- union)
 *   node --import tsx bench/union.ts --no-write (print only)
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileTree, flattenVisible, wasted } from '../src/core/analysis/index.ts';
import { decodeLayerIndex, encodeLayerIndex, type LayerEntry } from '../src/core/layer/entry.ts';
import { applyLayers, type UnionView } from '../src/core/union/index.ts';
import { writeSection } from './results.ts';
import { LAYERS, TOPS, generate, generateSimple } from './synthetic-image.ts';

const RUNS = 11;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time<T>(fn: () => T): [number, T] {
  const t = performance.now();
  const r = fn();
  return [performance.now() - t, r];
}

/** Checks that the view is the non-trivial one this generator means; throws otherwise. */
function check(v: UnionView, layers: LayerEntry[][]): void {
  if (v.errors.length > 0) throw new Error(`union errors: ${JSON.stringify(v.errors.slice(0, 3))}`);
  const must = (cond: boolean, what: string) => {
    if (!cond) throw new Error(`union check failed: ${what}`);
  };
  must(
    v.layers[7]!.changes.some((c) => c.path === 'opt/app/pkg7_80') && !v.entries.has('opt/app/pkg7_80'),
    'directory whiteout by layer 8 of pkg7_80',
  );
  must(
    v.entries.has('usr/share/pkg0_21/sub1/f64') && !v.entries.has('usr/share/pkg0_21/sub1/f67'),
    'file whiteout of f67 (layer 0, by layer 3)',
  );
  must(
    v.entries.has(`${TOPS[(5 + 50) % 5]}/pkg5_50/NEW`) && !v.entries.has(`${TOPS[(5 + 50) % 5]}/pkg5_50/sub0/f0`),
    'opaque pkg5_50 by layer 6',
  );
  must(
    [...(v.children.get('var/lib') ?? [])].every((p) => v.entries.get(p)!.layer === LAYERS - 1),
    'var/lib opaque in the last layer',
  );
  must(v.entries.get('usr/share/pkg8_13/sub0/f0')?.layer === 9, 'overwrite of pkg8_13 by layer 9');
  const l9 = v.layers[LAYERS - 1]!;
  must(l9.modified > 0 && l9.removed > 0 && l9.added > 0, 'layer 9 adds, modifies and removes');
  must(
    layers.every((l, i) => v.layers[i]!.applied && l.length > 0),
    'every layer applied',
  );
}

function machine(): string {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? '?';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${execSync('nproc', { encoding: 'utf8' }).trim()} cores, ${cpu}, Node ${process.version}; load average at the end ${load}`;
}

function main(): void {
  const [genMs, { layers, interleaved, counts }] = time(generate);
  const nonDir = layers.reduce(
    (n, l) => n + l.filter((e) => e.type !== 'dir' && !e.path.split('/').pop()!.startsWith('.wh.')).length,
    0,
  );
  const entries = layers.reduce((n, l) => n + l.length, 0);
  console.log(
    `generated ${entries} entries (${nonDir} files, symlinks and hard links) over ${layers.length} layers in ${genMs.toFixed(0)} ms`,
    counts,
  );

  const encoded = layers.map((l) => structuredClone(encodeLayerIndex(l)));
  const simple = generateSimple();
  const t: Record<'simple' | 'interleaved' | 'decode' | 'union' | 'tree' | 'rows' | 'rowsSize' | 'wasted', number[]> = {
    simple: [],
    interleaved: [],
    decode: [],
    union: [],
    tree: [],
    rows: [],
    rowsSize: [],
    wasted: [],
  };
  let view!: UnionView;
  let rowCount = 0;
  let rowSizeCount = 0;
  let wastedBytes = 0;
  let wastedPaths = 0;
  let efficiency = 0;
  for (let r = 0; r <= RUNS; r++) {
    const [dm] = time(() => encoded.map(decodeLayerIndex));
    const [um, v] = time(() => applyLayers(layers));
    const [tm, tree] = time(() => fileTree(v));
    // What the explorer shows first: the root expanded, plus one top directory and one package.
    const expanded = new Set(['usr', 'usr/lib', `${TOPS[0]}/pkg0_0`, `${TOPS[0]}/pkg0_0/sub0`]);
    const [rm, rows] = time(() => flattenVisible(tree, expanded));
    // Everything expanded, sorted by size: the worst case for one call (sort caches are cold
    // because the tree is new).
    const all = new Set<string>();
    for (const [p, e] of v.entries) if (e.type === 'dir') all.add(p);
    const [rsm, rowsAll] = time(() => flattenVisible(tree, all, { by: 'size' }));
    const [wm, w] = time(() => wasted(layers, v));
    const [sm, sv] = time(() => applyLayers(simple));
    const [im, iv] = time(() => applyLayers(interleaved));
    if (iv.entries.size !== v.entries.size || iv.errors.length > 0)
      throw new Error('the interleaved order gave another view');
    if (sv.errors.length > 0) throw new Error('reference image refused');
    if (r === 0) {
      check(v, layers);
      view = v;
      rowCount = rows.length;
      rowSizeCount = rowsAll.length;
      wastedBytes = w.wastedBytes;
      wastedPaths = w.paths.length;
      efficiency = w.efficiency;
      continue; // warm-up
    }
    t.simple.push(sm);
    t.interleaved.push(im);
    t.decode.push(dm);
    t.union.push(um);
    t.tree.push(tm);
    t.rows.push(rm);
    t.rowsSize.push(rsm);
    t.wasted.push(wm);
    console.log(
      `run ${r}: decode ${dm.toFixed(0)} union ${um.toFixed(0)} tree ${tm.toFixed(0)} rows ${rm.toFixed(1)} rows(all, size) ${rsm.toFixed(0)} wasted ${wm.toFixed(0)} ms; interleaved ${im.toFixed(0)} ms; reference union ${sm.toFixed(0)} ms`,
    );
  }
  const fmt = (xs: number[]) =>
    `${median(xs).toFixed(1)} | ${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  const unionMs = median(t.union);
  const l9 = view.layers[LAYERS - 1]!;
  const body = `## Union view benchmark

Generated by \`npm run bench -- union\` (bench/union.ts) on ${new Date().toISOString().slice(0, 16)}Z.
Machine: ${machine()}.
Median of ${RUNS} runs after 1 warm-up, one process; each run times every step on the same input.

Image: ${layers.length} layers, ${entries} entries, of which ${nonDir} files, symlinks and hard links
(${counts.files} files, ${counts.symlinks} symlinks, ${counts.hardlinks} hard links, ${counts.dirs} directory entries, some parents implicit);
${counts.overwrites} overwrites of a lower layer's path, ${counts.dirWhiteouts} directory whiteouts, ${counts.fileWhiteouts} file whiteouts,
${counts.opaque} opaque directories (the last one all of \`var/lib\`). View: ${view.entries.size} paths;
top layer: ${l9.added} added, ${l9.modified} modified, ${l9.removed} removed. Each layer lists its members
in the order Docker and containerd write layer tars (depth first, names sorted in each directory). Entries
go through the IndexedDB form first (encodeLayerIndex, structuredClone, decodeLayerIndex), so they have
the app's object shapes and strings.

| step | median (ms) | min–max (ms) |
|---|---|---|
| decodeLayerIndex, 10 layers (reading the stored index) | ${fmt(t.decode)} |
| **applyLayers (union view + per-layer changes)** | ${fmt(t.union)} |
| applyLayers, the same layers with files interleaved over subdirectories (no tar writer's order; worst case) | ${fmt(t.interleaved)} |
| applyLayers on the unit test's simpler image (100,000 files, 3 top directories; reference) | ${fmt(t.simple)} |
| fileTree (tree with directory sizes) | ${fmt(t.tree)} |
| flattenVisible, 4 directories open (${rowCount} rows) | ${fmt(t.rows)} |
| flattenVisible, all open, by size (${rowSizeCount} rows) | ${fmt(t.rowsSize)} |
| wasted (${wastedPaths} paths, ${(wastedBytes / 1e6).toFixed(1)} MB wasted, efficiency ${(efficiency * 100).toFixed(1)}%) | ${fmt(t.wasted)} |

Target, union < 300 ms: ${unionMs < 300 ? 'met' : 'not met'} here (median ${unionMs.toFixed(0)} ms${unionMs < 300 ? `, ${(300 / unionMs).toFixed(2)}× under` : ''}); with members in an order no tar writer produces, ${median(t.interleaved).toFixed(0)} ms.
This image's union costs ${(unionMs / median(t.simple)).toFixed(2)}× the unit test's simpler one in the same run.
Union + tree + first rows + wasted, what opening an image computes: ${(median(t.union) + median(t.tree) + median(t.rows) + median(t.wasted)).toFixed(0)} ms (sum of medians).`;
  console.log(`\n${body}\n`);
  if (!process.argv.includes('--no-write')) {
    writeSection('union', body);
    console.log('wrote the union section of bench/RESULTS.md');
  }
}

main();
