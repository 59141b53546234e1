import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  linkSync,
  writeFileSync,
  utimesSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarBuilder } from './builder.ts';
import { TarError } from './errors.ts';
import { BLOCK, F } from './format.ts';
import type { LayerEntry } from '../layer/entry.ts';
import { normalizeTarPath, readTar, scanTar, type TarHeader, type TarReadOptions } from './reader.ts';
import { encodeHeader } from './writer.ts';

// ---- helpers ---------------------------------------------------------------------------------

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

interface Read {
  header: TarHeader;
  data: Uint8Array;
}

async function readAll(bytes: Uint8Array, chunk = 4096, opts?: TarReadOptions): Promise<Read[]> {
  const out: Read[] = [];
  for await (const e of readTar(chunked(bytes, chunk), opts)) out.push({ header: e.header, data: await e.bytes() });
  return out;
}

/** The headers scanTar reports (bodies skipped). */
async function scanAll(bytes: Uint8Array, chunk = 4096, opts: TarReadOptions = {}): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  await scanTar(chunked(bytes, chunk), opts, (e) => out.push(e));
  return out;
}

async function codeOf(
  bytes: Uint8Array,
  opts?: TarReadOptions,
  chunk = 4096,
  scan = false,
): Promise<{ code: string; message: string }> {
  try {
    if (scan) await scanAll(bytes, chunk, opts);
    else await readAll(bytes, chunk, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(TarError);
    return { code: (e as TarError).code, message: (e as TarError).message };
  }
  throw new Error('expected a TarError');
}

/** Overwrites a header field and recomputes the checksum (for hand-made odd headers). */
function patch(tar: Uint8Array, at: number, field: readonly [number, number], bytes: Uint8Array | string): Uint8Array {
  const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const out = tar.slice();
  out.fill(0, at + field[0], at + field[0] + field[1]);
  out.set(b.subarray(0, field[1]), at + field[0]);
  fixChecksum(out, at);
  return out;
}

function fixChecksum(tar: Uint8Array, at: number): void {
  tar.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += tar[at + i]!;
  tar.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), at + 148);
}

/** A GNU `L`/`K` record followed by nothing: the caller appends the real entry. */
function gnuLong(kind: 'L' | 'K', value: string, declared?: number): Uint8Array {
  const body = new TextEncoder().encode(value + '\0');
  const h = encodeHeader({ path: '././@LongLink', size: declared ?? body.length });
  h[156] = kind.charCodeAt(0);
  fixChecksum(h, 0);
  if (declared !== undefined) return h;
  const out = new Uint8Array(BLOCK + Math.ceil(body.length / BLOCK) * BLOCK);
  out.set(h);
  out.set(body, BLOCK);
  return out;
}

function paxHeader(records: string, declared?: number): Uint8Array {
  const body = new TextEncoder().encode(records);
  const h = encodeHeader({ path: 'PaxHeaders/x', size: declared ?? body.length });
  h[156] = 'x'.charCodeAt(0);
  fixChecksum(h, 0);
  if (declared !== undefined) return h;
  const out = new Uint8Array(BLOCK + Math.ceil(body.length / BLOCK) * BLOCK);
  out.set(h);
  out.set(body, BLOCK);
  return out;
}

const TYPE_CHAR: Record<string, string> = {
  file: '-',
  dir: 'd',
  symlink: 'l',
  hardlink: 'h',
  char: 'c',
  block: 'b',
  fifo: 'p',
};

function modeString(h: TarHeader): string {
  const m = h.mode;
  const rwx = (v: number, s: boolean, sc: string) =>
    (v & 4 ? 'r' : '-') + (v & 2 ? 'w' : '-') + (s ? (v & 1 ? sc : sc.toUpperCase()) : v & 1 ? 'x' : '-');
  return (
    TYPE_CHAR[h.type] +
    rwx(m >> 6, !!(m & 0o4000), 's') +
    rwx(m >> 3, !!(m & 0o2000), 's') +
    rwx(m, !!(m & 0o1000), 't')
  );
}

/** Our listing in the shape of `tar --numeric-owner -tv` (dates left out: tar prints local
 * minutes; mtimes are compared separately). */
