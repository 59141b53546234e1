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
 * lines joined with '\n' as dpkg keeps them). With `keep`, only those fields are stored (the
 * rest are still checked): long descriptions and conffile lists are most of a status file. */
export function parseStanzas(bytes: Uint8Array, file: string, keep?: ReadonlySet<string>): Stanza[] {
  if (bytes.length > MAX_TEXT_DB_BYTES)
    throw new PackageDbError(
      'PKGDB_TOO_LARGE',
      file,
      `database of ${bytes.length} bytes exceeds the limit of ${MAX_TEXT_DB_BYTES}`,
    );
  const lines = new TextDecoder('utf-8', { fatal: false }).decode(bytes).split('\n');
  const out: Stanza[] = [];
  let cur: Stanza | undefined;
  /** The field continuation lines add to, when kept; its length so far. */
  let last: string | undefined;
  let lastKept = false;
  let lastLen = 0;
  const fail = (n: number, m: string): never => {
    throw new PackageDbError('PKGDB_MALFORMED', file, `line ${n + 1}: ${m}`);
  };
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const c = line.charCodeAt(0);
    if (c === 32 || c === 9) {
      if (line.trim() === '') {
        // A whitespace-only line ends a stanza, as an empty one does.
      } else {
        if (!cur || last === undefined) fail(n, 'continuation line outside a field');
        lastLen += line.length;
        if (lastLen > MAX_FIELD_BYTES)
          throw new PackageDbError(
            'PKGDB_TOO_LARGE',
            file,
            `line ${n + 1}: field ${last} exceeds ${MAX_FIELD_BYTES} bytes`,
          );
        if (lastKept) cur!.set(last!, cur!.get(last!)! + '\n' + line.slice(1));
        continue;
      }
    }
    if (line === '' || c === 32 || c === 9) {
      if (cur) out.push(cur);
      cur = undefined;
      last = undefined;
      continue;
    }
    if (c === 35 /* # */) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) fail(n, `expected "Field: value", got ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon).toLowerCase();
    if (name.includes(' ') || name.includes('\t')) fail(n, `field name ${JSON.stringify(name)} contains a space`);
    if (!cur) {
      if (out.length >= MAX_PACKAGES)
        throw new PackageDbError('PKGDB_TOO_LARGE', file, `more than ${MAX_PACKAGES} stanzas`);
      cur = new Map();
      cur.set('\0seen', '');
    }
    const seen = cur.get('\0seen')!;
    if (seen.includes('\n' + name + '\n'))
      fail(n, `duplicate field ${JSON.stringify(line.slice(0, colon))} in one stanza`);
    cur.set('\0seen', seen + '\n' + name + '\n');
    last = name;
    lastLen = line.length - colon;
    lastKept = !keep || keep.has(name);
    if (lastKept) cur.set(name, line.slice(colon + 1).trim());
  }
  if (cur) out.push(cur);
  for (const st of out) st.delete('\0seen');
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

const PACKAGE_FIELDS: ReadonlySet<string> = new Set([
  'package',
  'status',
  'version',
  'architecture',
  'source',
  'installed-size',
  'maintainer',
]);

/** The installed packages of a status file (or of one status.d file). */
export function parseDpkgStatus(bytes: Uint8Array, file: string): Package[] {
  const out: Package[] = [];
  const stanzas = parseStanzas(bytes, file, PACKAGE_FIELDS);
  for (let i = 0; i < stanzas.length; i++) {
    const p = stanzaPackage(stanzas[i]!, file, i);
    if (p) out.push(p);
  }
  return out;
}
