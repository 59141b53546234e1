import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyLayers } from '../union/index.ts';
import { dir, file, hardlink, opaque, symlink, whiteout } from '../union/test-layers.ts';
import { tarBuilder } from '../tar/builder.ts';
import { sha256Digest } from '../sha256.ts';
import { matchingBlocks, listChanges } from './difflib.ts';
import {
  byteSize,
  compareFiles,
  compareConfigs,
  compareHistory,
  diffJson,
  diffText,
  directoryDeltas,
  fileLists,
  hashBodiesAt,
  metadataLines,
  settleContent,
  sharedLayerCount,
  textDiff,
  MAX_TEXT_DIFF_BYTES,
  type CompareSide,
} from './index.ts';
import { prng } from '../../../tests/helpers/prng.ts';

describe('byteSize (cloudfoundry bytefmt ByteSize)', () => {
  it('prints what bytefmt’s own tests expect (bytes_test.go)', () => {
    const K = 1024;
    const M = K * K;
    const G = M * K;
    const T = G * K;
    expect(byteSize(10 * T)).toBe('10T');
    expect(byteSize(Math.trunc(10.5 * T))).toBe('10.5T');
    expect(byteSize(10 * G)).toBe('10G');
    expect(byteSize(Math.trunc(10.5 * G))).toBe('10.5G');
    expect(byteSize(100 * M)).toBe('100M');
    expect(byteSize(Math.trunc(100.5 * M))).toBe('100.5M');
    expect(byteSize(100 * K)).toBe('100K');
    expect(byteSize(Math.trunc(100.5 * K))).toBe('100.5K');
    expect(byteSize(1)).toBe('1B');
    expect(byteSize(0)).toBe('0');
    expect(byteSize(-1)).toBe('unknown');
  });

  it('rounds exact halves to even like Go’s strconv.FormatFloat (checked against python3’s %.1f)', () => {
    const rnd = prng(7);
    const values = [1280, 1024 + 512 + 256, 3 * 1024 + 102, 9, 1023, 1024, 1025, 1048575, 1048576];
    for (let i = 0; i < 300; i++) values.push(Math.floor(rnd() * 2 ** (10 + Math.floor(rnd() * 30))));
    const script =
      'import sys\nfor v in map(int, sys.argv[1:]):\n' +
      ' k = 0\n while k < 6 and v >= 1024 ** (k + 1): k += 1\n' +
      ' s = "%.1f" % (v / 1024 ** k)\n s = s[:-2] if s.endswith(".0") else s\n print(s + "BKMGTPE"[k])';
    const want = execFileSync('python3', ['-c', script, ...values.map(String)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(values.map(byteSize)).toEqual(want);
  });
});

describe('difflib matching (container-diff’s list diff)', () => {
  it('finds the blocks python3’s difflib.SequenceMatcher finds, on random lists with repeats', () => {
    const rnd = prng(11);
    const cases: [string[], string[]][] = [];
    for (let i = 0; i < 60; i++) {
      const alphabet = 2 + Math.floor(rnd() * 8);
      const len = (n: number) => Math.floor(rnd() * n);
      const big = i % 10 === 0; // ≥ 200 elements: the autojunk heuristic applies
      const gen = () => Array.from({ length: big ? 200 + len(60) : len(25) }, () => `l${len(alphabet)}`);
      cases.push([gen(), gen()]);
    }
    const script =
      'import sys, json, difflib\n' +
      'for a, b in json.load(sys.stdin):\n' +
      ' print(json.dumps([[m.a, m.b, m.size] for m in difflib.SequenceMatcher(None, a, b).get_matching_blocks()]))';
    const want = execFileSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as number[][]);
    cases.forEach(([a, b], i) => {
      expect(matchingBlocks(a, b).map((m) => [m.a, m.b, m.size])).toEqual(want[i]);
    });
  });

  it('lists additions and deletions between the matches', () => {
    expect(listChanges(['FROM a', 'RUN x', 'CMD y'], ['FROM a', 'RUN z', 'CMD y', 'EXPOSE 80'])).toEqual({
      adds: ['RUN z', 'EXPOSE 80'],
      dels: ['RUN x'],
    });
  });
});

const side = (layers: Parameters<typeof applyLayers>[0], ids: string[]): CompareSide => ({
  view: applyLayers(layers),
  layerIds: ids,
});

describe('compareFiles', () => {
  const base = [dir('etc'), file('etc/os-release', 20), dir('usr'), dir('usr/bin'), file('usr/bin/sh', 1000)];

  it('finds nothing between an image and itself, without hashing', () => {
    const a = side([base], ['L0']);
    const r = compareFiles(a, a);
    expect(r.changes).toEqual([]);
    expect(r.candidates).toEqual([]);
    expect(r.sameByLocation).toBe(2);
  });

  it('tells added, removed, content and metadata-only changes apart', () => {
    const a = side([base, [file('app/old.txt', 5), dir('app'), symlink('etc/link', 'os-release')]], ['L0', 'A1']);
    const b = side(
      [
        base,
        [
          dir('app'),
          file('app/new.txt', 7),
          symlink('etc/link', 'other'),
          file('usr/bin/sh', 1001),
          dir('usr/bin', { mode: 0o700 }),
          file('etc/os-release', 20, { uid: 1000 }),
        ],
      ],
      ['L0', 'B1'],
    );
    const r = compareFiles(a, b);
    expect(r.changes.map((c) => `${c.kind} ${c.path} ${c.fields.join(',')}`)).toEqual([
      'added app/new.txt ',
      'removed app/old.txt ',
      'metadata etc/link linkname',
      'metadata etc/os-release uid',
      'metadata usr/bin mode',
      'modified usr/bin/sh content',
    ]);
    // etc/os-release: same size, different layer blob: its content is a candidate for hashing.
    expect(r.candidates.map((c) => c.path)).toEqual(['etc/os-release']);
  });

  it('settles candidates with their digests: equal stays metadata-only, different becomes modified', () => {
    const a = side([[file('x', 4), file('y', 4)]], ['A0']);
    const b = side([[file('x', 4), file('y', 4, { mode: 0o600 })]], ['B0']);
    const r = compareFiles(a, b);
    expect(r.candidates.map((c) => c.path)).toEqual(['x', 'y']);
    const same = settleContent(r, a, b, ['sha256:1', 'sha256:2'], ['sha256:1', 'sha256:2']);
    expect(same.changes.map((c) => [c.path, c.kind, c.fields])).toEqual([['y', 'metadata', ['mode']]]);
    expect(same.sameByLocation).toBe(1);
    const diff = settleContent(r, a, b, ['sha256:1', 'sha256:2'], ['sha256:9', 'sha256:8']);
    expect(diff.changes.map((c) => [c.path, c.kind, c.fields])).toEqual([
      ['x', 'modified', ['content']],
      ['y', 'modified', ['content', 'mode']],
    ]);
  });

  it('follows the union view: whiteouts and opaque directories remove, hard links share bytes', () => {
    const lower = [dir('d'), file('d/a', 3), file('d/b', 3), dir('o'), file('o/keep', 2), file('f', 9)];
    const a = side([lower], ['L0']);
    const b = side(
      [lower, [whiteout('d', 'a'), dir('o'), opaque('o'), file('o/new', 1), hardlink('g', 'f')]],
      ['L0', 'B1'],
    );
    const r = compareFiles(a, b);
    expect(r.changes.map((c) => `${c.kind} ${c.path}`)).toEqual([
      'removed d/a',
      'added g',
      'removed o/keep',
      'added o/new',
    ]);
    // The hard link's bytes are f's, in the shared base layer.
    const g = b.view.entries.get('g')!;
    expect([b.layerIds[g.dataLayer], g.size]).toEqual(['L0', 9]);
  });

  it('reports a type change as modified, and sizes directories as container-diff does', () => {
    const a = side([[dir('p'), file('p/one', 10), symlink('p/l', 'one'), dir('q'), file('q/f', 5)]], ['A']);
    const b = side([[file('p', 4), file('q', 5)]], ['B']);
    const r = compareFiles(a, b);
    const p = r.changes.find((c) => c.path === 'p')!;
    expect([p.kind, p.fields[0], p.a!.size, p.b!.size]).toEqual(['modified', 'type', 13, 4]);
    expect(directoryDeltas(a, b).find((d) => d.path === '')).toEqual({ path: '', sizeA: 18, sizeB: 9 });
  });
});

describe('container-diff output', () => {
  it('aligns the changed-files table as container-diff’s README example shows', () => {
    const text = diffText(
      {
        image1: 'file1.tar',
        image2: 'file2.tar',
        files: { adds: [], dels: [], mods: [{ Name: '/go/src/app/file.txt', Size1: 30, Size2: 30 }] },
      },
      ['file'],
    );
    // container-diff README "Example Run": the section's table, byte for byte.
    expect(text).toContain(
      'These entries have been changed between file1.tar and file2.tar:\n' +
        'FILE                        SIZE1        SIZE2\n' +
        '/go/src/app/file.txt        30B          30B\n',
    );
    expect(text).toBe(
      '\n-----File-----\n\n' +
        'These entries have been added to file2.tar: None\n\n' +
        'These entries have been deleted from file2.tar: None\n\n' +
        'These entries have been changed between file1.tar and file2.tar:\n' +
        'FILE                        SIZE1        SIZE2\n' +
        '/go/src/app/file.txt        30B          30B\n\n',
    );
  });

  it('prints sections in analyzer-name order and JSON in container-diff’s shapes', () => {
    const d = {
      image1: 'a',
      image2: 'b',
      files: fileLists([]),
      size: { size1: 2048, size2: 2048 },
      history: { adds: ['RUN x'], dels: [] },
    };
    const text = diffText(d, ['size', 'history', 'file']);
    expect(text.indexOf('-----File-----')).toBeLessThan(text.indexOf('-----History-----'));
    expect(text.indexOf('-----History-----')).toBeLessThan(text.indexOf('-----Size-----'));
    expect(text).toContain(
      'Docker history lines found only in a: None\n\nDocker history lines found only in b:\n-RUN x\n',
    );
    expect(text).toContain('Image size difference between a and b: None\n');
    expect(JSON.parse(diffJson(d, ['file', 'size']))).toEqual([
      { Image1: 'a', Image2: 'b', DiffType: 'File', Diff: { Adds: null, Dels: null, Mods: null } },
      { Image1: 'a', Image2: 'b', DiffType: 'Size', Diff: [] },
    ]);
  });

  it('writes container-diff’s metadata lines (its getMetadataList)', () => {
    const lines = metadataLines({
      config: { Env: ['A=1', 'B=2'], ExposedPorts: { '80/tcp': {}, '443/tcp': {} }, Labels: { z: '1', a: '2' } },
    });
    expect(lines).toContain('Env: A=1,B=2');
    expect(lines).toContain('ExposedPorts: 443/tcp:{} 80/tcp:{}');
    expect(lines).toContain('Labels: a:2 z:1');
    expect(lines).toHaveLength(21);
  });
});

describe('config and history', () => {
  it('marks the config fields that changed, with entries added and removed', () => {
    const a = { os: 'linux', architecture: 'amd64', config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], User: '' } };
    const b = { os: 'linux', architecture: 'amd64', config: { Env: ['PATH=/bin', 'A=2'], Cmd: ['sh'], User: 'app' } };
    const changed = compareConfigs(a, b).filter((f) => f.changed);
    expect(changed.map((f) => [f.field, f.added, f.removed])).toEqual([
      ['User', ['app'], []],
      ['Env', ['A=2'], ['A=1']],
    ]);
  });

  it('splits history into the shared part and what each side adds; counts shared layers', () => {
    const h = (...l: string[]) => ({ history: l.map((created_by) => ({ created_by })) });
    expect(compareHistory(h('ADD base', 'CMD sh', 'RUN a'), h('ADD base', 'CMD sh', 'RUN b', 'RUN c'))).toEqual({
      shared: ['ADD base', 'CMD sh'],
      onlyA: ['RUN a'],
      onlyB: ['RUN b', 'RUN c'],
    });
    expect(sharedLayerCount(['a', 'b', 'c'], ['a', 'b', 'd'])).toBe(2);
  });
});

