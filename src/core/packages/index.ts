/** OS package databases (dpkg, apk, rpm), read layer by layer. */

export { fileId, packageHistory, type PackageHistory } from './history.ts';
export { comparePackages, type PackageDiff } from './compare.ts';
export type { DbFile } from './locate.ts';
