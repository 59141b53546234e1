/** What every package database reader returns: one row per installed package. */
export type PackageType = 'deb' | 'apk' | 'rpm';

export interface Package {
  type: PackageType;
  name: string;
  /** As the package manager prints it: dpkg `[epoch:]upstream[-revision]`, apk `ver-rN`,
   * rpm `VERSION-RELEASE` (the epoch is kept apart in `epoch`, as `rpm -qa` does). */
  version: string;
  /** `all`, `amd64`, `x86_64`, `noarch`…; '' when the database records none. */
  arch: string;
  /** The source package (dpkg `Source:` without its version, apk `o:`, rpm SOURCERPM). */
  source?: string;
  /** Bytes on disk as the database records them (dpkg records KiB: multiplied out). */
  installedSize?: number;
  /** Licence as recorded (apk `L:`, rpm LICENSE; dpkg records none). */
  license?: string;
  /** rpm only: the EPOCH tag, when set. */
  epoch?: number;
  /** Maintainer / packager, where recorded. */
  supplier?: string;
}

export type PackageErrorCode = 'PKGDB_TOO_LARGE' | 'PKGDB_MALFORMED' | 'PKGDB_UNSUPPORTED';

/** A database refused: names the file and what was wrong with it. */
export class PackageDbError extends Error {
  constructor(
    readonly code: PackageErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'PackageDbError';
  }
}

/** Bounds on what one database may hold (hostile input: a layer is data from outside). */
export const MAX_TEXT_DB_BYTES = 64 << 20;
export const MAX_PACKAGES = 100_000;
/** A database file larger than this is refused unread (a big image's rpmdb.sqlite: ~100 MB). */
export const MAX_DB_FILE_BYTES = 256 << 20;
/** One field value of a text database (long descriptions and conffile lists fit easily). */
export const MAX_FIELD_BYTES = 1 << 20;

/** Stable identity of a package inside one database state (several versions of one rpm
 * name, e.g. kernels, may be installed side by side: the caller disambiguates). */
export function packageKey(p: Package): string {
  return `${p.type}/${p.name}/${p.arch}`;
}