function ourLine(h: TarHeader): string {
  const size = h.type === 'char' || h.type === 'block' ? `${h.devmajor},${h.devminor}` : String(h.size);
  const path = h.path === '' ? '.' : h.path;
  let name = h.type === 'dir' ? `${path}/` : path;
  if (h.type === 'symlink') name += ` -> ${h.linkname}`;
  if (h.type === 'hardlink') name += ` link to ${h.linkname}`;
  return `${modeString(h)} ${h.uid}/${h.gid} ${size} ${name}`;
}

/** `tar --numeric-owner -tvf`, each line reshaped like ourLine (paths normalized the same way). */
function gnuListing(file: string): string[] {
  const out = execFileSync('tar', ['--numeric-owner', '--quoting-style=literal', '-tvf', file], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' },
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\S{10}) (\d+)\/(\d+)\s+(\S+) \d{4}-\d\d-\d\d \d\d:\d\d (.*)$/.exec(line);
      if (!m) throw new Error(`unparsed tar line: ${line}`);
      let [, mode, uid, gid, size, rest] = m as unknown as string[];
      let link = '';
      for (const sep of [' -> ', ' link to ']) {
        const i = rest!.indexOf(sep);
        if (i >= 0) {
          link =
            sep + (sep === ' link to ' ? normalizeTarPath(rest!.slice(i + sep.length)) : rest!.slice(i + sep.length));
          rest = rest!.slice(0, i);
        }
      }
      const dir = mode!.startsWith('d');
      const p = normalizeTarPath(rest!);
      const name = (p === '' ? '.' : p) + (dir ? '/' : '');
      return `${mode} ${uid}/${gid} ${size} ${name}${link}`;
    });
}

// ---- differential against GNU tar ------------------------------------------------------------

