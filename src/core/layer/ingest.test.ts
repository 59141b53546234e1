import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../digest.ts';
import { createSha256 } from '../sha256.ts';
import { tarBuilder } from '../tar/builder.ts';
import { readTar } from '../tar/reader.ts';
import { LayerError } from './errors.ts';
import { ingestLayer, readFileFromLayer, streamFileFromLayer } from './ingest.ts';
import { chunkedStream } from './test-streams.ts';

const sha256sum = (file: string): Digest =>
  `sha256:${execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]}`;
const sha = (b: Uint8Array): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const streamOf = chunkedStream;

/** Docker's size computed from the filesystem, independently of the tar: Lstat sizes of
 * non-directories, each inode once (as moby's directory.Size). */
function duSize(root: string): number {
  const seen = new Set<number>();
  let size = 0;
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isDirectory()) {
      for (const n of readdirSync(p)) walk(join(p, n));
      return;
    }
    if (seen.has(st.ino)) return;
    seen.add(st.ino);
    size += st.isSymbolicLink() ? Buffer.byteLength(readlinkSync(p)) : st.isFile() ? st.size : 0;
  };
  walk(root);
  return size;
}

const gzipped = (tar: Uint8Array) => new Uint8Array(execFileSync('gzip', ['-c'], { input: tar }));

