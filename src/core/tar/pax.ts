/**
 * PAX extended header records (POSIX.1-2017 pax, "pax Extended Header"), read the way Go's
 * archive/tar reads them, which is what Docker and containerd use.
 */
import { TarError } from './errors.ts';
import { MAX_SAFE } from './format.ts';
import { decodeName } from './names.ts';

export type Pax = Record<string, string>;

/** PAX records: "%d %s=%s\n", the length counting the whole record. Keys and values are
 * decoded losslessly (src/core/tar/names.ts): a binary xattr value keeps its bytes. */
export function parsePax(data: Uint8Array): Pax {
  const out: Pax = {};
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers NUL-pad the block
    let len = 0;
    let i = pos;
    while (i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39 && i - pos < 10)
      len = len * 10 + (data[i++]! - 0x30);
    if (
      i === pos ||
      data[i] !== 0x20 ||
      len <= i - pos + 1 ||
      pos + len > data.length ||
      data[pos + len - 1] !== 0x0a
    ) {
      throw new TarError('TAR_BAD_HEADER', `bad PAX record at byte ${pos} of the extended header`);
    }
    const rec = decodeName(data.subarray(i + 1, pos + len - 1));
    const eq = rec.indexOf('=');
    if (eq <= 0) throw new TarError('TAR_BAD_HEADER', `bad PAX record (no key): ${JSON.stringify(rec.slice(0, 80))}`);
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** Decimal digits, leading zeros allowed (Go parses these with strconv.ParseInt: its test
 * archive pax-pos-size-file.tar says `size=000000000000000000000999`). */
export function paxInt(v: string, key: string): number {
  const m = /^0*(\d{1,16})$/.exec(v);
  if (!m) throw new TarError('TAR_BAD_HEADER', `bad PAX ${key}: ${JSON.stringify(v.slice(0, 40))}`);
  const n = Number(m[1]);
  if (n > MAX_SAFE) throw new TarError('TAR_LIMIT', `PAX ${key} exceeds 2^53: ${v}`);
  return n;
}

/** Seconds, optionally negative and fractional; leading zeros allowed as in paxInt. */
export function paxTime(v: string, key: string): number {
  const m = /^(-?)0*(\d{1,16})(\.\d*)?$/.exec(v);
  if (!m) throw new TarError('TAR_BAD_HEADER', `bad PAX ${key}: ${JSON.stringify(v.slice(0, 40))}`);
  // Sub-nanosecond digits mean nothing to anyone; a long tail must not make a long number.
  return Number(`${m[1]}${m[2]}${(m[3] ?? '').slice(0, 13)}`);
}