describe('readTar vs GNU tar', () => {
  let dir: string;
  let src: string;
  const longDir = `deep/${'a'.repeat(70)}/${'b'.repeat(60)}`; // 137 chars: ustar prefix split
  const veryLong = `deep/${'c'.repeat(90)}/${'d'.repeat(90)}/${'e'.repeat(90)}/file-with-a-long-name.txt`; // > 256
  const longTarget = `../${'t'.repeat(120)}/target`;
  const contents = new Map<string, Buffer>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ls-tar-'));
    src = join(dir, 'src');
    mkdirSync(join(src, longDir), { recursive: true });
    const put = (p: string, data: Buffer, mode = 0o644) => {
      writeFileSync(join(src, p), data);
      chmodSync(join(src, p), mode);
      contents.set(p, data);
    };
    put('empty', Buffer.alloc(0));
    put('hello.txt', Buffer.from('hello, world\n'));
    put('exec.sh', Buffer.from('#!/bin/sh\necho hi\n'), 0o755);
    put('secret', Buffer.from('s'), 0o600);
    // Big-ish and not a multiple of 512: bodies spanning many chunks.
    const big = Buffer.alloc(300_001);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919 + (i >> 9)) & 0xff;
    put('big.bin', big);
    put(`${longDir}/inner.txt`, Buffer.from('inside a long directory\n'));
    put('ünïcødé-文件.txt', Buffer.from('unicode\n'));
    linkSync(join(src, 'hello.txt'), join(src, 'hello-hard'));
    contents.set('hello-hard', contents.get('hello.txt')!); // sorted first: tar stores it as the file
    symlinkSync('hello.txt', join(src, 'hello-sym'));
    symlinkSync('/etc/passwd', join(src, 'abs-sym'));
    execFileSync('mkfifo', [join(src, 'pipe')]);
    try {
      // Devices need CAP_MKNOD (root in a container has it); skipped quietly elsewhere.
      execFileSync('mknod', [join(src, 'null'), 'c', '1', '3']);
      execFileSync('mknod', [join(src, 'sda'), 'b', '8', '0']);
    } catch {
      // mknod needs root; the devices are optional in this fixture.
    }
    utimesSync(join(src, 'hello.txt'), 1700000000.25, 1700000000.25);
    // Only for gnu and pax: names that ustar cannot hold.
    const ext = join(dir, 'ext');
    mkdirSync(join(ext, veryLong, '..'), { recursive: true });
    writeFileSync(join(ext, veryLong), 'far down\n');
    contents.set(veryLong, Buffer.from('far down\n'));
    symlinkSync(longTarget, join(ext, 'long-sym'));
    linkSync(join(ext, veryLong), join(ext, 'link-to-long'));
    const tar = (out: string, format: string, owner: string, from: string) =>
      execFileSync('tar', [
        `--format=${format}`,
        '--sort=name',
        `--owner=${owner}`,
        `--group=${owner === '3000000' ? '4000000' : '5678'}`,
        '--numeric-owner',
        '-cf',
        join(dir, out),
        '-C',
        from,
        '.',
      ]);
    tar('ustar.tar', 'ustar', '1234', src);
    tar('gnu.tar', 'gnu', '3000000', src); // uid > 2097151: base-256 in gnu format
    tar('pax.tar', 'pax', '3000000', src); // ... and a PAX uid record in pax format
    tar('v7.tar', 'v7', '1234', join(src, longDir, '..'));
    tar('gnu-ext.tar', 'gnu', '0', ext);
    tar('pax-ext.tar', 'pax', '0', ext);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['ustar.tar', 'gnu.tar', 'pax.tar', 'v7.tar', 'gnu-ext.tar', 'pax-ext.tar']) {
    it(`lists ${name} as GNU tar does and returns the original contents`, async () => {
      const bytes = new Uint8Array(readFileSync(join(dir, name)));
      for (const chunk of [65536, 511, 7]) {
        const entries = await readAll(bytes, chunk);
        expect(entries.map((e) => ourLine(e.header))).toEqual(gnuListing(join(dir, name)));
        // scanTar (what ingest indexes with) reports the same headers, without headerOffset.
        expect(await scanAll(bytes, chunk)).toEqual(entries.map(({ header: { headerOffset: _, ...h } }) => h));
        for (const e of entries) {
          const want =
            contents.get(e.header.path) ??
            (name.startsWith('v7') ? contents.get(`deep/${'a'.repeat(70)}/${e.header.path}`) : undefined);
          if (e.header.type === 'file') {
            expect(want, e.header.path).toBeDefined();
            expect(Buffer.from(e.data).equals(want!), e.header.path).toBe(true);
          }
          // offset points at the data in the tar stream
          if (e.header.size > 0)
            expect(
              Buffer.from(bytes.subarray(e.header.offset, e.header.offset + e.header.size)).equals(Buffer.from(e.data)),
            ).toBe(true);
        }
      }
    });
  }

  it('keeps fractional PAX mtimes and base-256 / PAX ids', async () => {
    const pax = await readAll(new Uint8Array(readFileSync(join(dir, 'pax.tar'))));
    const hello = pax.find((e) => e.header.path === 'hello.txt')!.header;
    expect(hello.mtime).toBeCloseTo(1700000000.25, 6);
    expect(hello.uid).toBe(3000000);
    expect(hello.gid).toBe(4000000);
    const gnu = await readAll(new Uint8Array(readFileSync(join(dir, 'gnu.tar'))));
    const g = gnu.find((e) => e.header.path === 'hello.txt')!.header;
    expect(g.mtime).toBe(1700000000);
    expect(g.uid).toBe(3000000);
  });

  it('reads the GNU archive in 1-byte chunks', async () => {
    const small = join(dir, 'small.tar');
    execFileSync('tar', ['--format=gnu', '--sort=name', '-cf', small, '-C', join(dir, 'ext'), '.']);
    const bytes = new Uint8Array(readFileSync(small));
    const one = await readAll(bytes, 1);
    const whole = await readAll(bytes, bytes.length);
    expect(one.map((e) => ourLine(e.header))).toEqual(gnuListing(small));
    expect(one).toEqual(whole);
  });

  it('skips bodies it is not asked for, and reads a body as a stream', async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'gnu.tar')));
    const paths: string[] = [];
    let streamed = 0;
    for await (const e of readTar(chunked(bytes, 1000))) {
      paths.push(e.header.path);
      if (e.header.path === 'big.bin') {
        const reader = e.stream().getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) streamed += r.value.length;
      } else if (e.header.path === 'hello.txt') await e.skip();
    }
    expect(streamed).toBe(300_001);
    expect(paths).toContain('pipe');
  });
});

// ---- builder output read by GNU tar ----------------------------------------------------------

