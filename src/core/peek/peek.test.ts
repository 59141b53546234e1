/**
 * The peek pass and reads through its checkpoints, on layers compressed by the real tools
 * (GNU gzip, zstd, Node's zlib for odd strategies), whole and as several members/frames. The
 * expected file bytes are the ones the tar was built from; the expected entries, digest and
 * diff_id those of the pull's own ingest (src/core/layer/ingest.ts) and of sha256sum.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../digest.ts';
import { ingestLayer } from '../layer/ingest.ts';
import { tarBuilder } from '../tar/builder.ts';
import { peekIndexLayer, bytesHex, type PeekLayer } from './index-layer.ts';
import { planRead, readPlanned, type RangeFetch } from './read.ts';
import { noise, prng } from '../../../tests/helpers/prng.ts';

const sha = (b: Uint8Array): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function text(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const words = ['lorem ', 'ipsum ', 'dolor\n', '/usr/lib/x86_64-linux-gnu/', '0123456789', 'sit amet, '];
  let s = '';
  while (s.length < n) s += words[Math.floor(r() * words.length)];
  return new TextEncoder().encode(s.slice(0, n));
}

/** A layer tar with every entry kind; returns it and the content of each regular file. */
function layerTar(): { tar: Uint8Array; files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  const b = tarBuilder().dir('etc').dir('usr').dir('usr/lib').dir('usr/share');
  const add = (path: string, content: Uint8Array): void => {
    files.set(path, content);
    b.file(path, content, { mode: 0o644, mtime: 1700000000 });
  };
  add('etc/hosts', new TextEncoder().encode('127.0.0.1 localhost\n'));
  add('etc/empty', new Uint8Array(0));
  for (let i = 0; i < 40; i++) add(`usr/share/doc-${i}.txt`, text(1000 + i * 997, i));
  add('usr/lib/big.bin', noise(1_200_000, 5)); // incompressible: stored blocks
  add('usr/lib/big.txt', text(3_000_000, 77));
  for (let i = 0; i < 20; i++) add(`usr/lib/mixed-${i}.so`, i % 2 ? noise(50_000 + i, i) : text(70_000 + i, i));
  b.symlink('usr/lib/libz.so', 'mixed-1.so').link('usr/lib/hard', 'usr/lib/big.txt').whiteout('etc', 'gone');
  b.opaque('usr/share').fifo('fifo').device('dev-null', 'char', 1, 3);
  add('usr/lib/last.txt', text(333_333, 3));
  return { tar: b.bytes(), files };
}

const { tar, files } = layerTar();

function rangeOf(blob: Uint8Array, ignoreRange = false): RangeFetch & { requests: [number, number][] } {
  const requests: [number, number][] = [];
  const f = async (start: number, end: number) => {
    requests.push([start, end]);
    const bytes = ignoreRange ? blob : blob.subarray(start, end + 1);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.slice(at, at + 50_000));
        at += 50_000;
      },
    });
    return { status: ignoreRange ? 200 : 206, body, ...(ignoreRange ? {} : { rangeStart: start }) };
  };
  return Object.assign(f, { requests });
}

function streamOfBytes(b: Uint8Array, piece = 65_536): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= b.length) return c.close();
      c.enqueue(b.slice(at, at + piece));
      at += piece;
    },
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function fileHash(layer: PeekLayer, path: string): Digest {
  let k = 0;
  for (const e of layer.entries) {
    if (e.type !== 'file') continue;
    if (e.path === path) return bytesHex(layer.fileHashes.subarray(k * 32, k * 32 + 32));
    k++;
  }
  throw new Error(`no ${path}`);
}

const gnuGzip = (b: Uint8Array, level = 6): Uint8Array =>
  new Uint8Array(execFileSync('gzip', [`-${level}nc`], { input: b, maxBuffer: 1 << 28 }));
const zstdCli = (b: Uint8Array): Uint8Array =>
  new Uint8Array(execFileSync('zstd', ['-3', '-c', '-q'], { input: b, maxBuffer: 1 << 28 }));

