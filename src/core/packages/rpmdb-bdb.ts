/**
 * rpm's BerkeleyDB backend (`/var/lib/rpm/Packages`, RHEL/UBI 8 and older): a Berkeley DB hash
 * database whose values are rpm header blobs keyed by header number. Read the way rpm's own
 * read-only backend (lib/backend/bdb_ro.c) does: walk the file's hash pages in order, take each
 * key/value pair, follow overflow-page chains for values stored off-page. Byte order is the
 * writer's: the metadata page's magic tells which.
 *
 * Page layout (Berkeley DB's db_page.h): a 26-byte header (lsn 8, pgno 4, prev 4, next 4,
 * entries 2, hf_offset 2, level 1, type 1), then `entries` 2-byte item offsets; a hash item is
 * a type byte (1 H_KEYDATA: bytes up to the previous item; 3 H_OFFPAGE: pgno and total length
 * of an overflow chain). Overflow pages hold `hf_offset` bytes after their header.
 */
import { parseRpmHeader } from './rpm-header.ts';
import { MAX_PACKAGES, PackageDbError, type Package } from './types.ts';

const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HEADER = 26;
const MAX_VALUE = 64 << 20;

export function readRpmBdb(bytes: Uint8Array, file: string): Package[] {
  const fail = (m: string): never => {
    throw new PackageDbError('PKGDB_MALFORMED', file, m);
  };
  if (bytes.length < 512) fail(`${bytes.length} bytes is too short for a Berkeley DB file`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (dv.getUint32(12, true) === HASH_MAGIC) le = true;
  else if (dv.getUint32(12, false) === HASH_MAGIC) le = false;
  else return fail('not a Berkeley DB hash database (bad magic)');
  const u16 = (at: number) => dv.getUint16(at, le);
  const u32 = (at: number) => dv.getUint32(at, le);
  if (bytes[25] !== P_HASHMETA) fail(`page 0 is not a hash metadata page (type ${bytes[25]})`);
  if (bytes[24] !== 0) fail('encrypted databases are not supported');
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    fail(`page size ${pageSize} is not a power of two between 512 and 65536`);
  const pages = Math.floor(bytes.length / pageSize);

  const overflow = (first: number, total: number): Uint8Array => {
    if (total > MAX_VALUE) fail(`a value of ${total} bytes exceeds the limit of ${MAX_VALUE}`);
    const out = new Uint8Array(total);
    let got = 0;
    let pg = first;
    const seen = new Set<number>();
    while (got < total) {
      if (pg === 0 || pg >= pages) fail(`overflow page ${pg} is outside the file (${pages} pages)`);
      if (seen.has(pg)) fail(`overflow page ${pg} is reached twice`);
      seen.add(pg);
      const at = pg * pageSize;
      if (bytes[at + 25] !== P_OVERFLOW) fail(`page ${pg} is not an overflow page`);
      const len = u16(at + 22);
      if (len > pageSize - PAGE_HEADER || len > total - got)
        fail(`overflow page ${pg} holds ${len} bytes, more than fit`);
      out.set(bytes.subarray(at + PAGE_HEADER, at + PAGE_HEADER + len), got);
      got += len;
      pg = u32(at + 16);
    }
    return out;
  };

  const out: Package[] = [];
  for (let pg = 1; pg < pages; pg++) {
    const at = pg * pageSize;
    const type = bytes[at + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const n = u16(at + 20);
    if (PAGE_HEADER + 2 * n > pageSize) fail(`page ${pg}: ${n} entries do not fit`);
    const item = (i: number) => {
      const off = u16(at + PAGE_HEADER + 2 * i);
      // Items are packed from the end of the page down: each ends where the previous begins.
      const end = i === 0 ? pageSize : u16(at + PAGE_HEADER + 2 * (i - 1));
      if (off < PAGE_HEADER + 2 * n || off >= end || end > pageSize)
        fail(`page ${pg}: item ${i} at ${off} is outside the page`);
      return { start: at + off, end: at + end };
    };
    for (let i = 0; i + 1 < n; i += 2) {
      const k = item(i);
      const v = item(i + 1);
      if (bytes[k.start] !== H_KEYDATA) continue;
      const key = bytes.subarray(k.start + 1, k.end);
      // Key 0 holds rpm's next-header-number counter, not a package.
      if (key.length === 4 && new DataView(key.buffer, key.byteOffset, 4).getUint32(0, le) === 0) continue;
      let value: Uint8Array;
      if (bytes[v.start] === H_OFFPAGE) {
        if (v.end - v.start < 12) fail(`page ${pg}: off-page item ${i + 1} is truncated`);
        value = overflow(u32(v.start + 4), u32(v.start + 8));
      } else if (bytes[v.start] === H_KEYDATA) value = bytes.subarray(v.start + 1, v.end);
      else continue;
      if (out.length >= MAX_PACKAGES)
        throw new PackageDbError('PKGDB_TOO_LARGE', file, `more than ${MAX_PACKAGES} packages`);
      const p = parseRpmHeader(value, file, `page ${pg} item ${i + 1}`);
      if (p) out.push(p);
    }
  }
  return out;
}
