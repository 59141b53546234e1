/**
 * Comparing two images against independent judges. Two images are built with umoci on one
 * base (a shared layer), each changing it differently: files added, deleted (whiteouts),
 * rewritten with the same size or another size, re-permissioned, re-owned, a symlink
 * retargeted, a hard link added, a directory replaced by a file, and an opaque directory
 * (`umoci insert --opaque`). Both are pushed to a real registry with skopeo and pulled.
 * The expected differences come from `diff -rq --no-dereference` of the two root filesystems
 * `umoci unpack` writes, and metadata from lstat of the same unpacked trees.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/app/engine.ts';
import type { ComparisonResult } from '../../src/app/compare-api.ts';
import type { FileChange } from '../../src/core/compare/index.ts';
import { testEngine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushLayoutImage, TestLayout, type PushedImage } from '../helpers/registry-images.ts';
import { isRoot, umoci, unpack, walkRootfs, type ListingRow } from '../helpers/umoci.ts';

let reg: TestRegistry;
let layout: TestLayout;
let tmp: string;
let engine: Engine;
let a: PushedImage;
let b: PushedImage;
let result: ComparisonResult;
let changes: FileChange[];

const rootless = isRoot ? [] : ['--rootless'];

async function branch(from: string, to: string, edit: (root: string) => void, createdBy: string): Promise<void> {
  const bundle = join(tmp, `bundle-${to}`);
  await umoci(['unpack', ...rootless, '--image', `${layout.layout}:${from}`, bundle]);
  edit(join(bundle, 'rootfs'));
  await umoci(['repack', '--history.created_by', createdBy, '--image', `${layout.layout}:${to}`, bundle]);
  rmSync(bundle, { recursive: true, force: true });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-compare-'));
  reg = await startRegistry();
  layout = await TestLayout.create();
  await umoci(['new', '--image', `${layout.layout}:base`]);
  await branch(
    'base',
    'base',
    (r) => {
      for (const d of ['etc', 'usr/bin', 'srv/gone/deep', 'srv/opaque', 'opt/tree'])
        mkdirSync(join(r, d), { recursive: true });
      writeFileSync(join(r, 'etc/os-release'), 'ID=base\nVERSION=1\n');
      writeFileSync(join(r, 'etc/same-size'), 'aaaa\n');
      writeFileSync(join(r, 'etc/grows'), 'x\n');
      writeFileSync(join(r, 'etc/untouched'), 'still here\n');
      writeFileSync(join(r, 'usr/bin/tool'), 'T'.repeat(3000));
      writeFileSync(join(r, 'srv/gone/deep/file'), 'bye\n');
      writeFileSync(join(r, 'srv/opaque/old'), 'hidden by opaque\n');
      writeFileSync(join(r, 'opt/tree/leaf'), 'leaf\n');
      symlinkSync('os-release', join(r, 'etc/link'));
      writeFileSync(join(r, 'etc/mode'), 'mode\n');
      writeFileSync(join(r, 'etc/owner'), 'owner\n');
    },
    'ADD base',
  );
  await branch('base', 'a', (r) => writeFileSync(join(r, 'etc/a-only'), 'a\n'), 'RUN a');
  await branch(
    'base',
    'b',
    (r) => {
      writeFileSync(join(r, 'etc/os-release'), 'ID=base\nVERSION=2 (a longer line)\n');
      writeFileSync(join(r, 'etc/same-size'), 'bbbb\n');
      writeFileSync(join(r, 'etc/grows'), 'x\ny\nz\n');
      rmSync(join(r, 'srv/gone'), { recursive: true });
      rmSync(join(r, 'etc/link'));
      symlinkSync('untouched', join(r, 'etc/link'));
      chmodSync(join(r, 'etc/mode'), 0o600);
      if (isRoot) chownSync(join(r, 'etc/owner'), 1000, 1000);
      linkSync(join(r, 'usr/bin/tool'), join(r, 'usr/bin/tool-link'));
      rmSync(join(r, 'opt/tree'), { recursive: true });
      writeFileSync(join(r, 'opt/tree'), 'now a file\n');
      mkdirSync(join(r, 'new/dir'), { recursive: true });
      writeFileSync(join(r, 'new/dir/file'), 'new\n');
    },
    'RUN b',
  );
  // An opaque directory: B's srv/opaque holds only what this layer puts there.
  const src = join(tmp, 'opaque-src');
  mkdirSync(src);
  writeFileSync(join(src, 'fresh'), 'fresh\n');
  await umoci(['insert', ...rootless, '--opaque', '--image', `${layout.layout}:b`, src, '/srv/opaque']);
  for (const t of ['a', 'b']) await umoci(['config', '--image', `${layout.layout}:${t}`, '--config.cmd', '/bin/sh']);
  await umoci(['config', '--image', `${layout.layout}:b`, '--config.env', 'MODE=b', '--config.user', '1000:1000']);

  a = await pushLayoutImage(reg, layout, 'a', 'cmp/app', 'a', { format: 'oci' });
  b = await pushLayoutImage(reg, layout, 'b', 'cmp/app', 'b', { format: 'oci' });
  engine = await testEngine();
  for (const ref of [a.reference, b.reference]) {
    const r = await engine.pull('p', ref, undefined, () => {});
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
  }
  result = await engine.compare({ a: a.configDigest!, b: b.configDigest!, aName: 'a', bName: 'b' });
  changes = engine.compareRows({
    kinds: ['added', 'removed', 'modified', 'metadata'],
    path: '',
    sort: 'path',
    start: 0,
    count: 10_000,
  }).rows;
}, 180_000);

afterAll(async () => {
  await reg?.stop();
  await layout?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** `diff -rq --no-dereference` of the two unpacked root filesystems, as sets of paths. */
