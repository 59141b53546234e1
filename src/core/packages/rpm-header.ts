/**
 * The rpm header blob as rpm's databases store it (no lead, no magic): a count of index
 * entries and of data bytes, the entries (tag, type, offset, count; 16 bytes, big-endian),
 * then the data store. Only the tags a package list needs are decoded.
 */
import { PackageDbError, type Package } from './types.ts';

const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SIZE: 1009,
  LICENSE: 1014,
  PACKAGER: 1015,
  VENDOR: 1011,
  ARCH: 1022,
  SOURCERPM: 1044,
  LONGSIZE: 5009,
} as const;
const T_INT32 = 4;
const T_INT64 = 5;
const T_STRING = 6;
const T_STRING_ARRAY = 8;
const T_I18NSTRING = 9;
/** rpm's own limits (lib/header_internal.h: hdrchkTags, hdrchkData). */
const MAX_TAGS = 0x10000;
const MAX_DATA = 256 << 20;

export function parseRpmHeader(blob: Uint8Array, file: string, what: string): Package | undefined {
  const fail = (m: string): never => {
    throw new PackageDbError('PKGDB_MALFORMED', file, `${what}: ${m}`);
  };
  if (blob.length < 8) fail(`header of ${blob.length} bytes is too short`);
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = dv.getUint32(0);
  const dl = dv.getUint32(4);
  if (il < 1 || il > MAX_TAGS) fail(`${il} index entries (limit ${MAX_TAGS})`);
  if (dl > MAX_DATA) fail(`data store of ${dl} bytes (limit ${MAX_DATA})`);
  const dataStart = 8 + il * 16;
  if (dataStart + dl > blob.length)
    fail(`index (${il} entries) and data (${dl} bytes) exceed the ${blob.length}-byte header`);
  const data = blob.subarray(dataStart, dataStart + dl);
  const tags = new Map<number, { type: number; offset: number; count: number }>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = dv.getUint32(at);
    const type = dv.getUint32(at + 4);
    const offset = dv.getInt32(at + 8);
    const count = dv.getUint32(at + 12);
    if (offset < 0 || offset > dl) fail(`tag ${tag}: offset ${offset} outside the data store of ${dl} bytes`);
    tags.set(tag, { type, offset, count });
  }
  const str = (tag: number): string | undefined => {
    const t = tags.get(tag);
    if (!t) return undefined;
    if (t.type !== T_STRING && t.type !== T_STRING_ARRAY && t.type !== T_I18NSTRING)
      fail(`tag ${tag} has type ${t.type}, not a string`);
    const end = data.indexOf(0, t.offset);
    if (end < 0) fail(`tag ${tag}: string is not NUL-terminated inside the data store`);
    return new TextDecoder().decode(data.subarray(t.offset, end));
  };
  const int = (tag: number): number | undefined => {
    const t = tags.get(tag);
    if (!t) return undefined;
    if (t.count < 1) fail(`tag ${tag} has no value`);
    if (t.type === T_INT32) {
      if (t.offset + 4 > dl) fail(`tag ${tag}: value runs past the data store`);
      return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(t.offset);
    }
    if (t.type === T_INT64) {
      if (t.offset + 8 > dl) fail(`tag ${tag}: value runs past the data store`);
      return Number(new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(t.offset));
    }
    return fail(`tag ${tag} has type ${t.type}, not an integer`);
  };
  const name = str(TAG.NAME);
  if (name === undefined) fail('no NAME tag');
  const version = str(TAG.VERSION) ?? fail(`package ${name} has no VERSION tag`);
  const release = str(TAG.RELEASE) ?? fail(`package ${name} has no RELEASE tag`);
  const p: Package = {
    type: 'rpm',
    name: name!,
    version: `${version}-${release}`,
    // rpm -qa prints "(none)" for a header without ARCH (gpg-pubkey); '' is "not recorded".
    arch: str(TAG.ARCH) ?? '',
  };
  const epoch = int(TAG.EPOCH);
  if (epoch !== undefined) p.epoch = epoch;
  const size = int(TAG.LONGSIZE) ?? int(TAG.SIZE);
  if (size !== undefined) p.installedSize = size;
  const license = str(TAG.LICENSE);
  if (license) p.license = license;
  const source = str(TAG.SOURCERPM);
  if (source) p.source = source;
  const supplier = str(TAG.VENDOR) ?? str(TAG.PACKAGER);
  if (supplier) p.supplier = supplier;
  return p;
}