describe('tar builder and writer', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ls-build-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes archives GNU tar lists and extracts identically', async () => {
    const long = `x/${'y'.repeat(120)}/${'z'.repeat(120)}/${'w'.repeat(30)}.txt`;
    const bytes = tarBuilder()
      .dir('etc', { mode: 0o755, mtime: 1600000000 })
      .file('etc/hosts', '127.0.0.1 localhost\n', { uid: 0, gid: 0, mtime: 1600000000 })
      .file('usr/bin/tool', 'binary', { mode: 0o755, uid: 1000, gid: 1000, mtime: 1600000000.5 })
      .file(long, 'long name\n', { uid: 5000000, gid: 7 })
      .file('ünïcødé.txt', 'u')
      .symlink('etc/localtime', `/usr/share/zoneinfo/${'Z'.repeat(110)}`)
      .link('etc/hosts2', 'etc/hosts')
      .whiteout('usr', 'lib')
      .opaque('var')
      .fifo('run/fifo')
      .device('dev/null', 'char', 1, 3, { mode: 0o666 })
      .device('dev/sda', 'block', 8, 0, { mode: 0o660, gid: 6 })
      .bytes();
    const file = join(dir, 'built.tar');
    writeFileSync(file, bytes);
    const ours = (await readAll(bytes)).map((e) => ourLine(e.header));
    expect(ours).toEqual(gnuListing(file));
    expect(ours).toContain(`-rw-r--r-- 5000000/7 10 ${long}`);
    expect(ours).toContain('-rw-r--r-- 0/0 0 usr/.wh.lib');
    expect(ours).toContain('-rw-r--r-- 0/0 0 var/.wh..wh..opq');
    expect(ours).toContain('crw-rw-rw- 0/0 1,3 dev/null');
    expect(ours).toContain('brw-rw---- 0/6 8,0 dev/sda');
    mkdirSync(join(dir, 'out'));
    execFileSync('tar', ['-xf', file, '-C', join(dir, 'out')]);
    expect(readFileSync(join(dir, 'out', long), 'utf8')).toBe('long name\n');
    expect(readFileSync(join(dir, 'out', 'etc/hosts2'), 'utf8')).toBe('127.0.0.1 localhost\n');
    const tool = (await readAll(bytes)).find((e) => e.header.path === 'usr/bin/tool')!.header;
    expect(tool.mtime).toBe(1600000000.5);
    // Deterministic: same entries, same bytes.
    expect(
      Buffer.from(tarBuilder().file(long, 'long name\n', { uid: 5000000 }).bytes()).equals(
        Buffer.from(tarBuilder().file(long, 'long name\n', { uid: 5000000 }).bytes()),
      ),
    ).toBe(true);
  });
});

// ---- normalization ---------------------------------------------------------------------------

describe('paths', () => {
  it.each([
    ['./a/b/', 'a/b'],
    ['a//b', 'a/b'],
    ['./', ''],
    ['.', ''],
    ['a/./b', 'a/b'],
    ['.wh..wh..opq', '.wh..wh..opq'],
  ])('%s → %s', (raw, want) => expect(normalizeTarPath(raw)).toBe(want));

  it('reports the root entry as a dir with path ""', async () => {
    const entries = await readAll(tarBuilder().dir('./').file('./a', 'x').bytes());
    expect(entries.map((e) => [e.header.path, e.header.type])).toEqual([
      ['', 'dir'],
      ['a', 'file'],
    ]);
  });

  it('treats a v7 NUL-type entry with a trailing slash as a directory and reads base-256 sizes', async () => {
    let bytes = tarBuilder().file('olddir/', '').file('five', '12345').bytes();
    bytes[156] = 0;
    fixChecksum(bytes, 0);
    // size 5 as GNU base-256: 0x80 then big-endian bytes
    const b256 = new Uint8Array(12);
    b256[0] = 0x80;
    b256[11] = 5;
    bytes = patch(bytes, BLOCK, F.size, b256);
    const entries = await readAll(bytes);
    expect(entries.map((e) => [e.header.path, e.header.type, e.header.size])).toEqual([
      ['olddir', 'dir', 0],
      ['five', 'file', 5],
    ]);
    expect(new TextDecoder().decode(entries[1]!.data)).toBe('12345');
  });

  it('accepts a signed-sum checksum', async () => {
    const bytes = tarBuilder().file('é', 'x').bytes(); // PAX + a header with a byte > 127 in name
    const at = BLOCK * 2; // PAX header, its records, then the ustar header
    bytes[at] = 0xc3; // a high byte in the (overridden) name field makes the two sums differ
    bytes[at + 1] = 0xa9;
    let sum = 0;
    let unsigned = 0;
    bytes.fill(0x20, at + 148, at + 156);
    for (let i = 0; i < BLOCK; i++) unsigned += bytes[at + i]!;
    for (let i = 0; i < BLOCK; i++) sum += bytes[at + i]! > 127 ? bytes[at + i]! - 256 : bytes[at + i]!;
    bytes.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), at + 148);
    expect(sum).not.toBe(unsigned);
    expect((await readAll(bytes)).map((e) => e.header.path)).toEqual(['é']);
  });
});