function judge(rootA: string, rootB: string) {
  const r = spawnSync('diff', ['-rq', '--no-dereference', rootA, rootB], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(1);
  const onlyA: string[] = [];
  const onlyB: string[] = [];
  const differ: string[] = [];
  const rel = (p: string, root: string) => p.slice(root.length + 1);
  for (const line of r.stdout.trim().split('\n')) {
    let m = /^Only in (.*): (.*)$/.exec(line);
    if (m) {
      const dir = m[1]!;
      const inA = dir === rootA || dir.startsWith(rootA + '/');
      const path = [rel(dir, inA ? rootA : rootB), m[2]!].filter(Boolean).join('/');
      (inA ? onlyA : onlyB).push(path);
      continue;
    }
    m = /^(?:Files|Symbolic links) (.*) and (.*) differ$/.exec(line);
    if (m) {
      differ.push(rel(m[1]!, rootA));
      continue;
    }
    m = /^File (.*) is a .* while file (.*) is a .*$/.exec(line);
    if (m) {
      differ.push(rel(m[1]!, rootA));
      continue;
    }
    throw new Error(`unexpected diff line: ${line}`);
  }
  return { onlyA: onlyA.sort(), onlyB: onlyB.sort(), differ: differ.sort() };
}

/** Paths of `kind`, keeping only the top of each subtree (as `diff -r` reports "Only in"; below a
 * directory that became a file it reports nothing but the type change). */
function tops(kind: 'added' | 'removed'): string[] {
  const paths = changes.filter((c) => c.kind === kind).map((c) => c.path);
  const retyped = changes.filter((c) => c.fields.includes('type')).map((c) => c.path);
  const set = new Set([...paths, ...retyped]);
  return paths.filter((p) => !p.split('/').some((_, i, parts) => i > 0 && set.has(parts.slice(0, i).join('/')))).sort();
}

describe('compare two images built on one base', () => {
  let truth: ReturnType<typeof judge>;
  let listA: Map<string, ListingRow>;
  let listB: Map<string, ListingRow>;

  beforeAll(async () => {
    const ua = join(tmp, 'unpack-a');
    const ub = join(tmp, 'unpack-b');
    await unpack(layout.layout, 'a', ua);
    await unpack(layout.layout, 'b', ub);
    truth = judge(join(ua, 'rootfs'), join(ub, 'rootfs'));
    listA = new Map((await walkRootfs(join(ua, 'rootfs'))).map((r) => [r.path, r]));
    listB = new Map((await walkRootfs(join(ub, 'rootfs'))).map((r) => [r.path, r]));
  }, 60_000);

  it('finds the shared base layer', () => {
    expect(result.sharedLayers).toBe(1);
    expect([result.a.layers, result.b.layers]).toEqual([2, 3]);
  });

  it('lists what diff -r lists as only in one image', () => {
    expect(tops('removed')).toEqual(truth.onlyA);
    expect(tops('added')).toEqual(truth.onlyB);
  });

  it('lists as modified exactly the files and links whose content diff -r says differ', () => {
    const modified = changes
      .filter((c) => c.kind === 'modified' || c.fields.includes('linkname'))
      .map((c) => c.path)
      .sort();
    expect(modified).toEqual(truth.differ);
    // Same size, different bytes: found by hashing, not by size.
    expect(changes.find((c) => c.path === 'etc/same-size')).toMatchObject({ kind: 'modified', fields: ['content'] });
    expect(result.hashedFiles).toBeGreaterThan(0);
  });

  it('reports metadata-only changes where lstat of the unpacked trees differs and diff -r sees none', () => {
    const expected: string[] = [];
    for (const [path, ra] of listA) {
      const rb = listB.get(path);
      if (!rb || ra.type !== rb.type || (ra.type !== 'symlink' && truth.differ.includes(path))) continue;
      const fields = [
        ra.type === 'symlink' && ra.linkname !== rb.linkname ? 'linkname' : '',
        ra.mode !== rb.mode ? 'mode' : '',
        ra.uid !== rb.uid ? 'uid' : '',
        ra.gid !== rb.gid ? 'gid' : '',
      ].filter(Boolean);
      if (fields.length) expected.push(`${path} ${fields.join(',')}`);
    }
    const got = changes.filter((c) => c.kind === 'metadata').map((c) => `${c.path} ${c.fields.join(',')}`);
    expect(got.sort()).toEqual(expected.sort());
    expect(got).toContain('etc/mode mode');
    if (isRoot) expect(got).toContain('etc/owner uid,gid');
  });

  it('does not hash files whose layer blob and offset match', () => {
    // etc/untouched and usr/bin/tool live in the shared layer: equal without reading them. umoci
    // writes etc/mode and etc/owner again in B's layer (metadata changes), and etc/same-size has
    // new bytes of the same length: those three are the only files hashed.
    expect(result.sameByLocation).toBeGreaterThanOrEqual(2);
    // The files hashed are exactly those listed as regular files in B's own layers whose path is
    // a regular file of the same size in A (lstat of the unpacked tree). The layers are listed by
    // Python's tarfile: GNU tar refuses umoci insert's layer (its last body is not padded, and no
    // end-of-archive blocks follow).
    const manifest = JSON.parse(
      execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${b.reference}`], {
        encoding: 'utf8',
      }),
    ) as { layers: { digest: string }[] };
    // tarfile stops with "unexpected end of data" after the last member there: every member
    // before that point has been listed, which is all of them.
    const list =
      'import sys, tarfile\ntry:\n for m in tarfile.open(sys.argv[1]):\n  if m.isreg(): print(m.name)\n' +
      'except tarfile.ReadError as e:\n if "unexpected end of data" not in str(e): raise';
    const own = new Set<string>();
    for (const l of manifest.layers.slice(result.sharedLayers)) {
      const blob = join(layout.layout, 'blobs', 'sha256', l.digest.slice(7));
      for (const name of execFileSync('python3', ['-c', list, blob], { encoding: 'utf8' }).trim().split('\n')) {
        own.add(name.replace(/^\.?\//, ''));
      }
    }
    const expected = [...own].filter((p) => {
      const ra = listA.get(p);
      const rb = listB.get(p);
      return ra?.type === 'file' && rb?.type === 'file' && ra.size === rb.size;
    });
    expect(result.hashedFiles).toBe(expected.length);
    expect(expected).toContain('etc/same-size');
    expect(changes.some((c) => c.path === 'etc/untouched')).toBe(false);
  });

  it('shows the hard link, the directory replaced by a file and the opaque directory', () => {
    expect(changes.find((c) => c.path === 'usr/bin/tool-link')).toMatchObject({
      kind: 'added',
      b: { type: 'file', size: 3000 },
    });
    const retyped = changes.find((c) => c.path === 'opt/tree');
    expect([retyped?.kind, retyped?.fields[0], retyped?.a?.type, retyped?.b?.type]).toEqual([
      'modified',
      'type',
      'dir',
      'file',
    ]);
    expect(changes.find((c) => c.path === 'srv/opaque/old')).toMatchObject({ kind: 'removed' });
    expect(changes.find((c) => c.path === 'srv/opaque/fresh')).toMatchObject({ kind: 'added' });
  });

  it('compares config and history', () => {
    const changed = Object.fromEntries(result.config.filter((f) => f.changed).map((f) => [f.field, f]));
    expect(changed.User?.b).toEqual(['1000:1000']);
    expect(changed.Env?.added).toEqual(['MODE=b']);
    expect(result.history.onlyA[0]).toBe('RUN a');
    expect(result.history.onlyB.slice(0, 1)).toEqual(['RUN b']);
  });

  it('diffs a changed text file line by line (hunks as GNU diff -u writes them)', async () => {
    const d = await engine.compareFile('etc/os-release');
    expect(d.diff?.kind).toBe('text');
    const dir = mkdtempSync(join(tmp, 'u-'));
    writeFileSync(join(dir, 'a'), 'ID=base\nVERSION=1\n');
    writeFileSync(join(dir, 'b'), 'ID=base\nVERSION=2 (a longer line)\n');
    const gnu = spawnSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' }).stdout;
    if (d.diff?.kind === 'text')
      expect(d.diff.patch.split('\n').slice(2).join('\n')).toBe(gnu.split('\n').slice(2).join('\n'));
    expect(d.a?.digest).toMatch(/^sha256:/);
    expect(d.a?.digest).not.toBe(d.b?.digest);
  });

  it('reads the text file sha256sum agrees with', async () => {
    const d = await engine.compareFile('etc/same-size');
    const sum = execFileSync('sha256sum', { input: 'bbbb\n', encoding: 'utf8' }).split(' ')[0];
    expect(d.b?.digest).toBe(`sha256:${sum}`);
  });

  it('prints container-diff’s file and size sections from the command bar, and its JSON', async () => {
    let stdout = '';
    let stderr = '';
    const sink = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t) };
    const [ra, rb] = [a.reference, b.reference];
    expect(await engine.run('c', `container-diff diff ${ra} ${rb} --type=file --type=size`, sink)).toBe(0);
    expect(stderr).toBe('');
    // The judge: every path lstat finds in only one unpacked tree (container-diff lists them
    // all, not only the top of each subtree), and the trees' total lstat sizes.
    const only = (x: Map<string, ListingRow>, y: Map<string, ListingRow>) =>
      [...x.keys()].filter((p) => !y.has(p)).map((p) => `/${p}`);
    const section = (title: string) => {
      const start = stdout.indexOf(title);
      const rest = stdout.slice(start).split('\n').slice(1);
      const rows: string[] = [];
      for (const line of rest.slice(1)) {
        if (line === '') break;
        rows.push(line.split(/\s+/)[0]!);
      }
      return rows;
    };
    expect(section(`These entries have been added to ${rb}:`).sort()).toEqual(only(listB, listA).sort());
    expect(section(`These entries have been deleted from ${rb}:`).sort()).toEqual(only(listA, listB).sort());
    const lstatTotal = (l: Map<string, ListingRow>) =>
      [...l.values()].reduce(
        (n, r) => n + (r.type === 'file' ? r.size : r.type === 'symlink' ? Buffer.byteLength(r.linkname!) : 0),
        0,
      );
    const kib = (n: number) => (n < 1024 ? `${n}B` : `${(n / 1024).toFixed(1).replace(/\.0$/, '')}K`);
    expect(stdout).toContain(`\nSIZE1        SIZE2\n${kib(lstatTotal(listA)).padEnd(13)}${kib(lstatTotal(listB))}\n`);

    stdout = '';
    expect(await engine.run('c', `compare ${ra} ${rb} --format json`, sink)).toBe(0);
    const json = JSON.parse(stdout) as { DiffType: string; Diff: { Adds: { Name: string }[] | null } }[];
    expect(json.map((r) => r.DiffType)).toEqual(['File', 'History', 'Metadata', 'Size']);
    expect(json[0]!.Diff.Adds!.map((e) => e.Name).sort()).toEqual(only(listB, listA).sort());

    stdout = '';
    stderr = '';
    expect(await engine.run('c', `container-diff diff ${ra} --type=apt`, sink)).toBe(1);
    expect(stderr).toBe("Error: 'diff' requires two images as arguments: container-diff diff [image1] [image2]\n");
  });
});
