/**
 * Packages layer by layer: the package databases as they stand after each layer that changed
 * them, parsed, and consecutive states compared, so each installed package carries the layer
 * that added it or last changed its version, and each layer lists what it added, upgraded,
 * downgraded or removed.
 *
 * A database missing from a view is unknown, not empty: a layer that deletes the database
 * (distroless-style clean-ups) is reported as such, and its packages are not called removed.
 */
import type { LayerEntry } from '../layer/entry.ts';
import { applyLayers } from '../union/index.ts';
import { parseApkInstalled } from './apk.ts';
import { parseDpkgStatus } from './dpkg.ts';
import {
  findDatabases,
  findOsRelease,
  parseOsRelease,
  relevantEntries,
  touchesDatabase,
  type DbFile,
  type DbKind,
  type DbSnapshot,
} from './locate.ts';
import { readRpmBdb } from './rpmdb-bdb.ts';
import { readRpmNdb } from './rpmdb-ndb.ts';
import { readRpmSqlite } from './rpmdb-sqlite.ts';
import { MAX_DB_FILE_BYTES, PackageDbError, packageKey, type Package } from './types.ts';
import { compareDebVersions, compareRpm } from './version.ts';

/** Reads file bytes; the key of the result is `fileId(f)`. One call per history, so a reader
 * can read each layer's tar once for all the files it holds. */
export type ReadFiles = (files: readonly DbFile[]) => Promise<Map<string, Uint8Array>>;

export const fileId = (f: { layer: number; offset: number }): string => `${f.layer}:${f.offset}`;

export interface InstalledPackage extends Package {
  /** Unique within the image (type/name/arch, plus @version for parallel installs). */
  key: string;
  /** The database file it was read from. */
  database: string;
  /** The layer that first added it. */
  addedIn: number;
  /** The layer that last added it or changed its version. */
  layer: number;
}

export type ChangeKind = 'added' | 'upgraded' | 'downgraded' | 'changed' | 'removed';

export interface PackageChange {
  layer: number;
  kind: ChangeKind;
  key: string;
  type: Package['type'];
  name: string;
  arch: string;
  /** After the layer (absent for `removed`). */
  version?: string;
  /** Before the layer (absent for `added`). */
  previous?: string;
}

export interface DatabaseEvent {
  layer: number;
  path: string;
  kind: DbKind;
  /** written: the layer changed it; removed: it is gone from the view (its packages are
   * unknown from here on); unreadable: it could not be parsed (see message). */
  event: 'written' | 'removed' | 'unreadable';
  message?: string;
}

export interface PackageHistory {
  packages: InstalledPackage[];
  changes: PackageChange[];
  events: DatabaseEvent[];
  /** Databases of the final image. */
  databases: { path: string; kind: DbKind; layer: number }[];
  distro?: { id?: string; versionId?: string; prettyName?: string };
  /** Messages of databases that could not be read in the final image. */
  errors: string[];
}

function parse(db: DbSnapshot, bytes: Map<string, Uint8Array>): Package[] {
  const { kind, files } = db;
  if (db.walBytes)
    // rpm checkpoints its log when it closes the database; a log left behind holds changes
    // the main file lacks, and listing the main file alone would be wrong.
    throw new PackageDbError(
      'PKGDB_UNSUPPORTED',
      '/' + files[0]!.path,
      `its write-ahead log (-wal, ${db.walBytes} bytes) was never checkpointed; reading it is not supported`,
    );
  const out: Package[] = [];
  for (const f of files) {
    const b = bytes.get(fileId(f));
    if (!b)
      throw f.size > MAX_DB_FILE_BYTES
        ? new PackageDbError(
            'PKGDB_TOO_LARGE',
            '/' + f.path,
            `${f.size} bytes exceed the limit of ${MAX_DB_FILE_BYTES}`,
          )
        : new PackageDbError('PKGDB_MALFORMED', '/' + f.path, 'could not be read');
    const file = '/' + f.path;
    if (kind === 'dpkg' || kind === 'dpkg-status.d') out.push(...parseDpkgStatus(b, file));
    else if (kind === 'apk') out.push(...parseApkInstalled(b, file));
    else if (kind === 'rpm-sqlite') out.push(...readRpmSqlite(b, file));
    else if (kind === 'rpm-bdb') out.push(...readRpmBdb(b, file));
    else out.push(...readRpmNdb(b, file));
  }
  return out;
}

/** Keys a state: type/name/arch, and for a name installed more than once, each @version. */
function keyed(pkgs: readonly Package[]): Map<string, Package> {
  const count = new Map<string, number>();
  for (const p of pkgs) count.set(packageKey(p), (count.get(packageKey(p)) ?? 0) + 1);
  const out = new Map<string, Package>();
  for (const p of pkgs) {
    const k = packageKey(p);
    out.set(count.get(k)! > 1 ? `${k}@${p.version}` : k, p);
  }
  return out;
}

function direction(a: Package, b: Package): ChangeKind {
  const c = a.type === 'deb' ? compareDebVersions(a.version, b.version) : a.type === 'rpm' ? compareRpm(a, b) : NaN;
  return c < 0 ? 'upgraded' : c > 0 ? 'downgraded' : 'changed';
}

