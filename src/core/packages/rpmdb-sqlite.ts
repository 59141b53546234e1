/** rpm's sqlite backend (`rpmdb.sqlite`, rpm 4.16+): table `Packages (hnum, blob)`, one
 * header blob per installed package. */
import { parseRpmHeader } from './rpm-header.ts';
import { SqliteFile } from './sqlite.ts';
import { MAX_PACKAGES, PackageDbError, type Package } from './types.ts';

export function readRpmSqlite(bytes: Uint8Array, file: string): Package[] {
  const db = new SqliteFile(bytes, file);
  const root = db.tableRoot('Packages');
  if (root === undefined) throw new PackageDbError('PKGDB_MALFORMED', file, 'no Packages table');
  const out: Package[] = [];
  for (const row of db.rows(root)) {
    const blob = row.values[1];
    if (!(blob instanceof Uint8Array)) db.fail(`Packages row ${row.rowid}: the blob column is not a blob`);
    if (out.length >= MAX_PACKAGES) db.fail(`more than ${MAX_PACKAGES} packages`, 'PKGDB_TOO_LARGE');
    const p = parseRpmHeader(blob as Uint8Array, file, `Packages row ${row.rowid}`);
    // gpg-pubkey headers are keys rpm imported, listed by rpm -qa too; keep them.
    if (p) out.push(p);
  }
  return out;
}
