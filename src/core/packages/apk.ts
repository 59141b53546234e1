/**
 * Alpine's installed database, `/lib/apk/db/installed`: one record per package, records
 * separated by a blank line, each line `X:value` with a one-letter field (the format the
 * Alpine wiki's "Apk spec" page tabulates, the same letters as an APKINDEX): P name,
 * V version, A architecture, I installed size (bytes), L licence, o origin (source package),
 * m maintainer; F/R/M/Z… list the package's directories and files, which a package list
 * does not need but which make up most of the file.
 */
import { MAX_PACKAGES, MAX_TEXT_DB_BYTES, PackageDbError, type Package } from './types.ts';

export function parseApkInstalled(bytes: Uint8Array, file: string): Package[] {
  if (bytes.length > MAX_TEXT_DB_BYTES)
    throw new PackageDbError(
      'PKGDB_TOO_LARGE',
      file,
      `database of ${bytes.length} bytes exceeds the limit of ${MAX_TEXT_DB_BYTES}`,
    );
  const text = new TextDecoder().decode(bytes);
  const out: Package[] = [];
  let cur: Partial<Record<string, string>> = {};
  let startLine = 1;
  let has = false;
  const flush = () => {
    if (!has) return;
    const name = cur.P;
    const version = cur.V;
    if (!name)
      throw new PackageDbError(
        'PKGDB_MALFORMED',
        file,
        `the record starting at line ${startLine} has no P: (name) line`,
      );
    if (!version)
      throw new PackageDbError('PKGDB_MALFORMED', file, `package ${name} (line ${startLine}) has no V: (version) line`);
    if (out.length >= MAX_PACKAGES)
      throw new PackageDbError('PKGDB_TOO_LARGE', file, `more than ${MAX_PACKAGES} packages`);
    const p: Package = { type: 'apk', name, version, arch: cur.A ?? '' };
    if (cur.o) p.source = cur.o;
    if (cur.I !== undefined) {
      if (!/^\d+$/.test(cur.I))
        throw new PackageDbError(
          'PKGDB_MALFORMED',
          file,
          `package ${name}: installed size ${JSON.stringify(cur.I)} is not a number`,
        );
      p.installedSize = Number(cur.I);
    }
    if (cur.L) p.license = cur.L;
    if (cur.m) p.supplier = cur.m;
    out.push(p);
    cur = {};
    has = false;
  };
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    lineNo++;
    if (line === '') {
      flush();
      continue;
    }
    if (line.length < 2 || line[1] !== ':')
      throw new PackageDbError(
        'PKGDB_MALFORMED',
        file,
        `line ${lineNo}: expected "X:value", got ${JSON.stringify(line.slice(0, 60))}`,
      );
    if (!has) startLine = lineNo;
    has = true;
    const k = line[0]!;
    // Only the package fields are kept; per-file lines repeat freely.
    if ('PVAIoLm'.includes(k)) {
      if (cur[k] !== undefined)
        throw new PackageDbError('PKGDB_MALFORMED', file, `line ${lineNo}: a second ${k}: line in one record`);
      cur[k] = line.slice(2);
    }
  }
  flush();
  return out;
}