describe('hashBodiesAt', () => {
  it('hashes the bodies at the asked offsets in one pass, and says when one is missing', async () => {
    const tar = tarBuilder().file('a', 'alpha').file('b', 'bravo!').file('c', '').bytes();
    async function* src() {
      yield tar;
    }
    // Data offsets: each entry's body follows its 512-byte header; bodies pad to 512.
    const got = await hashBodiesAt(src(), [512, 1536]);
    expect(got.get(512)).toBe(sha256Digest(new TextEncoder().encode('alpha')));
    expect(got.get(1536)).toBe(sha256Digest(new TextEncoder().encode('bravo!')));
    await expect(hashBodiesAt(src(), [777])).rejects.toMatchObject({ code: 'LAYER_CHANGED' });
  });
});

describe('textDiff', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const gnuHunks = (a: string, b: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-diff-'));
    writeFileSync(join(dir, 'a'), a);
    writeFileSync(join(dir, 'b'), b);
    const r = spawnSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true });
    return r.stdout.split('\n').slice(2).join('\n'); // drop GNU's ---/+++ lines (they carry times)
  };

  it('gives the hunks GNU diff -u gives', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const cases: [string, string][] = [
      [lines.join('\n') + '\n', lines.map((l, i) => (i === 5 || i === 30 ? `${l} changed` : l)).join('\n') + '\n'],
      ['a\nb\nc\n', 'a\nc\nd\n'],
      ['PATH=/bin\nHOME=/root\n', 'PATH=/usr/bin:/bin\nHOME=/root\nLANG=C\n'],
    ];
    for (const [a, b] of cases) {
      const d = textDiff(enc(a), enc(b), 'a', 'b');
      expect(d.kind).toBe('text');
      if (d.kind !== 'text') continue;
      expect(d.patch.split('\n').slice(2).join('\n')).toBe(gnuHunks(a, b));
    }
  });

  it('pairs changed lines side by side and counts them', () => {
    const d = textDiff(enc('a\nb\nc\n'), enc('a\nB\nc\nd\n'), 'x', 'y');
    if (d.kind !== 'text') throw new Error(d.kind);
    expect([d.added, d.removed]).toEqual([2, 1]);
    expect(d.rows.map((r) => [r.change, r.a?.text ?? null, r.b?.text ?? null])).toEqual([
      ['same', 'a', 'a'],
      ['changed', 'b', 'B'],
      ['same', 'c', 'c'],
      ['added', null, 'd'],
    ]);
  });

  it('does not diff binary or oversized files line by line', () => {
    expect(textDiff(new Uint8Array([0, 1, 2]), enc('x'), 'a', 'b').kind).toBe('binary');
    expect(textDiff(new Uint8Array([0xff, 0xfe]), enc('x'), 'a', 'b').kind).toBe('binary');
    expect(textDiff(new Uint8Array(MAX_TEXT_DIFF_BYTES + 1), enc('x'), 'a', 'b').kind).toBe('too-large');
  });
});
