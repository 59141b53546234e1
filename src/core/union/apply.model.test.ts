/**
 * applyLayers against a model: a deliberately naive union (a Map copied per layer, changes found
 * by diffing the whole view before and after) on thousands of seeded random images. The
 * builder's journal (first touch told by layer stamps, changes without a lookup per path,
 * rollback of a refused layer) must give exactly what the naive diff gives.
 */
import { describe, expect, it } from 'vitest';
import type { LayerEntry } from '../layer/entry.ts';
import { applyLayers } from './apply.ts';
import { prng } from '../../../tests/helpers/prng.ts';
import { dir, file, opaque, whiteout } from './test-layers.ts';

interface M {
  type: 'file' | 'dir';
  mode: number;
  size: number;
  mtime: number;
  layer: number;
}

class Refused extends Error {}

const parent = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

function removeTree(v: Map<string, M>, p: string): void {
  v.delete(p);
  for (const k of [...v.keys()]) if (k.startsWith(`${p}/`)) v.delete(k);
}

function ensureDir(v: Map<string, M>, d: string, layer: number): void {
  if (d === '') return;
  let cur = '';
  for (const c of d.split('/')) {
    cur = cur === '' ? c : `${cur}/${c}`;
    const e = v.get(cur);
    if (e === undefined) v.set(cur, { type: 'dir', mode: 0o755, size: 0, mtime: 0, layer });
    else if (e.type !== 'dir') throw new Refused(cur);
  }
}

/** The model: markers of a layer first (on the view below), then its entries in order. */
function model(layers: LayerEntry[][]): { view: Map<string, M>; changes: (string[] | null)[] } {
  let view = new Map<string, M>();
  const changes: (string[] | null)[] = [];
  layers.forEach((layer, li) => {
    const below = view;
    const v = new Map(view);
    try {
      if (layer.some((e) => e.path.split('/').includes('..'))) throw new Refused('..');
      const markers = layer.filter((e) => e.path.split('/').pop()!.startsWith('.wh.'));
      for (const m of markers) {
        const d = parent(m.path);
        if (d !== '' && v.get(d)?.type !== 'dir') continue;
        const name = m.path.split('/').pop()!.slice(4);
        if (name === '.wh..opq') {
          for (const k of [...v.keys()]) if (d === '' || k.startsWith(`${d}/`)) v.delete(k);
        } else if (v.has(d === '' ? name : `${d}/${name}`)) removeTree(v, d === '' ? name : `${d}/${name}`);
      }
      for (const e of layer) {
        if (markers.includes(e)) continue;
        ensureDir(v, parent(e.path), li);
        const had = v.get(e.path);
        const next: M = {
          type: e.type as M['type'],
          mode: e.mode,
          size: e.type === 'file' ? e.size : 0,
          mtime: e.mtime,
          layer: li,
        };
        if (had && (had.type === 'dir') !== (e.type === 'dir')) removeTree(v, e.path);
        v.set(e.path, next);
      }
      for (const m of markers) {
        try {
          ensureDir(v, parent(m.path), li);
        } catch (err) {
          if (!(err instanceof Refused)) throw err;
        }
      }
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      changes.push(null);
      return;
    }
    const out: string[] = [];
    for (const [p, b] of below) {
      const a = v.get(p);
      if (a === undefined) out.push(`removed ${p}`);
      else if (a.type !== b.type || a.size !== b.size || a.mode !== b.mode || (a.type !== 'dir' && a.mtime !== b.mtime))
        out.push(`modified ${p}`);
    }
    for (const p of v.keys()) if (!below.has(p)) out.push(`added ${p}`);
    changes.push(out.sort());
    view = v;
  });
  return { view, changes };
}

/** Random layers over a small namespace (3 names, depth ≤ 3), so paths collide often: re-adds,
 * whiteouts of what exists, files over directories and back, a file as a parent (refused), `..`
 * (refused), duplicates within a layer. */
function randomImage(seed: number): LayerEntry[][] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const randPath = () => {
    const depth = 1 + Math.floor(r() * 3);
    return Array.from({ length: depth }, () => pick(['a', 'b', 'c'])).join('/');
  };
  const layers: LayerEntry[][] = [];
  const n = 2 + Math.floor(r() * 5);
  for (let l = 0; l < n; l++) {
    const layer: LayerEntry[] = [];
    const count = Math.floor(r() * 12);
    for (let i = 0; i < count; i++) {
      const p = randPath();
      const x = r();
      const d = parent(p);
      if (x < 0.4) layer.push(file(p, Math.floor(r() * 3), { mode: pick([0o644, 0o600]), mtime: pick([1, 2]) }));
      else if (x < 0.65) layer.push(dir(p, { mode: pick([0o755, 0o700]) }));
      else if (x < 0.85) layer.push(whiteout(d, p.split('/').pop()!));
      else if (x < 0.95) layer.push(opaque(d));
      else if (x < 0.97) layer.push(file(`${p}/../x`));
      else layer.push(layer.length > 0 ? layer[Math.floor(r() * layer.length)]! : file(p));
    }
    layers.push(layer);
  }
  return layers;
}

describe('applyLayers against a naive model', () => {
  it("agrees on the view and every layer's changes for 3,000 random images", () => {
    let refused = 0;
    let changed = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const layers = randomImage(seed);
      const want = model(layers);
      const got = applyLayers(layers);
      const view = [...got.entries.values()]
        .map((e) => `${e.path} ${e.type} ${e.mode.toString(8)} ${e.size} ${e.layer}`)
        .sort();
      const wantView = [...want.view]
        .map(([p, e]) => `${p} ${e.type} ${e.mode.toString(8)} ${e.size} ${e.layer}`)
        .sort();
      expect(view, `seed ${seed}: view`).toEqual(wantView);
      // The children index lists exactly the view's paths under their parents.
      const kids = [...got.children].flatMap(([, s]) => [...s]).sort();
      expect(kids, `seed ${seed}: children index`).toEqual([...got.entries.keys()].sort());
      for (const d of got.children.keys()) {
        if (d !== '') expect(got.entries.get(d)?.type, `seed ${seed}: children keyed by ${d}`).toBe('dir');
      }
      got.layers.forEach((lc, i) => {
        const w = want.changes[i];
        expect(lc.applied, `seed ${seed} layer ${i}: applied`).toBe(w !== null);
        if (w === null) {
          refused++;
          return;
        }
        const c = lc.changes.map((x) => `${x.kind} ${x.path}`).sort();
        expect(c, `seed ${seed} layer ${i}: changes`).toEqual(w);
        expect(lc.added + lc.modified + lc.removed).toBe(c.length);
        expect(new Set(c).size, `seed ${seed} layer ${i}: no path twice`).toBe(c.length);
        changed += c.length;
      });
    }
    // The generator must exercise both paths, or the comparison proves little.
    expect(refused).toBeGreaterThan(300);
    expect(changed).toBeGreaterThan(20_000);
  });
});