describe('ingestLayer', () => {
  let dir: string;
  let big: Buffer;
  const f = (n: string) => new Uint8Array(readFileSync(join(dir, n)));
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ls-ingest-'));
    const root = join(dir, 'root');
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    mkdirSync(join(root, 'etc'));
    big = Buffer.alloc(1_000_003);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 13)) & 0xff;
    writeFileSync(join(root, 'usr/bin/big'), big);
    writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
    linkSync(join(root, 'usr/bin/big'), join(root, 'usr/bin/big-again'));
    symlinkSync('/usr/bin/big', join(root, 'usr/bin/sym'));
    for (let i = 0; i < 200; i++) writeFileSync(join(root, 'etc', `f${i}`), 'x'.repeat(i));
    const sh = (cmd: string) => execSync(cmd, { cwd: dir, shell: '/bin/sh' });
    sh('tar --format=pax --sort=name -cf layer.tar -C root .');
    sh('gzip -c layer.tar > layer.tar.gz && zstd -q -c layer.tar > layer.tar.zst');
    // Multi-member gzip: the tar split in two, each half its own member.
    sh('head -c 500000 layer.tar | gzip -c > multi.gz && tail -c +500001 layer.tar | gzip -c >> multi.gz');
    writeFileSync(join(dir, 'du'), String(duSize(root)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [blobName, compression] of [
    ['layer.tar', 'none'],
    ['layer.tar.gz', 'gzip'],
    ['layer.tar.zst', 'zstd'],
    ['multi.gz', 'gzip'],
  ] as const) {
    it(`${blobName}: digest, diff_id, sizes and entries in one pass`, async () => {
      const blob = f(blobName);
      const stored: Uint8Array[] = [];
      const r = await ingestLayer(streamOf(blob), {
        expectedDigest: sha256sum(join(dir, blobName)),
        expectedDiffId: sha256sum(join(dir, 'layer.tar')),
        expectedSize: blob.length,
        onChunk: (c) => void stored.push(c.slice()),
      });
      expect(r.compression).toBe(compression);
      expect(r.digest).toBe(sha256sum(join(dir, blobName)));
      expect(r.diffId).toBe(sha256sum(join(dir, 'layer.tar')));
      expect(r.compressedSize).toBe(blob.length);
      // GNU tar pads the archive to 10240-byte records: those bytes past end-of-archive count.
      expect(r.uncompressedSize).toBe(f('layer.tar').length);
      expect(Buffer.concat(stored).equals(blob)).toBe(true);
      const listed = execFileSync('tar', ['-tf', join(dir, 'layer.tar')], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
      expect(r.entries).toHaveLength(listed.length);
      expect(r.size).toBe(Number(readFileSync(join(dir, 'du'), 'utf8')));
      const bigEntry = r.entries.find((e) => e.path === 'usr/bin/big')!;
      expect(bigEntry.size).toBe(big.length);
      expect(r.entries.find((e) => e.path === 'usr/bin/big-again')).toMatchObject({
        type: 'hardlink',
        linkname: 'usr/bin/big',
      });
      expect(r.entries.some((e) => 'headerOffset' in e)).toBe(false);
    });
  }

  it('hashes bytes after the end-of-archive marker into the diff_id', async () => {
    const tar = new Uint8Array([
      ...tarBuilder().file('a', 'x').bytes(),
      ...new TextEncoder().encode('trailing garbage'),
    ]);
    const r = await ingestLayer(streamOf(gzipped(tar)));
    expect(r.diffId).toBe(sha(tar));
    expect(r.uncompressedSize).toBe(tar.length);
    expect(r.entries.map((e) => e.path)).toEqual(['a']);
  });

  it('gives the same result over 1-byte chunks', async () => {
    const tar = tarBuilder().dir('d').file('d/a', 'hello').symlink('d/s', 'a').file('d/b', 'x'.repeat(700)).bytes();
    const gz = gzipped(tar);
    const one = await ingestLayer(streamOf(gz, 1));
    const whole = await ingestLayer(streamOf(gz, gz.length));
    expect(one).toEqual(whole);
    expect(one.digest).toBe(sha(gz));
    expect(one.size).toBe(5 + 1 + 700);
  });

  it('throws mismatches after the stream ends, with codes', async () => {
    const blob = f('layer.tar.gz');
    let seen = 0;
    const wrong: Digest = `sha256:${'0'.repeat(64)}`;
    await expect(
      ingestLayer(streamOf(blob), { expectedDigest: wrong, onChunk: (c) => void (seen += c.length) }),
    ).rejects.toMatchObject({
      name: 'LayerError',
      code: 'LAYER_DIGEST_MISMATCH',
    });
    expect(seen).toBe(blob.length); // thrown only after the whole blob went through
    await expect(ingestLayer(streamOf(blob), { expectedDiffId: wrong })).rejects.toMatchObject({
      code: 'LAYER_DIFFID_MISMATCH',
    });
    await expect(ingestLayer(streamOf(blob), { expectedSize: blob.length + 1 })).rejects.toMatchObject({
      code: 'LAYER_SIZE_MISMATCH',
    });
    seen = 0;
    await expect(
      ingestLayer(streamOf(blob), { expectedSize: 100_000, onChunk: (c) => void (seen += c.length) }),
    ).rejects.toMatchObject({ code: 'LAYER_SIZE_MISMATCH' });
    expect(seen).toBeLessThanOrEqual(100_000); // stopped at once, nothing past the promise stored
  });

  it('passes tar errors through, naming the layer, cloneable', async () => {
    const gz = gzipped(tarBuilder().file('ok', 'x').link('evil', '../../etc/shadow').bytes());
    const digest = sha(gz);
    const err = await ingestLayer(streamOf(gz), { expectedDigest: digest }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LayerError);
    expect(err).toMatchObject({ code: 'TAR_PATH_ESCAPE', layer: digest });
    expect((err as LayerError).message).toContain(digest);
    expect((err as LayerError).message).toContain('../../etc/shadow');
    const clone = structuredClone((err as LayerError).toJSON());
    expect(LayerError.from(clone)).toMatchObject({ code: 'TAR_PATH_ESCAPE', layer: digest });
  });

  it('reports corrupt compressed data and a truncated tar', async () => {
    const gz = f('layer.tar.gz');
    gz.fill(0xff, 10, 40); // first deflate block: BTYPE 11 is reserved (RFC 1951 §3.2.3)
    await expect(ingestLayer(streamOf(gz))).rejects.toMatchObject({ code: 'LAYER_CORRUPT' });
    await expect(ingestLayer(streamOf(f('layer.tar').slice(0, 700_000)))).rejects.toMatchObject({
      code: 'TAR_TRUNCATED',
    });
    await expect(
      ingestLayer(streamOf(gzipped(tarBuilder().file('a').file('b').bytes())), { maxEntries: 1 }),
    ).rejects.toMatchObject({ code: 'TAR_LIMIT' });
  });

  it('awaits onChunk one chunk at a time', async () => {
    const blob = f('layer.tar.zst');
    let busy = false;
    let calls = 0;
    const parts: Uint8Array[] = [];
    await ingestLayer(streamOf(blob, 1000), {
      onChunk: async (c) => {
        expect(busy).toBe(false);
        busy = true;
        parts.push(c.slice());
        await new Promise((r) => setTimeout(r, 2));
        calls++;
        busy = false;
      },
    });
    expect(calls).toBeGreaterThan(1);
    expect(Buffer.concat(parts).equals(blob)).toBe(true);
  });

  it('stops on abort and cancels the blob', async () => {
    const ac = new AbortController();
    let cancelled = false;
    const blob = f('layer.tar.gz');
    let at = 0;
    const rs = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= blob.length) return c.close();
        c.enqueue(blob.slice(at, (at += 10_000)));
      },
      cancel() {
        cancelled = true;
      },
    });
    const p = ingestLayer(rs, { onChunk: () => ac.abort(new DOMException('stop', 'AbortError')), signal: ac.signal });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(cancelled).toBe(true);
  });

  it('reads one file by its offset from gzip, zstd and plain layers', async () => {
    const r = await ingestLayer(streamOf(f('layer.tar.gz')));
    const entry = r.entries.find((e) => e.path === 'usr/bin/big')!;
    for (const name of ['layer.tar.gz', 'layer.tar.zst', 'layer.tar', 'multi.gz']) {
      const bytes = await readFileFromLayer(streamOf(f(name)), entry);
      expect(Buffer.from(bytes).equals(big), name).toBe(true);
    }
    const hosts = r.entries.find((e) => e.path === 'etc/hosts')!;
    expect(new TextDecoder().decode(await readFileFromLayer(streamOf(f('layer.tar.zst'), 7), hosts))).toBe(
      '127.0.0.1 localhost\n',
    );
    await expect(readFileFromLayer(streamOf(f('layer.tar.gz')), entry, { maxBytes: 1000 })).rejects.toMatchObject({
      code: 'LAYER_LIMIT',
    });
    const streamed = Buffer.from(
      await new Response(streamFileFromLayer(streamOf(f('layer.tar.zst')), entry)).arrayBuffer(),
    );
    expect(streamed.equals(big)).toBe(true);
    await expect(readFileFromLayer(streamOf(f('layer.tar').slice(0, 600_000)), entry)).rejects.toMatchObject({
      code: 'TAR_TRUNCATED',
    });
  });

  it('agrees with readTar on the uncompressed tar', async () => {
    const tar = f('layer.tar');
    const direct: string[] = [];
    for await (const e of readTar(streamOf(tar))) direct.push(`${e.header.path}@${e.header.offset}`);
    const r = await ingestLayer(streamOf(f('layer.tar.zst')));
    expect(r.entries.map((e) => `${e.path}@${e.offset}`)).toEqual(direct);
  });
});

describe('createSha256', () => {
  it('matches node:crypto over uneven chunks', () => {
    const data = new Uint8Array(100_000).map((_, i) => (i * 17) & 0xff);
    const h = createSha256();
    for (let i = 0, n = 1; i < data.length; i += n, n = (n * 3 + 1) % 9000) h.update(data.subarray(i, i + n));
    expect(h.length).toBe(data.length);
    expect(h.digest()).toBe(sha(data));
  });
});