const blobs: [string, Uint8Array][] = [
  ['gzip -6 (GNU gzip)', gnuGzip(tar)],
  ['gzip -1 (GNU gzip)', gnuGzip(tar, 1)],
  ['gzip, Z_FIXED (zlib)', new Uint8Array(gzipSync(tar, { strategy: constants.Z_FIXED }))],
  [
    'gzip, three members',
    concat([
      gnuGzip(tar.subarray(0, 1_000_000)),
      gnuGzip(tar.subarray(1_000_000, 2_500_000)),
      gnuGzip(tar.subarray(2_500_000)),
    ]),
  ],
  ['zstd (zstd CLI)', zstdCli(tar)],
  [
    'zstd, four frames',
    concat(
      [0, 700_000, 2_000_000, 4_000_000, tar.length]
        .slice(0, -1)
        .map((s, i, a) => zstdCli(tar.subarray(s, a[i + 1] ?? tar.length))),
    ),
  ],
  ['uncompressed', tar],
];

/** Compressed bytes between checkpoints in these tests (4 MiB by default; small here so a
 * test layer of a few MB has several). */
const CP = 128 << 10;

describe('peek: index a layer, read every file through its checkpoints', () => {
  for (const [name, blob] of blobs) {
    it(name, async () => {
      const digest = sha(blob);
      const diffId = sha(tar);
      const layer = await peekIndexLayer(streamOfBytes(blob), {
        expectedDigest: digest,
        expectedDiffId: diffId,
        expectedSize: blob.length,
        checkpointEvery: CP,
      });
      expect(layer.digest).toBe(digest);
      expect(layer.diffId).toBe(diffId);
      expect(layer.uncompressedSize).toBe(tar.length);
      // The same entries as the pull's index.
      const pulled = await ingestLayer(streamOfBytes(blob));
      expect(layer.entries).toEqual(pulled.entries);
      expect(layer.size).toBe(pulled.size);
      // Sparse windows: each is the tar bytes before its checkpoint, cut at the first byte
      // decoding reads, with the bytes it never reads zeroed.
      for (const p of layer.points.filter((q) => q.window >= 0)) {
        const w = layer.windows[p.window]!;
        expect(w.length).toBeLessThanOrEqual(32768);
        const real = tar.subarray(p.out - w.length, p.out);
        expect(w.every((b, i) => b === 0 || b === real[i])).toBe(true);
      }
      // Checkpoints are spaced by compressed input: one per CP bytes of blob at least.
      if (layer.compression === 'gzip' && !name.includes('members'))
        expect(layer.windows.length).toBeGreaterThanOrEqual(Math.floor(blob.length / (2 * CP)));

      const fetch = rangeOf(blob);
      for (const e of layer.entries) {
        if (e.type !== 'file') continue;
        const expected = files.get(e.path) ?? new Uint8Array(0); // whiteouts and opaque markers are empty
        const h = fileHash(layer, e.path);
        expect(h).toBe(sha(expected));
        const plan = planRead(layer, e);
        const got = await readPlanned(fetch, plan, h, { path: e.path });
        expect(got.rangeIgnored).toBe(false);
        expect(Buffer.from(got.bytes).equals(Buffer.from(expected)), e.path).toBe(true);
        // Never more than the planned range: from the checkpoint (the first block boundary
        // ≥ checkpointEvery compressed bytes after the one before) to the first access point
        // past the file; the part before the file's own bytes stays under 2 × CP.
        if (e.size > 0) expect(got.fetched).toBeLessThanOrEqual(plan.end - plan.start + 1);
        if (e.size > 0 && layer.compression === 'gzip' && !name.includes('members')) {
          const before = layer.points.filter((p) => p.out <= e.offset).at(-1)!;
          expect(before.inBit / 8 - plan.start).toBeLessThan(2 * CP);
        }
      }
      expect(fetch.requests.length).toBeGreaterThan(60);
    });
  }

  it('falls back to streaming when the server ignores Range (200), and says so', async () => {
    const blob = gnuGzip(tar);
    const layer = await peekIndexLayer(streamOfBytes(blob), { checkpointEvery: 512 << 10 });
    const e = layer.entries.find((x) => x.path === 'usr/lib/last.txt')!;
    const got = await readPlanned(rangeOf(blob, true), planRead(layer, e), fileHash(layer, e.path));
    expect(got.rangeIgnored).toBe(true);
    expect(Buffer.from(got.bytes).equals(Buffer.from(files.get(e.path)!))).toBe(true);
    expect(got.fetched).toBeGreaterThan(got.plan.start);
  });

  it('a changed blob fails with LAYER_FILE_MISMATCH', async () => {
    const blob = gnuGzip(tar);
    const layer = await peekIndexLayer(streamOfBytes(blob), { checkpointEvery: 512 << 10 });
    const e = layer.entries.find((x) => x.path === 'usr/lib/big.txt')!;
    const plan = planRead(layer, e);
    // Another layer at the same digest URL: other bytes at the same offsets.
    const other = gnuGzip(concat([tar.subarray(0, e.offset), text(e.size, 999), tar.subarray(e.offset + e.size)]));
    await expect(readPlanned(rangeOf(other), plan, fileHash(layer, e.path))).rejects.toMatchObject({
      code: 'LAYER_FILE_MISMATCH',
    });
    // Uncompressed: bytes swapped in place.
    const plainLayer = await peekIndexLayer(streamOfBytes(tar));
    const swapped = new Uint8Array(tar);
    swapped[e.offset + 10] = swapped[e.offset + 10]! ^ 1;
    await expect(
      readPlanned(rangeOf(swapped), planRead(plainLayer, e), fileHash(plainLayer, e.path)),
    ).rejects.toMatchObject({
      code: 'LAYER_FILE_MISMATCH',
    });
  });

  it('a preview keeps the first bytes only, yet checks the whole file: a change past them fails', async () => {
    const blob = gnuGzip(tar);
    const layer = await peekIndexLayer(streamOfBytes(blob), { checkpointEvery: 512 << 10 });
    const e = layer.entries.find((x) => x.path === 'usr/lib/big.txt')!;
    const plan = planRead(layer, e);
    const got = await readPlanned(rangeOf(blob), plan, fileHash(layer, e.path), { keep: 1000 });
    expect(Buffer.from(got.bytes).equals(Buffer.from(files.get(e.path)!.subarray(0, 1000)))).toBe(true);
    // Uncompressed, the file's last byte changed in place: not in the preview, still refused.
    const plainLayer = await peekIndexLayer(streamOfBytes(tar));
    const last = e.offset + e.size - 1;
    const changed = new Uint8Array(tar);
    changed[last] = changed[last]! ^ 1;
    const plainPlan = planRead(plainLayer, e);
    const hash = fileHash(plainLayer, e.path);
    const ok = await readPlanned(rangeOf(tar), plainPlan, hash, { keep: 1000 });
    expect(ok.bytes.length).toBe(1000);
    await expect(readPlanned(rangeOf(changed), plainPlan, hash, { keep: 1000 })).rejects.toMatchObject({
      code: 'LAYER_FILE_MISMATCH',
    });
  });

  it('refuses a blob whose digest or diff_id is not the expected one, as a pull does', async () => {
    const blob = gnuGzip(tar);
    await expect(peekIndexLayer(streamOfBytes(blob), { expectedDigest: sha(tar) })).rejects.toMatchObject({
      code: 'LAYER_DIGEST_MISMATCH',
    });
    await expect(peekIndexLayer(streamOfBytes(blob), { expectedDiffId: sha(blob) })).rejects.toMatchObject({
      code: 'LAYER_DIFFID_MISMATCH',
    });
    await expect(peekIndexLayer(streamOfBytes(blob.subarray(0, blob.length - 100)))).rejects.toMatchObject({
      code: 'LAYER_CORRUPT',
    });
  });
});

