/** OS package databases (dpkg, apk, rpm), read layer by layer. */
export { parseDpkgStatus } from './dpkg.ts';
export { parseApkInstalled } from './apk.ts';
export { readRpmSqlite } from './rpmdb-sqlite.ts';
export {
  fileId,
  packageHistory,
  type ChangeKind,
  type DatabaseEvent,
  type InstalledPackage,
  type PackageChange,
  type PackageHistory,
  type ReadFiles,
} from './history.ts';
export { comparePackages, type PackageDiff, type PackageDiffRow } from './compare.ts';
export type { DbFile, DbKind } from './locate.ts';
export { PackageDbError, type Package, type PackageType } from './types.ts';
