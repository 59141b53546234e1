/**
 * Tar header layout shared by the reader and the writer.
 * POSIX.1-2017 pax, "ustar Interchange Format"; GNU tar manual, "Basic Tar Format".
 */
import { decodeName } from './names.ts';

export const BLOCK = 512;

export const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

/** Largest size we accept: sizes and offsets are JS numbers. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Sum of header bytes with the checksum field read as spaces: unsigned and signed variants
 * (old tars summed signed chars; POSIX says unsigned; GNU tar accepts both). */
export function headerChecksums(block: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

export const utf8 = new TextEncoder();

/** A NUL-terminated (or full-width) string field, decoded losslessly (src/core/tar/names.ts).
 * Names are mostly ASCII: decoded without TextDecoder then (it dominates the per-entry cost
 * otherwise). */
export function readString(block: Uint8Array, [off, len]: readonly [number, number]): string {
  let end = off;
  const max = off + len;
  let ascii = true;
  while (end < max) {
    const b = block[end]!;
    if (b === 0) break;
    if (b > 0x7f) ascii = false;
    end++;
  }
  if (ascii) return String.fromCharCode.apply(null, block.subarray(off, end) as unknown as number[]);
  return decodeName(block.subarray(off, end));
}

/** Bytes of a name or record, decoded losslessly. */
export const decodeUtf8 = decodeName;

export function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}
