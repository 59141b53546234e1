/**
 * Archive errors (docker save / load, OCI layouts), in the one error model of
 * src/core/errors.ts. `member` names the tar member the error is about and `digest` the blob,
 * when known.
 */
import { LayerscopeError, registerErrorClass, reviveError, type ArchiveErrorCode } from '../errors.ts';

export type { ArchiveErrorCode };

export interface ArchiveErrorData {
  name: 'ArchiveError';
  code: ArchiveErrorCode;
  message: string;
  member?: string;
  digest?: string;
}

export class ArchiveError extends LayerscopeError {
  override readonly name = 'ArchiveError' as const;
  declare readonly code: ArchiveErrorCode;
  constructor(
    code: ArchiveErrorCode,
    message: string,
    readonly member?: string,
    readonly digest?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  override toJSON(): ArchiveErrorData {
    return super.toJSON() as ArchiveErrorData;
  }

  /** Alias of `reviveError()` for archive error data. */
  static from(d: ArchiveErrorData): ArchiveError {
    const e = reviveError(d);
    if (e instanceof ArchiveError) return e;
    throw new TypeError('not ArchiveError data');
  }
}
registerErrorClass('ArchiveError', ArchiveError);