describe('peek: the stored form', () => {
  it('round-trips through encode/decode and reads the same from the decoded index', async () => {
    const { encodePeekLayer, decodePeekLayer, decodeLayerIndex, fileHashLookup } = await import('./encode.ts');
    const blob = gnuGzip(tar);
    const layer = await peekIndexLayer(streamOfBytes(blob), { checkpointEvery: 512 << 10 });
    const stored = encodePeekLayer(layer);
    const back = decodePeekLayer(structuredClone(stored));
    expect(decodeLayerIndex(back.index)).toEqual(layer.entries);
    expect(back.points).toEqual(layer.points);
    expect(back.windows).toEqual(layer.windows);
    expect(back.fileHashes).toEqual(layer.fileHashes);
    const hashOf = fileHashLookup(back.index, back.fileHashes);
    const i = layer.entries.findIndex((x) => x.path === 'usr/lib/big.txt');
    const h = bytesHex(hashOf(i)!);
    expect(h).toBe(sha(files.get('usr/lib/big.txt')!));
    const got = await readPlanned(rangeOf(blob), planRead(back, layer.entries[i]!), h);
    expect(Buffer.from(got.bytes).equals(Buffer.from(files.get('usr/lib/big.txt')!))).toBe(true);
    expect(() => decodePeekLayer({ ...stored, packed: stored.packed.subarray(0, 100) })).toThrow(/damaged/);
  });

  it('round-trips what the compact coding treats apart: a fractional mtime, repeated and empty-file hashes', async () => {
    const { encodePeekLayer, decodePeekLayer, decodeLayerIndex } = await import('./encode.ts');
    const layer = await peekIndexLayer(streamOfBytes(gnuGzip(tar)), { checkpointEvery: 512 << 10 });
    const entries = layer.entries.map((e) => ({ ...e }));
    entries[1]!.mtime = 1234567890.25; // pax mtimes may carry a fraction: that column is stored raw
    entries[2]!.offset += 2 ** 40; // far from the predicted offset
    const fileHashes = new Uint8Array(layer.fileHashes);
    fileHashes.copyWithin(64, 0, 32); // the third file hashes as the first
    const nFiles = fileHashes.length / 32;
    const empty = entries.filter((e) => e.type === 'file' && e.size === 0).length;
    expect(nFiles).toBeGreaterThan(3);
    expect(empty).toBeGreaterThan(0); // whiteouts, the opaque marker
    const changed = { ...layer, entries, fileHashes };
    const back = decodePeekLayer(structuredClone(encodePeekLayer(changed)));
    expect(decodeLayerIndex(back.index)).toEqual(entries);
    expect(back.fileHashes).toEqual(fileHashes);
    expect(back.points).toEqual(layer.points);
  });
});

