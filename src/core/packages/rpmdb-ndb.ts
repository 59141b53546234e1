/**
 * rpm's NDB backend (`Packages.db`, SUSE), as rpm's lib/backend/ndb/rpmpkg.c lays it out, all
 * integers little-endian: a 32-byte header (magic "RpmP", version 0, generation, number of
 * 4096-byte slot pages, next package index), then 16-byte slots filling the slot pages (magic
 * "Slot", package index, offset and length in 16-byte blocks; offset 0 = free). Each package's
 * blob: a head (magic "BlbS", package index, timestamp, length), the rpm header, and a tail
 * (adler32 of head and header, length, magic "BlbE") at the end of its blocks.
 */
import { parseRpmHeader } from './rpm-header.ts';
import { MAX_PACKAGES, PackageDbError, type Package } from './types.ts';

const magic = (s: string) =>
  s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
const PKGDB_MAGIC = magic('RpmP') >>> 0;
const SLOT_MAGIC = magic('Slot') >>> 0;
const BLOBHEAD_MAGIC = magic('BlbS') >>> 0;
const BLOBTAIL_MAGIC = magic('BlbE') >>> 0;
const PAGE = 4096;
const BLK = 16;
const HEAD = 16;
const TAIL = 12;

/** Adler-32 (RFC 1950), what the blob tail checks. */
export function adler32(bytes: Uint8Array, start = 1): number {
  let a = start & 0xffff;
  let b = (start >>> 16) & 0xffff;
  for (let i = 0; i < bytes.length;) {
    const end = Math.min(bytes.length, i + 5552);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export function readRpmNdb(bytes: Uint8Array, file: string): Package[] {
  const fail = (m: string): never => {
    throw new PackageDbError('PKGDB_MALFORMED', file, m);
  };
  if (bytes.length < PAGE) fail(`${bytes.length} bytes is too short for an NDB database`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => dv.getUint32(at, true);
  if (u32(0) !== PKGDB_MAGIC) fail('not an rpm NDB database (bad magic)');
  if (u32(4) !== 0) fail(`NDB version ${u32(4)} is not supported`);
  if (bytes.length % BLK !== 0) fail(`file size ${bytes.length} is not a multiple of ${BLK}`);
  const slotPages = u32(12);
  if (slotPages < 1 || slotPages * PAGE > bytes.length) fail(`${slotPages} slot pages do not fit in the file`);
  const fileBlks = bytes.length / BLK;
  const minBlk = (slotPages * PAGE) / BLK;
  const out: Package[] = [];
  for (let o = 32; o < slotPages * PAGE; o += 16) {
    if (u32(o) !== SLOT_MAGIC) fail(`slot at byte ${o} has a bad magic`);
    const pkgidx = u32(o + 4);
    const blkoff = u32(o + 8);
    const blkcnt = u32(o + 12);
    if (blkoff === 0) continue;
    const what = `package ${pkgidx}`;
    if (!pkgidx || blkoff < minBlk || blkcnt * BLK < HEAD + TAIL || blkoff + blkcnt > fileBlks)
      fail(`${what}: blocks ${blkoff}+${blkcnt} are outside the data area of ${fileBlks} blocks`);
    const at = blkoff * BLK;
    if (u32(at) !== BLOBHEAD_MAGIC) fail(`${what}: bad blob head magic`);
    if (u32(at + 4) !== pkgidx) fail(`${what}: the blob belongs to package ${u32(at + 4)}`);
    const len = u32(at + 12);
    if (Math.ceil((HEAD + len + TAIL) / BLK) !== blkcnt)
      fail(`${what}: a blob of ${len} bytes does not fill ${blkcnt} blocks`);
    const tail = at + blkcnt * BLK - TAIL;
    if (u32(tail + 8) !== BLOBTAIL_MAGIC || u32(tail + 4) !== len) fail(`${what}: bad blob tail`);
    const blob = bytes.subarray(at + HEAD, at + HEAD + len);
    // The checksum covers the head, the blob and the zero padding up to the tail.
    if (adler32(bytes.subarray(at, tail)) !== u32(tail)) fail(`${what}: checksum mismatch`);
    if (out.length >= MAX_PACKAGES)
      throw new PackageDbError('PKGDB_TOO_LARGE', file, `more than ${MAX_PACKAGES} packages`);
    const p = parseRpmHeader(blob, file, what);
    if (p) out.push(p);
  }
  return out;
}
