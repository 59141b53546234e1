/**
 * Download filesystem with hard links: the export, extracted by GNU tar, has the files the
 * viewer shows (same bytes, same hard-link groups), including links whose target path a later
 * layer deleted or replaced (the inode lives on through the link, as on an extracted rootfs).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Digest } from '../core/digest.ts';
import { encodeLayerIndex, type LayerEntry } from '../core/layer/entry.ts';
import { tarBuilder } from '../core/tar/builder.ts';
import { scanTar } from '../core/tar/reader.ts';
import { inodeGroups } from '../core/union/index.ts';
import type { Store } from '../store/index.ts';
import { Explorer } from './explore.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ls-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An Explorer over a store holding one image of these (uncompressed) layers. */
async function explorerOf(tars: Uint8Array[]): Promise<{ ex: Explorer; id: Digest }> {
  const id = 'sha256:image' as Digest;
  const blobs = new Map<string, Uint8Array>();
  const indexes = new Map<string, unknown>();
  const layers: { digest: string; diffId: string }[] = [];
  for (let i = 0; i < tars.length; i++) {
    const entries: LayerEntry[] = [];
    await scanTar([tars[i]!], {}, (e) => entries.push(e));
    const digest = `sha256:blob${i}`;
    const diffId = `sha256:diff${i}`;
    blobs.set(digest, tars[i]!);
    indexes.set(diffId, { index: encodeLayerIndex(entries) });
    layers.push({ digest, diffId });
  }
  const store = {
    getImage: async (x: string) => (x === id ? { id, layers } : undefined),
    getLayerIndex: async (d: string) => indexes.get(d),
    readBlob: (d: string) => new Blob([blobs.get(d)!.slice().buffer as ArrayBuffer]).stream(),
  } as unknown as Store;
  return { ex: new Explorer(async () => store), id };
}

async function exportAndExtract(tars: Uint8Array[]) {
  const { ex, id } = await explorerOf(tars);
  const bytes = new Uint8Array(await new Response(await ex.exportFilesystem(id)).arrayBuffer());
  const dir = mkdtempSync(join(tmp, 'x-'));
  writeFileSync(join(dir, 'fs.tar'), bytes);
  execFileSync('mkdir', [join(dir, 'root')]);
  execFileSync('tar', ['-xf', join(dir, 'fs.tar'), '-C', join(dir, 'root')]);
  const at = (p: string) => join(dir, 'root', p);
  return {
    ex,
    id,
    read: (p: string) => readFileSync(at(p), 'utf8'),
    ino: (p: string) => statSync(at(p)).ino,
    list: () => execFileSync('tar', ['-tvf', join(dir, 'fs.tar')], { encoding: 'utf8' }),
  };
}

describe('Download filesystem with hard links', () => {
  it('a link whose target a later layer deletes keeps the bytes', async () => {
    const r = await exportAndExtract([
      tarBuilder().file('a', 'AAAA').link('b', 'a').link('c', 'a').bytes(),
      tarBuilder().whiteout('', 'a').bytes(),
    ]);
    expect(r.read('b')).toBe('AAAA');
    expect(r.read('c')).toBe('AAAA');
    expect(r.ino('b')).toBe(r.ino('c')); // still one inode
    expect(new TextDecoder().decode((await r.ex.readFile(r.id, 'b')).bytes)).toBe('AAAA');
  });

  it('a link whose target a later layer replaces keeps the old content', async () => {
    const r = await exportAndExtract([
      tarBuilder().file('a', 'old').link('b', 'a').bytes(),
      tarBuilder().file('a', 'new!').bytes(),
    ]);
    expect(r.read('a')).toBe('new!');
    expect(r.read('b')).toBe('old');
    expect(r.ino('a')).not.toBe(r.ino('b'));
  });

  it('a link in an upper layer to a lower file, the file deleted after', async () => {
    const r = await exportAndExtract([
      tarBuilder().dir('d').file('d/f', 'data').bytes(),
      tarBuilder().link('g', 'd/f').bytes(),
      tarBuilder().whiteout('d', 'f').bytes(),
    ]);
    expect(r.read('g')).toBe('data');
    expect(r.list()).not.toMatch(/d\/f/);
  });

  it('links that still have their target stay links, grouped as the viewer groups them', async () => {
    const layers = [tarBuilder().file('a', 'x').link('b', 'a').symlink('s', 'a').bytes()];
    const r = await exportAndExtract(layers);
    expect(r.ino('a')).toBe(r.ino('b'));
    expect(r.list()).toMatch(/^hrw-r--r-- .* b link to a$/m);
    const entries: LayerEntry[] = [];
    await scanTar([layers[0]!], {}, (e) => entries.push(e));
    const { applyLayers } = await import('../core/union/index.ts');
    expect([...inodeGroups(applyLayers([entries])).values()]).toEqual([['a', 'b']]);
  });
});
