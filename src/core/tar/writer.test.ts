import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarError } from './errors.ts';
import { BLOCK, F } from './format.ts';
import { parseNumeric, parsePax, readTar } from './reader.ts';
import { encodeHeader, tarStream, writeTar, type TarWriteEntry } from './writer.ts';

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

describe('writeTar', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ls-write-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams bodies from streams and iterables, GNU tar extracts them', async () => {
    const chunks = [new Uint8Array(1000).fill(65), new Uint8Array(24).fill(66)];
    const entries: TarWriteEntry[] = [
      { path: 'dir', type: 'dir', mtime: 1 },
      { path: 'dir/from-stream', size: 1024, body: new Blob(chunks).stream(), mtime: 1 },
      { path: 'dir/from-iterable', size: 1024, body: chunks, mtime: 1 },
      { path: 'dir/empty', mtime: 1 },
    ];
    const bytes = await collect(writeTar(entries));
    const viaStream = new Uint8Array(
      await new Response(
        tarStream(entries.map((e) => ({ ...e, body: e.path.endsWith('stream') ? new Blob(chunks).stream() : e.body }))),
      ).arrayBuffer(),
    );
    expect(Buffer.from(viaStream).equals(Buffer.from(bytes))).toBe(true);
    writeFileSync(join(dir, 'w.tar'), bytes);
    const out = execFileSync('tar', ['-xOf', join(dir, 'w.tar'), 'dir/from-stream']);
    expect(out.equals(Buffer.concat(chunks))).toBe(true);
    const read: string[] = [];
    for await (const e of readTar(bytes)) read.push(`${e.header.path}:${e.header.size}`);
    expect(read).toEqual(['dir:0', 'dir/from-stream:1024', 'dir/from-iterable:1024', 'dir/empty:0']);
  });

  it('refuses a body that differs from its declared size', async () => {
    await expect(collect(writeTar([{ path: 'a', size: 10, body: new Uint8Array(5) }]))).rejects.toMatchObject({
      code: 'TAR_WRITE',
    });
    await expect(collect(writeTar([{ path: 'a', size: 2, body: [new Uint8Array(5)] }]))).rejects.toBeInstanceOf(
      TarError,
    );
    await expect(collect(writeTar([{ path: 'd', type: 'dir', size: 3 }]))).rejects.toMatchObject({ code: 'TAR_WRITE' });
  });

  it('writes sizes beyond ustar as base-256 plus a PAX size record', () => {
    const h = encodeHeader({ path: 'huge', size: 2 ** 34 + 5 });
    expect(String.fromCharCode(h[156]!)).toBe('x');
    const recSize = parseNumeric(h, F.size, 'size');
    expect(parsePax(h.subarray(BLOCK, BLOCK + recSize))).toEqual({ size: String(2 ** 34 + 5) });
    const main = h.subarray(h.length - BLOCK);
    expect(main[124]).toBe(0x80);
    expect(parseNumeric(main, F.size, 'size')).toBe(2 ** 34 + 5);
  });

  it('gets PAX record lengths right across digit boundaries', () => {
    for (let n = 80; n < 120; n++) {
      const path = 'p'.repeat(n) + '/' + 'q'.repeat(101);
      const h = encodeHeader({ path });
      const size = parseNumeric(h, F.size, 'size');
      expect(parsePax(h.subarray(BLOCK, BLOCK + size)).path).toBe(path);
    }
  });
});