const sameFiles = (a: DbSnapshot | undefined, b: DbSnapshot | undefined) =>
  !!a &&
  !!b &&
  a.walBytes === b.walBytes &&
  a.files.length === b.files.length &&
  a.files.every((f, i) => fileId(f) === fileId(b.files[i]!));

/** The package history of an image whose layers (bottom first) are `layers`. */
export async function packageHistory(
  allLayers: readonly (readonly LayerEntry[])[],
  read: ReadFiles,
): Promise<PackageHistory> {
  // Only the entries that bear on the databases: the union view of the rest is most of the cost.
  const layers = relevantEntries(allLayers);
  const n = layers.length;
  const flagged = layers.map((l) => touchesDatabase(l));
  const snaps = new Map<number, DbSnapshot[]>();
  const view = applyLayers(layers, {
    beforeLayer(i, below) {
      if (i > 0 && flagged[i - 1]) snaps.set(i - 1, findDatabases(below));
    },
  });
  if (n > 0 && flagged[n - 1]) snaps.set(n - 1, findDatabases(view.entries));
  const osRelease = findOsRelease(view.entries);

  // Which database states need parsing: those whose files differ from the previous state's.
  type Step = { layer: number; dbs: DbSnapshot[] };
  const steps: Step[] = [];
  const prevByPath = new Map<string, DbSnapshot>();
  const wanted: DbFile[] = [];
  for (let i = 0; i < n; i++) {
    const s = snaps.get(i);
    if (!s) continue;
    steps.push({ layer: i, dbs: s });
    const seen = new Set<string>();
    for (const d of s) {
      seen.add(d.path);
      if (!sameFiles(prevByPath.get(d.path), d)) wanted.push(...d.files);
      prevByPath.set(d.path, d);
    }
    for (const p of [...prevByPath.keys()]) if (!seen.has(p)) prevByPath.delete(p);
  }
  if (osRelease) wanted.push(osRelease);
  const unique = [...new Map(wanted.map((f) => [fileId(f), f])).values()];
  const bytes = unique.length ? await read(unique) : new Map<string, Uint8Array>();

  const installed = new Map<string, InstalledPackage>();
  const changes: PackageChange[] = [];
  const events: DatabaseEvent[] = [];
  const current = new Map<string, { snap: DbSnapshot; error?: string }>();
  for (const { layer, dbs } of steps) {
    const here = new Set(dbs.map((d) => d.path));
    for (const [path, c] of current) {
      if (here.has(path)) continue;
      current.delete(path);
      events.push({ layer, path: '/' + path, kind: c.snap.kind, event: 'removed' });
      for (const [k, p] of installed) if (p.database === path) installed.delete(k);
    }
    for (const d of dbs) {
      const before = current.get(d.path);
      if (sameFiles(before?.snap, d)) continue;
      let pkgs: Package[];
      try {
        pkgs = parse(d, bytes);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        events.push({ layer, path: '/' + d.path, kind: d.kind, event: 'unreadable', message });
        // Keep the last known packages: the next readable state is compared with them.
        current.set(d.path, { snap: d, error: message });
        continue;
      }
      current.set(d.path, { snap: d });
      events.push({ layer, path: '/' + d.path, kind: d.kind, event: 'written' });
      const next = keyed(pkgs);
      for (const [k, p] of installed) {
        if (p.database !== d.path || next.has(k)) continue;
        installed.delete(k);
        changes.push({ layer, kind: 'removed', key: k, type: p.type, name: p.name, arch: p.arch, previous: p.version });
      }
      for (const [k, p] of next) {
        const old = installed.get(k);
        if (!old) {
          installed.set(k, { ...p, key: k, database: d.path, addedIn: layer, layer });
          changes.push({ layer, kind: 'added', key: k, type: p.type, name: p.name, arch: p.arch, version: p.version });
        } else if (old.version !== p.version || (old.epoch ?? 0) !== (p.epoch ?? 0)) {
          installed.set(k, { ...p, key: k, database: d.path, addedIn: old.addedIn, layer });
          changes.push({
            layer,
            kind: direction(old, p),
            key: k,
            type: p.type,
            name: p.name,
            arch: p.arch,
            version: p.version,
            previous: old.version,
          });
        } else {
          // Same version rewritten (another package's install rewrote the whole file): keep
          // the layer that installed it, refresh the other fields.
          installed.set(k, { ...p, key: k, database: d.path, addedIn: old.addedIn, layer: old.layer });
        }
      }
    }
  }
  const packages = [...installed.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0,
  );
  const finalDbs = [...current.values()];
  const out: PackageHistory = {
    packages,
    changes,
    events,
    databases: finalDbs.map((c) => ({
      path: '/' + c.snap.path,
      kind: c.snap.kind,
      layer: Math.max(...c.snap.files.map((f) => f.layer), -1),
    })),
    errors: finalDbs.filter((c) => c.error).map((c) => c.error!),
  };
  if (osRelease) {
    const b = bytes.get(fileId(osRelease));
    if (b) out.distro = parseOsRelease(b);
  }
  return out;
}
