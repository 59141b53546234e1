/**
 * dpkg's status database (`/var/lib/dpkg/status`, and distroless images' one stanza file per
 * package under `/var/lib/dpkg/status.d/`): RFC 822-style stanzas separated by blank lines,
 * `Field: value` lines, continuation lines starting with a space or tab (deb-control(5)).
 *
 * Only stanzas whose `Status:` state is `installed` (`install ok installed`; or with no Status
 * field at all, as distroless status.d files have none) are installed packages. Half-installed,
 * unpacked and config-files-only stanzas are not, though `dpkg-query -W` lists them too.
 */
import { MAX_FIELD_BYTES, MAX_PACKAGES, MAX_TEXT_DB_BYTES, PackageDbError, type Package } from './types.ts';

export type Stanza = Map<string, string>;

/** Splits a control file into stanzas of field → value (names lower-cased; continuation
 * lines joined with '\n' as dpkg keeps them). */
export function parseStanzas(bytes: Uint8Array, file: string): Stanza[] {
  if (bytes.length > MAX_TEXT_DB_BYTES)
    throw new PackageDbError(
      'PKGDB_TOO_LARGE',
      file,
      `database of ${bytes.length} bytes exceeds the limit of ${MAX_TEXT_DB_BYTES}`,
    );
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const out: Stanza[] = [];
  let cur: Stanza | undefined;
  let last: string | undefined;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') {
      if (cur) out.push(cur);
      cur = undefined;
      last = undefined;
      if (end === text.length) break;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (!cur || last === undefined)
        throw new PackageDbError('PKGDB_MALFORMED', file, `line ${lineNo}: continuation line outside a field`);
      const v = cur.get(last)! + '\n' + line.slice(1);
      if (v.length > MAX_FIELD_BYTES)
        throw new PackageDbError(
          'PKGDB_TOO_LARGE',
          file,
          `line ${lineNo}: field ${last} exceeds ${MAX_FIELD_BYTES} bytes`,
        );
      cur.set(last, v);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new PackageDbError(
        'PKGDB_MALFORMED',
        file,
        `line ${lineNo}: expected "Field: value", got ${JSON.stringify(line.slice(0, 60))}`,
      );
    const name = line.slice(0, colon).toLowerCase();
    if (/\s/.test(name))
      throw new PackageDbError(
        'PKGDB_MALFORMED',
        file,
        `line ${lineNo}: field name ${JSON.stringify(name)} contains a space`,
      );
    if (!cur) {
      cur = new Map();
      if (out.length >= MAX_PACKAGES)
        throw new PackageDbError('PKGDB_TOO_LARGE', file, `more than ${MAX_PACKAGES} stanzas`);
    }
    if (cur.has(name))
      throw new PackageDbError(
        'PKGDB_MALFORMED',
        file,
        `line ${lineNo}: duplicate field ${JSON.stringify(line.slice(0, colon))} in one stanza`,
      );
    cur.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  if (cur) out.push(cur);
  return out;
}

function installed(s: Stanza): boolean {
  const status = s.get('status');
  if (status === undefined) return true;
  // want, error flag, state (dpkg(1) "Package states"): only the state says what is on disk;
  // `deinstall ok installed` (selected for removal) is still installed.
  const words = status.split(/\s+/);
  return words.length === 3 && words[2] === 'installed';
}

/** dpkg-query's `${Version}`: `[epoch:]upstream[-revision]`, as written. */
function stanzaPackage(s: Stanza, file: string, index: number): Package | undefined {
  if (!installed(s)) return undefined;
  const name = s.get('package');
  const version = s.get('version');
  if (!name) throw new PackageDbError('PKGDB_MALFORMED', file, `stanza ${index + 1} has no Package field`);
  if (version === undefined || version === '')
    throw new PackageDbError('PKGDB_MALFORMED', file, `package ${name} has no Version field`);
  const p: Package = { type: 'deb', name, version, arch: s.get('architecture') ?? '' };
  const source = s.get('source');
  // `Source: name (version)` when the source version differs from the binary's.
  if (source) p.source = source.replace(/\s*\(.*\)\s*$/, '');
  const size = s.get('installed-size');
  if (size !== undefined && /^\d+$/.test(size)) p.installedSize = Number(size) * 1024;
  const maint = s.get('maintainer');
  if (maint) p.supplier = maint;
  return p;
}

/** The installed packages of a status file (or of one status.d file). */
export function parseDpkgStatus(bytes: Uint8Array, file: string): Package[] {
  const out: Package[] = [];
  const stanzas = parseStanzas(bytes, file);
  for (let i = 0; i < stanzas.length; i++) {
    const p = stanzaPackage(stanzas[i]!, file, i);
    if (p) out.push(p);
  }
  return out;
}
