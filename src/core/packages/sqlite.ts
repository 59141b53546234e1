/**
 * A read-only reader of the SQLite database file format (sqlite.org/fileformat2.html), just
 * enough to list the rows of one table: the 100-byte header, table B-tree pages (interior
 * 0x05, leaf 0x0D), cells with varint payload sizes and rowids, payloads spilling into
 * overflow page chains, and the record format. No indexes, no WAL (rpm checkpoints its
 * write-ahead log on close), no writing.
 *
 * The file is hostile: every page number, offset, count and size is checked against the
 * file, each page is visited at most once, and B-tree depth is bounded.
 */
import { PackageDbError } from './types.ts';

const MAGIC = 'SQLite format 3\0';
const MAX_DEPTH = 64;
/** One row's payload (an rpm header is rarely above a few MB). */
export const MAX_SQLITE_PAYLOAD = 64 << 20;
export const MAX_SQLITE_BYTES = 1 << 30;

export type SqlValue = null | number | bigint | string | Uint8Array;

export interface SqlRow {
  rowid: number;
  values: SqlValue[];
}

export class SqliteFile {
  readonly pageSize: number;
  readonly usable: number;
  readonly pageCount: number;
  #dv: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    if (bytes.length > MAX_SQLITE_BYTES)
      this.fail(`database of ${bytes.length} bytes exceeds the limit of ${MAX_SQLITE_BYTES}`, 'PKGDB_TOO_LARGE');
    if (bytes.length < 100 || new TextDecoder().decode(bytes.subarray(0, 16)) !== MAGIC)
      this.fail('not an SQLite 3 database (bad header)');
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const ps = this.#dv.getUint16(16);
    this.pageSize = ps === 1 ? 65536 : ps;
    if (this.pageSize < 512 || this.pageSize > 65536 || (this.pageSize & (this.pageSize - 1)) !== 0)
      this.fail(`page size ${ps} is not a power of two between 512 and 65536`);
    const reserved = bytes[20]!;
    this.usable = this.pageSize - reserved;
    if (this.usable < 480) this.fail(`usable page size ${this.usable} is below 480`);
    if (bytes.length % this.pageSize !== 0)
      this.fail(`file size ${bytes.length} is not a multiple of the page size ${this.pageSize}`);
    this.pageCount = bytes.length / this.pageSize;
  }

  fail(message: string, code: 'PKGDB_MALFORMED' | 'PKGDB_TOO_LARGE' = 'PKGDB_MALFORMED'): never {
    throw new PackageDbError(code, this.file, message);
  }

  #pageStart(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > this.pageCount)
      this.fail(`page number ${n} is outside the file (${this.pageCount} pages)`);
    return (n - 1) * this.pageSize;
  }

  /** A varint at `at` (1–9 bytes, big-endian 7-bit groups, the ninth byte whole). */
  #varint(at: number, end: number): [value: number, next: number] {
    let v = 0n;
    for (let i = 0; i < 9; i++) {
      if (at + i >= end) this.fail(`varint at byte ${at} runs past its page`);
      const b = this.bytes[at + i]!;
      if (i === 8) {
        v = (v << 8n) | BigInt(b);
        return [Number(BigInt.asIntN(64, v)), at + 9];
      }
      v = (v << 7n) | BigInt(b & 0x7f);
      if (b < 0x80) return [Number(BigInt.asIntN(64, v)), at + i + 1];
    }
    return this.fail('unreachable');
  }

  /** Every row of the table B-tree rooted at `root`, in rowid order. */
  *rows(root: number): Generator<SqlRow> {
    const seen = new Set<number>();
    const walk = function* (this: SqliteFile, page: number, depth: number): Generator<SqlRow> {
      if (depth > MAX_DEPTH) this.fail(`B-tree deeper than ${MAX_DEPTH} levels`);
      if (seen.has(page)) this.fail(`page ${page} is reached twice (a cycle in the B-tree)`);
      seen.add(page);
      const start = this.#pageStart(page);
      const h = start + (page === 1 ? 100 : 0);
      const end = start + this.usable;
      const type = this.bytes[h];
      const cells = this.#dv.getUint16(h + 3);
      const ptrs = h + (type === 0x05 ? 12 : 8);
      if (ptrs + 2 * cells > end) this.fail(`page ${page}: ${cells} cell pointers do not fit in the page`);
      const cellAt = (i: number) => {
        const off = this.#dv.getUint16(ptrs + 2 * i);
        if (off < ptrs - start + 2 * cells || start + off >= end)
          this.fail(`page ${page}: cell ${i} offset ${off} is outside the cell area`);
        return start + off;
      };
      if (type === 0x05) {
        for (let i = 0; i < cells; i++) yield* walk.call(this, this.#dv.getUint32(cellAt(i)), depth + 1);
        yield* walk.call(this, this.#dv.getUint32(h + 8), depth + 1);
      } else if (type === 0x0d) {
        for (let i = 0; i < cells; i++) {
          const c = cellAt(i);
          const [size, a] = this.#varint(c, end);
          const [rowid, b] = this.#varint(a, end);
          yield { rowid, values: this.#record(this.#payload(page, b, size, end, seen)) };
        }
      } else {
        this.fail(`page ${page} is not a table B-tree page (type 0x${(type ?? 0).toString(16)})`);
      }
    };
    yield* walk.call(this, root, 0);
  }

  /** A cell's payload: the local part, then the overflow chain (fileformat2 §1.6). */
  #payload(page: number, at: number, size: number, end: number, seen: Set<number>): Uint8Array {
    if (size < 0 || size > MAX_SQLITE_PAYLOAD)
      this.fail(`page ${page}: payload of ${size} bytes exceeds the limit of ${MAX_SQLITE_PAYLOAD}`, 'PKGDB_TOO_LARGE');
    const U = this.usable;
    const X = U - 35;
    let local = size;
    if (size > X) {
      const M = Math.floor(((U - 12) * 32) / 255) - 23;
      const K = M + ((size - M) % (U - 4));
      local = K <= X ? K : M;
    }
    if (at + local > end) this.fail(`page ${page}: a cell's payload runs past the page`);
    if (local === size) return this.bytes.subarray(at, at + size);
    const out = new Uint8Array(size);
    out.set(this.bytes.subarray(at, at + local));
    if (at + local + 4 > end) this.fail(`page ${page}: overflow pointer runs past the page`);
    let next = this.#dv.getUint32(at + local);
    let got = local;
    while (got < size) {
      if (next === 0) this.fail(`page ${page}: overflow chain ends after ${got} of ${size} bytes`);
      if (seen.has(next)) this.fail(`overflow page ${next} is reached twice`);
      seen.add(next);
      const s = this.#pageStart(next);
      const take = Math.min(U - 4, size - got);
      out.set(this.bytes.subarray(s + 4, s + 4 + take), got);
      got += take;
      next = this.#dv.getUint32(s);
    }
    return out;
  }

  /** The record format: a header of serial types, then the values (fileformat2 §2.1). */
  #record(p: Uint8Array): SqlValue[] {
    const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const sub = new SqliteFile.#Cursor(this, p);
    const [hsize, first] = sub.varint(0);
    if (hsize < first || hsize > p.length)
      this.fail(`record header size ${hsize} is outside the record of ${p.length} bytes`);
    const types: number[] = [];
    for (let at = first; at < hsize;) {
      const [t, n] = sub.varint(at);
      if (n > hsize) this.fail('record header runs past its size');
      types.push(t);
      at = n;
    }
    const out: SqlValue[] = [];
    let at = hsize;
    const need = (len: number) => {
      if (at + len > p.length) this.fail(`record value of ${len} bytes runs past the record`);
    };
    for (const t of types) {
      if (t === 0) out.push(null);
      else if (t >= 1 && t <= 6) {
        const len = [0, 1, 2, 3, 4, 6, 8][t]!;
        need(len);
        let v = 0n;
        for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(p[at + i]!);
        v = BigInt.asIntN(len * 8, v);
        out.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        at += len;
      } else if (t === 7) {
        need(8);
        out.push(dv.getFloat64(at));
        at += 8;
      } else if (t === 8 || t === 9) out.push(t - 8);
      else if (t >= 12) {
        const len = Math.floor((t - 12) / 2);
        need(len);
        const v = p.subarray(at, at + len);
        out.push(t % 2 === 0 ? v : new TextDecoder().decode(v));
        at += len;
      } else this.fail(`reserved serial type ${t} in a record`);
    }
    return out;
  }

  static #Cursor = class {
    constructor(
      private f: SqliteFile,
      private p: Uint8Array,
    ) {}
    varint(at: number): [number, number] {
      let v = 0;
      for (let i = 0; i < 9; i++) {
        if (at + i >= this.p.length) this.f.fail('record header varint runs past the record');
        const b = this.p[at + i]!;
        if (i === 8) return [v * 256 + b, at + 9];
        v = v * 128 + (b & 0x7f);
        if (b < 0x80) return [v, at + i + 1];
      }
      return this.f.fail('unreachable');
    }
  };

  /** The root page of a table, from the schema table on page 1 (columns: type, name,
   * tbl_name, rootpage, sql). */
  tableRoot(name: string): number | undefined {
    for (const r of this.rows(1)) {
      const [type, n, , root] = r.values;
      if (type === 'table' && n === name) {
        if (typeof root !== 'number') this.fail(`table ${name} has no root page`);
        return root;
      }
    }
    return undefined;
  }
}
