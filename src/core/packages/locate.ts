/**
 * Where package databases live in a root filesystem, and which layers touch them: the first
 * step of per-layer attribution, done on layer indexes alone (no file bytes read).
 */
import type { LayerEntry } from '../layer/entry.ts';
import { resolveIn } from '../union/resolve.ts';
import type { ViewEntry } from '../union/index.ts';

export type DbKind = 'dpkg' | 'dpkg-status.d' | 'apk' | 'rpm-sqlite' | 'rpm-bdb' | 'rpm-ndb';

/** Known database paths (no leading slash). Fedora and RHEL 9 keep the rpm database under
 * /usr/lib/sysimage/rpm with /var/lib/rpm a symlink to it; both spellings are looked up. */
export const DB_PATHS: readonly { path: string; kind: DbKind }[] = [
  { path: 'var/lib/dpkg/status', kind: 'dpkg' },
  { path: 'var/lib/dpkg/status.d', kind: 'dpkg-status.d' },
  { path: 'lib/apk/db/installed', kind: 'apk' },
  { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', kind: 'rpm-sqlite' },
  { path: 'var/lib/rpm/rpmdb.sqlite', kind: 'rpm-sqlite' },
  { path: 'usr/lib/sysimage/rpm/Packages.db', kind: 'rpm-ndb' },
  { path: 'var/lib/rpm/Packages.db', kind: 'rpm-ndb' },
  { path: 'usr/lib/sysimage/rpm/Packages', kind: 'rpm-bdb' },
  { path: 'var/lib/rpm/Packages', kind: 'rpm-bdb' },
];

const OS_RELEASE = ['etc/os-release', 'usr/lib/os-release'];

const CAPTURED_FILES = new Set([
  ...DB_PATHS.filter((d) => d.kind !== 'dpkg-status.d').map((d) => d.path),
  ...OS_RELEASE,
]);
const CAPTURED_DIRS = DB_PATHS.filter((d) => d.kind === 'dpkg-status.d').map((d) => d.path + '/');

/** A database file's bytes, kept while its layer was ingested (stored beside the layer's
 * index: src/app/store-port.ts). `offset` is the entry's data offset in the layer's tar, as
 * in LayerEntry and DbFile. */
export interface CapturedFile {
  path: string;
  offset: number;
  bytes: Uint8Array;
}

/**
 * True for a tar member whose bytes the Packages tab reads: a database file of DB_PATHS, a
 * file directly in a dpkg status.d directory (not its `.md5sums`), or an os-release file.
 * Layer ingest keeps these bytes beside the layer's index (LIMITS.packageCapture), so listing
 * packages needs no layer blob. Called once per tar member: a cheap check first.
 */
export function isCapturedPath(path: string): boolean {
  const c = path.charCodeAt(0);
  // 'v'ar, 'u'sr, 'l'ib, 'e'tc
  if (c !== 118 && c !== 117 && c !== 108 && c !== 101) return false;
  if (CAPTURED_FILES.has(path)) return true;
  for (const dir of CAPTURED_DIRS) {
    if (!path.startsWith(dir)) continue;
    const name = path.slice(dir.length);
    return name.length > 0 && !name.includes('/') && !name.startsWith('.') && !name.endsWith('.md5sums');
  }
  return false;
}

/** True when a layer entry may change a database as seen in the union view: the database
 * itself, anything inside a database directory, a whiteout of either, or an ancestor
 * directory replaced, whited out or made opaque. */
export function touchesDatabase(entries: readonly LayerEntry[]): boolean {
  for (const e of entries) {
    let p = e.path;
    const slash = p.lastIndexOf('/');
    const base = p.slice(slash + 1);
    if (base === '.wh..wh..opq') p = slash < 0 ? '' : p.slice(0, slash);
    else if (base.startsWith('.wh.')) p = (slash < 0 ? '' : p.slice(0, slash + 1)) + base.slice(4);
    for (const d of DB_PATHS) {
      if (p === d.path || d.path.startsWith(p + '/') || p.startsWith(d.path + '/') || p === '') return true;
    }
    // A symlink anywhere along a database path (e.g. var/lib/rpm → ../../usr/lib/sysimage/rpm).
    if (e.type === 'symlink' && p.startsWith('var/lib/')) return true;
  }
  return false;
}

/** Lexical normalization inside the image root: no leading `/`, `.` dropped, `..` clamped. */
function normalize(path: string): string {
  const out: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out.join('/');
}

/** The path a whiteout (or opaque marker) entry acts on, or the entry's own path. */
function affected(p: string): string {
  const slash = p.lastIndexOf('/');
  if (!p.startsWith('.wh.', slash + 1)) return p;
  const base = p.slice(slash + 1);
  if (base === '.wh..wh..opq') return slash < 0 ? '' : p.slice(0, slash);
  if (base.startsWith('.wh.')) return (slash < 0 ? '' : p.slice(0, slash + 1)) + base.slice(4);
  return p;
}

/** Is a path on, above or below one of `roots`? Built once per call of relevantEntries: a
 * path is tested with a few set lookups (an index has tens of thousands). */
function relatedTo(roots: Iterable<string>): (p: string) => boolean {
  const exact = new Set<string>();
  const above = new Set<string>(['']);
  const first = new Set<string>();
  for (const r of roots) {
    exact.add(r);
    first.add(r.split('/', 1)[0]!);
    for (let i = r.indexOf('/'); i >= 0; i = r.indexOf('/', i + 1)) above.add(r.slice(0, i));
  }
  return (p) => {
    if (above.has(p) || exact.has(p)) return true;
    const slash = p.indexOf('/');
    if (slash < 0 || !first.has(p.slice(0, slash))) return false;
    for (let i = slash; i >= 0; i = p.indexOf('/', i + 1)) if (exact.has(p.slice(0, i))) return true;
    return false;
  };
}

const MAX_ROOTS = 256;

/**
 * The entries of each layer that can bear on the package databases and os-release: those on,
 * above or below their paths (whiteouts and opaque markers by the path they act on), after
 * following symlinks and hard links along the way in any layer (merged-usr `lib → usr/lib`,
 * `var/lib/rpm → ../../usr/lib/sysimage/rpm`) to a fixed point. The union view of these alone
 * finds the same databases as the full view at a fraction of the cost (an image's index holds
 * tens of thousands of entries, its databases a handful). Past MAX_ROOTS paths (a maze of
 * links) the layers are returned whole.
 */
export function relevantEntries(layers: readonly (readonly LayerEntry[])[]): (readonly LayerEntry[])[] {
  const links: LayerEntry[] = [];
  for (const l of layers) for (const e of l) if (e.type === 'symlink' || e.type === 'hardlink') links.push(e);
  const bears = bearsOnDatabases(links);
  return bears ? layers.map((l) => l.filter((e) => bears(e.path))) : [...layers];
}

/**
 * relevantEntries' test as a predicate on an entry's path, given every symlink and hard link
 * of the image's layers (so a reader can pick entries while decoding an index); undefined when
 * the links make too many paths relevant (keep everything).
 */
export function bearsOnDatabases(links: readonly LayerEntry[]): ((path: string) => boolean) | undefined {
  const roots = new Set<string>([
    ...DB_PATHS.map((d) => d.path),
    ...DB_PATHS.filter((d) => d.kind === 'rpm-sqlite').map((d) => d.path + '-wal'),
    ...OS_RELEASE,
  ]);
  for (let grew = true; grew;) {
    grew = false;
    const list = [...roots];
    for (const e of links) {
      const p = e.path;
      const add = (q: string) => {
        if (!roots.has(q)) {
          roots.add(q);
          grew = true;
        }
      };
      if (e.type === 'hardlink') {
        if (list.some((r) => p === r || p.startsWith(r + '/'))) add(normalize(e.linkname ?? ''));
        continue;
      }
      const target = e.linkname ?? '';
      const base = target.startsWith('/') ? target : p.slice(0, Math.max(p.lastIndexOf('/'), 0)) + '/' + target;
      for (const r of list) if (r === p || r.startsWith(p + '/')) add(normalize(base + r.slice(p.length)));
    }
    if (roots.size > MAX_ROOTS) return undefined;
  }
  const related = relatedTo(roots);
  return (path) => related(affected(path));
}

/** A file of a database as it stands in one view: where its bytes are. */
export interface DbFile {
  /** Path in the image (after symlinks). */
  path: string;
  size: number;
  /** The layer holding the bytes and their offset in its tar. */
  layer: number;
  offset: number;
}

export interface DbSnapshot {
  /** The path looked up (a key of DB_PATHS). */
  path: string;
  kind: DbKind;
  /** One file, or a status.d directory's files sorted by name. */
  files: DbFile[];
  /** rpmdb.sqlite: bytes in its write-ahead log (`-wal`), which this reader does not apply. */
  walBytes?: number;
}

function fileOf(entries: ReadonlyMap<string, ViewEntry>, path: string): DbFile | undefined {
  let real: string;
  try {
    real = resolveIn(entries, path, true);
  } catch {
    return undefined;
  }
  const e = entries.get(real);
  if (!e || e.type !== 'file') return undefined;
  return { path: real, size: e.size, layer: e.dataLayer, offset: e.dataOffset };
}

/** The databases present in a view. One per kind: the first of DB_PATHS that exists (the
 * two rpm paths usually name the same file through a symlink). */
export function findDatabases(entries: ReadonlyMap<string, ViewEntry>): DbSnapshot[] {
  const out: DbSnapshot[] = [];
  const kinds = new Set<DbKind>();
  for (const d of DB_PATHS) {
    if (kinds.has(d.kind) || (d.kind.startsWith('rpm') && [...kinds].some((k) => k.startsWith('rpm')))) continue;
    if (d.kind === 'dpkg-status.d') {
      let dir: string;
      try {
        dir = resolveIn(entries, d.path, true);
      } catch {
        continue;
      }
      if (entries.get(dir)?.type !== 'dir') continue;
      const files: DbFile[] = [];
      const prefix = dir + '/';
      for (const p of entries.keys()) {
        if (!p.startsWith(prefix) || p.indexOf('/', prefix.length) >= 0) continue;
        const name = p.slice(prefix.length);
        // Distroless writes NAME (the stanza) and NAME.md5sums (file checksums) side by side.
        if (name.startsWith('.') || name.endsWith('.md5sums')) continue;
        const f = fileOf(entries, p);
        if (f) files.push(f);
      }
      files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      kinds.add(d.kind);
      out.push({ path: d.path, kind: d.kind, files });
      continue;
    }
    const f = fileOf(entries, d.path);
    if (!f) continue;
    kinds.add(d.kind);
    const wal = d.kind === 'rpm-sqlite' ? fileOf(entries, f.path + '-wal') : undefined;
    out.push({ path: d.path, kind: d.kind, files: [f], ...(wal && wal.size > 0 ? { walBytes: wal.size } : {}) });
  }
  return out;
}

/** /etc/os-release (or /usr/lib/os-release) of a view, for the distro of package URLs. */
export function findOsRelease(entries: ReadonlyMap<string, ViewEntry>): DbFile | undefined {
  for (const p of OS_RELEASE) {
    const f = fileOf(entries, p);
    if (f) return f;
  }
  return undefined;
}

/** ID and VERSION_ID of an os-release file (os-release(5): shell-style KEY=value lines). */
export function parseOsRelease(bytes: Uint8Array): { id?: string; versionId?: string; prettyName?: string } {
  const text = new TextDecoder().decode(bytes.subarray(0, 64 << 10));
  const out: { id?: string; versionId?: string; prettyName?: string } = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const v = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
    if (m[1] === 'ID') out.id = v;
    else if (m[1] === 'VERSION_ID') out.versionId = v;
    else if (m[1] === 'PRETTY_NAME') out.prettyName = v;
  }
  return out;
}
