import { describe, expect, it } from 'vitest';
import { adler32, readRpmNdb } from './rpmdb-ndb.ts';

/* No tool here writes NDB databases (Debian's rpm is built without the ndb backend), so the
 * fixture is written the way rpm's lib/backend/ndb/rpmpkg.c writes one (rpmpkgWriteHeader,
 * rpmpkgWriteslot, rpmpkgWriteBlob), holding real-shaped rpm header blobs. */
function header(name: string, version: string, release: string, arch: string): Uint8Array {
  const strs = [
    [1000, name],
    [1001, version],
    [1002, release],
    [1022, arch],
  ] as const;
  const data: number[] = [];
  const index: number[][] = [];
  for (const [tag, v] of strs) {
    index.push([tag, 6, data.length, 1]);
    data.push(...new TextEncoder().encode(v), 0);
  }
  const out = new Uint8Array(8 + 16 * index.length + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, index.length);
  dv.setUint32(4, data.length);
  index.forEach((e, i) => e.forEach((x, j) => dv.setUint32(8 + 16 * i + 4 * j, x)));
  out.set(data, 8 + 16 * index.length);
  return out;
}

const le = (dv: DataView, at: number, v: number) => dv.setUint32(at, v, true);
const magic = (s: string) =>
  (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;

function ndb(blobs: Uint8Array[]): Uint8Array {
  const blks = blobs.map((b) => Math.ceil((16 + b.length + 12) / 16));
  const size = 4096 + blks.reduce((a, n) => a + n * 16, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  le(dv, 0, magic('RpmP'));
  le(dv, 4, 0);
  le(dv, 8, 7); // generation
  le(dv, 12, 1); // slot pages
  le(dv, 16, blobs.length + 1);
  for (let o = 32; o < 4096; o += 16) le(dv, o, magic('Slot'));
  let blk = 4096 / 16;
  blobs.forEach((b, i) => {
    const slot = 32 + 16 * i;
    le(dv, slot + 4, i + 1);
    le(dv, slot + 8, blk);
    le(dv, slot + 12, blks[i]!);
    const at = blk * 16;
    le(dv, at, magic('BlbS'));
    le(dv, at + 4, i + 1);
    le(dv, at + 8, 1_700_000_000);
    le(dv, at + 12, b.length);
    out.set(b, at + 16);
    const tail = at + blks[i]! * 16 - 12;
    le(dv, tail, adler32(out.subarray(at, tail)));
    le(dv, tail + 4, b.length);
    le(dv, tail + 8, magic('BlbE'));
    blk += blks[i]!;
  });
  return out;
}

describe('rpm NDB Packages.db', () => {
  const db = ndb([header('bash', '4.4', '150400.27.3.2', 'x86_64'), header('filesystem', '15.0', '11.8.1', 'noarch')]);

  it('lists each slot’s package', () => {
    expect(readRpmNdb(db, '/usr/lib/sysimage/rpm/Packages.db').map((p) => `${p.name} ${p.version} ${p.arch}`)).toEqual([
      'bash 4.4-150400.27.3.2 x86_64',
      'filesystem 15.0-11.8.1 noarch',
    ]);
  });

  it('computes Adler-32 as RFC 1950 does', () => {
    // The value zlib's adler32 gives (python3 -c "import zlib; print(hex(zlib.adler32(b'Wikipedia')))").
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
  });

  it.each<[string, (b: Uint8Array, dv: DataView) => void, RegExp]>([
    ['a bad file magic', (_, dv) => le(dv, 0, 0), /not an rpm NDB database/],
    ['slot pages beyond the file', (_, dv) => le(dv, 12, 1000), /1000 slot pages do not fit/],
    ['a slot pointing past the end', (_, dv) => le(dv, 32 + 8, 1_000_000), /outside the data area/],
    ['a slot pointing into the slot page', (_, dv) => le(dv, 32 + 8, 3), /outside the data area/],
    ['a corrupted blob', (b) => (b[4096 + 40] = b[4096 + 40]! ^ 0xff), /package 1: checksum mismatch/],
    ['a blob of another package', (_, dv) => le(dv, 4096 + 4, 9), /belongs to package 9/],
  ])('refuses %s naming the file', (_, spoil, re) => {
    const b = Uint8Array.from(db);
    spoil(b, new DataView(b.buffer));
    expect(() => readRpmNdb(b, '/usr/lib/sysimage/rpm/Packages.db')).toThrow(re);
    expect(() => readRpmNdb(b, '/usr/lib/sysimage/rpm/Packages.db')).toThrow(
      /^\/usr\/lib\/sysimage\/rpm\/Packages.db: /,
    );
  });
});