describe('peek: records stored by version 1', () => {
  /** The version-1 encoder as it shipped (commit 95775c7, src/core/peek/encode.ts): raw typed
   * arrays, full windows, one hash per file. */
  async function encodeV1(layer: PeekLayer) {
    const { deflateSync } = await import('fflate');
    const { encodeLayerIndex } = await import('../layer/entry.ts');
    const idx = encodeLayerIndex(layer.entries);
    const parts: { name: string; kind: string; bytes: number }[] = [];
    const data: Uint8Array[] = [];
    const add = (name: string, arr: ArrayBufferView): void => {
      parts.push({ name, kind: arr.constructor.name, bytes: arr.byteLength });
      data.push(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    };
    for (const n of [
      'path',
      'type',
      'mode',
      'uid',
      'gid',
      'size',
      'mtime',
      'offset',
      'linkname',
      'uname',
      'gname',
      'devmajor',
      'devminor',
      'xattrs',
    ] as const)
      add(n, idx[n]);
    add('strings', new TextEncoder().encode(JSON.stringify(idx.strings)));
    add('fileHashes', layer.fileHashes);
    const pts = new Float64Array(layer.points.length * 3);
    layer.points.forEach((p, i) => pts.set([p.out, p.inBit, p.window], i * 3));
    add('points', pts);
    add('windowSizes', new Uint32Array(layer.windows.map((w) => w.length)));
    for (const [i, w] of layer.windows.entries()) add(`w${i}`, w);
    const head = new TextEncoder().encode(JSON.stringify(parts));
    const raw = new Uint8Array(4 + head.length + data.reduce((n, d) => n + d.length, 0));
    new DataView(raw.buffer).setUint32(0, head.length, true);
    raw.set(head, 4);
    let at = 4 + head.length;
    for (const d of data) {
      raw.set(d, at);
      at += d.length;
    }
    return {
      version: 1 as const,
      digest: layer.digest,
      diffId: layer.diffId,
      compression: layer.compression,
      compressedSize: layer.compressedSize,
      uncompressedSize: layer.uncompressedSize,
      size: layer.size,
      entryCount: layer.entries.length,
      checkpointCount: layer.windows.length,
      packed: deflateSync(raw, { level: 6 }),
    };
  }

  it('still decode, and read the same bytes; the version-2 record is smaller', async () => {
    const { encodePeekLayer, decodePeekLayer, decodeLayerIndex } = await import('./encode.ts');
    const blob = gnuGzip(tar);
    const layer = await peekIndexLayer(streamOfBytes(blob), { checkpointEvery: CP });
    const v1 = await encodeV1(layer);
    const back = decodePeekLayer(structuredClone(v1));
    expect(decodeLayerIndex(back.index)).toEqual(layer.entries);
    expect(back.fileHashes).toEqual(layer.fileHashes);
    expect(back.points).toEqual(layer.points);
    expect(back.windows).toEqual(layer.windows);
    const e = layer.entries.find((x) => x.path === 'usr/lib/big.txt')!;
    const got = await readPlanned(rangeOf(blob), planRead(back, e), fileHash(layer, e.path));
    expect(Buffer.from(got.bytes).equals(Buffer.from(files.get(e.path)!))).toBe(true);
    expect(encodePeekLayer(layer).packed.length).toBeLessThan(v1.packed.length);
  });
});
