/**
 * Archive errors (docker save / load, OCI layouts). `code` is stable; `member` names the tar
 * member the error is about and `digest` the blob, when known. `toJSON()` survives postMessage.
 */
export type ArchiveErrorCode =
  | 'ARCHIVE_MALFORMED' // a member is not what its role needs (bad JSON, wrong shape)
  | 'ARCHIVE_MISSING' // a referenced member or blob is not in the archive
  | 'ARCHIVE_DIGEST_MISMATCH' // bytes do not hash to the digest they are named or referenced by
  | 'ARCHIVE_DIFFID_MISMATCH' // a layer's uncompressed digest differs from the config's diff_id
  | 'ARCHIVE_LIMIT' // a bound on sizes or counts was hit
  | 'ARCHIVE_UNSAFE' // a member path, link or type that could escape or confuse
  | 'ARCHIVE_EMPTY' // neither manifest.json nor index.json
  | 'ARCHIVE_CORRUPT' // the tar or its compression is damaged (truncated, bad checksum)
  | 'ARCHIVE_STORE'; // the store refused (quota, missing image on export)

export interface ArchiveErrorData {
  name: 'ArchiveError';
  code: ArchiveErrorCode;
  message: string;
  member?: string;
  digest?: string;
}

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError' as const;
  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
    readonly member?: string,
    readonly digest?: string,
  ) {
    super(message);
  }

  toJSON(): ArchiveErrorData {
    const d: ArchiveErrorData = { name: this.name, code: this.code, message: this.message };
    if (this.member !== undefined) d.member = this.member;
    if (this.digest !== undefined) d.digest = this.digest;
    return d;
  }

  static from(d: ArchiveErrorData): ArchiveError {
    return new ArchiveError(d.code, d.message, d.member, d.digest);
  }
}

export function isArchiveError(e: unknown): e is ArchiveError {
  return e instanceof ArchiveError;
}