// ---- hostile archives ------------------------------------------------------------------------

describe('hostile archives are refused with a code', () => {
  const ok = tarBuilder().file('a', 'x'.repeat(1000)).bytes();
  const cases: [string, () => Uint8Array, string, string?, TarReadOptions?][] = [
    ['.. path', () => tarBuilder().file('../x', 'x').bytes(), 'TAR_PATH_ESCAPE', '../x'],
    ['.. inside a path', () => tarBuilder().file('a/../../etc/x', 'x').bytes(), 'TAR_PATH_ESCAPE', 'a/../../etc/x'],
    ['absolute path', () => tarBuilder().file('/etc/passwd', 'x').bytes(), 'TAR_PATH_ESCAPE', '/etc/passwd'],
    ['hard link to ../x', () => tarBuilder().file('a', 'x').link('b', '../x').bytes(), 'TAR_PATH_ESCAPE', '../x'],
    [
      'hard link to an absolute path',
      () => tarBuilder().link('b', '/etc/shadow').bytes(),
      'TAR_PATH_ESCAPE',
      '/etc/shadow',
    ],
    [
      'PAX path with ..',
      () => new Uint8Array([...paxHeader('16 path=../../x\n'), ...tarBuilder().file('ok', 'x').bytes()]),
      'TAR_PATH_ESCAPE',
      '../../x',
    ],
    [
      'GNU long name with ..',
      () => new Uint8Array([...gnuLong('L', `../${'q'.repeat(200)}`), ...tarBuilder().file('ok', 'x').bytes()]),
      'TAR_PATH_ESCAPE',
      '../qqq',
    ],
    [
      'GNU long link to ..',
      () => new Uint8Array([...gnuLong('K', '../../etc/shadow'), ...tarBuilder().link('ok', 'x').bytes()]),
      'TAR_PATH_ESCAPE',
      '../../etc/shadow',
    ],
    [
      'bad checksum',
      () => {
        const b = ok.slice();
        b[0] = 0x62;
        return b;
      },
      'TAR_BAD_CHECKSUM',
    ],
    ['truncated in a header', () => ok.slice(0, 300), 'TAR_TRUNCATED'],
    ['truncated in a body', () => ok.slice(0, BLOCK + 500), 'TAR_TRUNCATED', 'a'],
    ['truncated after an extension header', () => gnuLong('L', 'name'), 'TAR_TRUNCATED'],
    ['oversized PAX header', () => paxHeader('', 2 << 20), 'TAR_LIMIT', '2097152'],
    [
      'oversized global PAX headers',
      () => {
        const g = paxHeader(`${'1000'} a=${'v'.repeat(992)}\n`);
        g[156] = 0x67;
        fixChecksum(g, 0);
        return new Uint8Array([...g, ...ok]);
      },
      'TAR_LIMIT',
      undefined,
      { maxPaxSize: 512 },
    ],
    ['huge long-name record', () => gnuLong('L', '', 1 << 20), 'TAR_LIMIT', '1048576'],
    [
      'negative size (base-256)',
      () => patch(ok, 0, F.size, new Uint8Array(12).fill(0xff)),
      'TAR_BAD_HEADER',
      'negative size',
    ],
    ['garbage size', () => patch(ok, 0, F.size, '00000001x00\0'), 'TAR_BAD_HEADER', 'size'],
    [
      'size above 2^53 (base-256)',
      () => patch(ok, 0, F.size, new Uint8Array([0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
      'TAR_LIMIT',
      '2^53',
    ],
    [
      'PAX size above 2^53',
      () => new Uint8Array([...paxHeader('29 size=99999999999999999999\n'), ...ok]),
      'TAR_BAD_HEADER',
      'size',
    ],
    ['malformed PAX record', () => new Uint8Array([...paxHeader('99 path=x\n'), ...ok]), 'TAR_BAD_HEADER', 'PAX'],
    ['PAX record without a key', () => new Uint8Array([...paxHeader('8 =abcd\n'), ...ok]), 'TAR_BAD_HEADER', 'PAX'],
    [
      'GNU sparse file',
      () => {
        const b = ok.slice();
        b[156] = 0x53;
        fixChecksum(b, 0);
        return b;
      },
      'TAR_UNSUPPORTED',
      'sparse',
    ],
    [
      'PAX sparse file',
      () => new Uint8Array([...paxHeader('22 GNU.sparse.major=1\n'), ...ok]),
      'TAR_UNSUPPORTED',
      'sparse',
    ],
    [
      'unknown entry type',
      () => {
        const b = ok.slice();
        b[156] = 0x51;
        fixChecksum(b, 0);
        return b;
      },
      'TAR_UNSUPPORTED',
      '"Q"',
    ],
    [
      'zero block then a header',
      () => new Uint8Array([...new Uint8Array(BLOCK), ...ok]),
      'TAR_BAD_HEADER',
      'zero block',
    ],
    ['NUL in a PAX path', () => new Uint8Array([...paxHeader('12 path=a\0b\n'), ...ok]), 'TAR_BAD_HEADER', 'NUL'],
    [
      'too many entries',
      () => tarBuilder().file('a').file('b').file('c').bytes(),
      'TAR_LIMIT',
      'more than 2',
      { maxEntries: 2 },
    ],
    ['file with an empty name', () => tarBuilder().file('', 'x').bytes(), 'TAR_BAD_HEADER', 'empty path'],
  ];
  it.each(cases)('%s', async (_name, make, code, inMessage, opts) => {
    const bytes = make();
    for (const chunk of [4096, 1]) {
      for (const scan of [false, true]) {
        const err = await codeOf(bytes, opts, chunk, scan);
        expect(err.code, scan ? 'scanTar' : 'readTar').toBe(code);
        if (inMessage) expect(err.message).toContain(inMessage);
      }
    }
  });

  it('TarError survives structured clone through toJSON', async () => {
    try {
      await readAll(tarBuilder().file('../x').bytes());
      throw new Error('unreachable');
    } catch (e) {
      const clone = structuredClone((e as TarError).toJSON());
      expect(clone).toEqual({
        name: 'TarError',
        code: 'TAR_PATH_ESCAPE',
        message: 'path escapes the root: ../x',
        path: '../x',
      });
      const back = TarError.from(clone);
      expect(back).toBeInstanceOf(TarError);
      expect(back.code).toBe('TAR_PATH_ESCAPE');
    }
  });
});

describe('source handling', () => {
  it('cancels the source stream when the consumer stops early', async () => {
    let cancelled = false;
    const bytes = tarBuilder().file('a', 'x').file('b', 'y').bytes();
    const rs = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes);
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const e of readTar(rs)) {
      expect(e.header.path).toBe('a');
      break;
    }
    expect(cancelled).toBe(true);
  });

  it('scanTar cancels the source on an error, and leaves what follows the end-of-archive', async () => {
    let cancelled = false;
    const bad = tarBuilder().file('a', 'x').file('../b', 'y').bytes();
    const rs = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bad); // never closed: only a cancel ends it
      },
      cancel() {
        cancelled = true;
      },
    });
    const seen: string[] = [];
    await expect(scanTar(rs, {}, (e) => seen.push(e.path))).rejects.toMatchObject({ code: 'TAR_PATH_ESCAPE' });
    expect(seen).toEqual(['a']);
    expect(cancelled).toBe(true);

    const good = tarBuilder().file('a', 'x').bytes();
    const trailer = new Uint8Array(1000).fill(7); // longer than the chunk the reader holds
    const it = chunked(new Uint8Array([...good, ...trailer]), 100);
    const names: string[] = [];
    await scanTar({ [Symbol.asyncIterator]: () => ({ next: () => it.next() }) }, {}, (e) => names.push(e.path));
    expect(names).toEqual(['a']);
    // The rest is the caller's (ingest hashes it into the diff_id).
    let rest = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) rest += r.value.length;
    expect(rest).toBeGreaterThan(0);
  });
});
