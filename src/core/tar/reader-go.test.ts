/**
 * The tar reader on Go's own archive/tar test archives (tests/fixtures/go-archive-tar, see its
 * README). Expected values are Go's: `src/archive/tar/reader_test.go`, `TestReader` and
 * `TestReadTruncation`; GNU tar's listing where noted (`tar -tvf` here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeName, displayName, encodeName } from './names.ts';
import { readTar, scanTar, type TarHeader } from './reader.ts';
import { tarBuilder } from './builder.ts';
import { tarStream } from './writer.ts';
import { decodeLayerIndex, encodeLayerIndex, type LayerEntry } from '../layer/entry.ts';

const dir = join(import.meta.dirname, '../../../tests/fixtures/go-archive-tar');
const fixture = (n: string) => new Uint8Array(readFileSync(join(dir, n)));
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function headers(bytes: Uint8Array, chunk = 4096): Promise<{ header: TarHeader; data: Uint8Array }[]> {
  const out: { header: TarHeader; data: Uint8Array }[] = [];
  for await (const e of readTar(chunked(bytes, chunk))) out.push({ header: e.header, data: await e.bytes() });
  return out;
}

async function scanned(bytes: Uint8Array): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  await scanTar(chunked(bytes, 1000), {}, (e) => out.push(e));
  return out;
}

describe("Go's test archives", () => {
  it('pax-multi-hdrs.tar: of two consecutive PAX headers the last one wins', async () => {
    // Go: Name "bar", Linkname "PAX4/PAX4/long-linkpath-name", Typeflag '2'.
    const [e, ...rest] = await headers(fixture('pax-multi-hdrs.tar'));
    expect(rest).toHaveLength(0);
    expect(e!.header).toMatchObject({ path: 'bar', type: 'symlink', linkname: 'PAX4/PAX4/long-linkpath-name' });
  });

  it('pax-global-records.tar: global records change no entry', async () => {
    // Go lists the `g` headers as entries of their own (Docker ignores them); the files are
    // file1 (mtime 0), file2, file3 (mtime 0), file4 (mtime 1400000000).
    const got = (await headers(fixture('pax-global-records.tar'))).map((e) => [e.header.path, e.header.mtime]);
    expect(got).toEqual([
      ['file1', 0],
      ['file2', 0],
      ['file3', 0],
      ['file4', 1400000000],
    ]);
  });

  it('pax-pos-size-file.tar: numeric PAX values may have leading zeros', async () => {
    // Go: Name "foo", Mode 0640, Uid 319973, Gid 5000, Size 999, ModTime 1442282516,
    // Uname "joetsai", Gname "eng"; PAX size "000000000000000000000999".
    const [e] = await headers(fixture('pax-pos-size-file.tar'));
    expect(e!.header).toMatchObject({
      path: 'foo',
      mode: 0o640,
      uid: 319973,
      gid: 5000,
      size: 999,
      mtime: 1442282516,
      uname: 'joetsai',
      gname: 'eng',
    });
    expect(e!.data.length).toBe(999);
  });

  it('gnu-not-utf8.tar: a non-UTF-8 name keeps its bytes', async () => {
    // Go: Name "hi\x80\x81\x82\x83bye"; GNU tar lists it as hi\200\201\202\203bye.
    const [e] = await headers(fixture('gnu-not-utf8.tar'));
    expect(encodeName(e!.header.path)).toEqual(latin1('hi\x80\x81\x82\x83bye'));
    expect(displayName(e!.header.path)).toBe('hi\\200\\201\\202\\203bye');
    expect(e!.header).toMatchObject({ uname: 'rawr', gname: 'dsnet', uid: 1000, gid: 1000, mode: 0o644 });
  });

  it('gnu-utf8.tar: UTF-8 names are plain strings', async () => {
    // Go: Name "☺☻☹" repeated 18 times, Uname "☺", Gname "⚹".
    const [e] = await headers(fixture('gnu-utf8.tar'));
    expect(e!.header).toMatchObject({ path: '☺☻☹'.repeat(18), uname: '☺', gname: '⚹' });
    expect(displayName(e!.header.path)).toBe(e!.header.path);
  });

  it('invalid-go17.tar: a pre-Go 1.8 GNU header keeps its USTAR prefix', async () => {
    // Go: Name "aaa…a/foo" (a ×97), Uid 010000000, Typeflag '0'. (GNU tar lists only "foo".)
    const [e] = await headers(fixture('invalid-go17.tar'));
    expect(e!.header).toMatchObject({ path: `${'a'.repeat(97)}/foo`, uid: 0o10000000, type: 'file' });
    expect((await scanned(fixture('invalid-go17.tar')))[0]!.path).toBe(`${'a'.repeat(97)}/foo`);
  });

  it('star.tar: star headers are read as Go reads them', async () => {
    // Go: small.txt (5 bytes) and small2.txt (11 bytes), Uid 73025, Gid 5000, Uname "dsymonds".
    const got = await headers(fixture('star.tar'));
    expect(got.map((e) => [e.header.path, e.header.size, e.header.uid, e.header.uname])).toEqual([
      ['small.txt', 5, 73025, 'dsymonds'],
      ['small2.txt', 11, 73025, 'dsymonds'],
    ]);
  });

  it('xattrs.tar: xattr values keep their bytes (a trailing NUL included)', async () => {
    // Go: Xattrs {"user.key": "value", "user.key2": "value2",
    //             "security.selinux": "unconfined_u:object_r:default_t:s0\x00"}.
    const [e] = await headers(fixture('xattrs.tar'));
    expect(e!.header.xattrs).toEqual({
      'user.key': 'value',
      'user.key2': 'value2',
      'security.selinux': 'unconfined_u:object_r:default_t:s0\x00',
    });
    expect(e!.header.mtime).toBeCloseTo(1386065770.448252, 6);
  });
});

describe('where an archive may end (Go TestReadTruncation on ustar-file-reg.tar)', () => {
  // Go pads data2 with 10 zero blocks; its one entry has its data at 512..1196 (684 bytes),
  // padding to 1536.
  const whole = fixture('ustar-file-reg.tar');
  const data2 = new Uint8Array(whole.length + 10 * 512);
  data2.set(whole);
  const ends: [number, 'EOF' | 'unexpected'][] = [
    [511, 'unexpected'],
    [512, 'unexpected'],
    [1195, 'unexpected'],
    [1196, 'EOF'], // exact end of data and start of padding
    [1200, 'EOF'],
    [1535, 'EOF'],
    [1536, 'EOF'], // exact end of padding
    [2048, 'EOF'], // exactly one empty block
    [2560, 'EOF'],
  ];
  for (const [n, want] of ends) {
    it(`data2[:${n}] → ${want}`, async () => {
      const input = data2.slice(0, n);
      if (want === 'EOF') {
        const got = await headers(input, 100);
        expect(got).toHaveLength(1);
        expect(got[0]!.data.length).toBe(684);
        expect(await scanned(input)).toHaveLength(1);
      } else {
        await expect(headers(input)).rejects.toMatchObject({ code: 'TAR_TRUNCATED' });
        await expect(scanned(input)).rejects.toMatchObject({ code: 'TAR_TRUNCATED' });
      }
    });
  }

  it('a body cut short says so', async () => {
    await expect(headers(data2.slice(0, 1195))).rejects.toThrow(/archive ends inside the body of /);
  });

  it('a layer ending right after the last data is read to the end (readTar, scanTar, skip)', async () => {
    const t = tarBuilder().file('a', 'x'.repeat(10)).file('b', 'y'.repeat(700)).bytes({ end: false });
    const cut = t.slice(0, t.length - (1024 - 700)); // no padding after b, no end marker
    expect((await scanned(cut)).map((e) => e.path)).toEqual(['a', 'b']);
    const paths: string[] = [];
    for await (const e of readTar(chunked(cut, 7))) {
      paths.push(e.header.path);
      await e.skip();
    }
    expect(paths).toEqual(['a', 'b']);
  });
});

describe('non-UTF-8 names', () => {
  it('decode losslessly, and two different byte names stay two paths', () => {
    const a = decodeName(latin1('caf\xe9'));
    const b = decodeName(latin1('caf\xe8'));
    expect(a).not.toBe(b);
    expect(encodeName(a)).toEqual(latin1('caf\xe9'));
    // Valid UTF-8 decodes as usual; an invalid sequence inside valid text escapes byte by byte.
    expect(decodeName(new TextEncoder().encode('café'))).toBe('café');
    const mixed = new Uint8Array([0x61, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80, 0xff]);
    expect(encodeName(decodeName(mixed))).toEqual(mixed);
    expect(displayName(decodeName(mixed))).toBe('aé\\355\\240\\200😀\\377');
  });

  it('round-trip through the writer with their original bytes (GNU tar lists the bytes)', async () => {
    const [src] = await headers(fixture('gnu-not-utf8.tar'));
    const name = src!.header.path;
    const out = new Uint8Array(
      await new Response(
        tarStream([
          { path: name, body: new Uint8Array([1]) },
          { path: 'l', type: 'symlink', linkname: name },
        ]),
      ).arrayBuffer(),
    );
    const back = await headers(out);
    expect(back.map((e) => e.header.path)).toEqual([name, 'l']);
    expect(back[1]!.header.linkname).toBe(name);
    // The raw bytes are in the archive.
    expect(Buffer.from(out).includes(Buffer.from(latin1('hi\x80\x81\x82\x83bye')))).toBe(true);
  });

  it('binary xattr values and non-UTF-8 names survive the writer, the reader and the stored index', async () => {
    const name = decodeName(latin1('dir/n\xff\xfe'));
    const value = decodeName(new Uint8Array([0x01, 0x00, 0x00, 0x02, 0xc3, 0x28, 0x80, 0xff]));
    const out = new Uint8Array(
      await new Response(
        tarStream([{ path: name, body: new Uint8Array(0), xattrs: { 'security.capability': value } }]),
      ).arrayBuffer(),
    );
    const [e] = await headers(out);
    expect(e!.header.path).toBe(name);
    expect(encodeName(e!.header.xattrs!['security.capability']!)).toEqual(
      new Uint8Array([0x01, 0x00, 0x00, 0x02, 0xc3, 0x28, 0x80, 0xff]),
    );
    const back = decodeLayerIndex(structuredClone(encodeLayerIndex([e!.header])))[0]!;
    expect(back.path).toBe(name);
    expect(back.xattrs).toEqual(e!.header.xattrs);
    // Two names differing only in an invalid byte stay two paths.
    expect(decodeName(latin1('n\xff'))).not.toBe(decodeName(latin1('n\xfe')));
  });

  it('display escapes controls, backslashes, bidi and zero-width characters', () => {
    // GNU tar (escape quoting style) lists `x<TAB>b<0x01>c\d` as x\tb\001c\\d.
    expect(displayName('x\tb\x01c\\d')).toBe('x\\tb\\001c\\\\d');
    expect(displayName('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe');
    expect(displayName('a\u200bb')).toBe('a\\u200bb');
    expect(displayName('plain/名前.txt')).toBe('plain/名前.txt');
  });
});
