/**
 * Typed tar errors. `code` is stable; `toJSON()` gives a plain `{ name, code, message, path? }`
 * that survives `postMessage`/structured clone (an Error's own extra fields do not, in Chromium),
 * and `TarError.from()` revives it on the other side.
 */
export type TarErrorCode =
  | 'TAR_PATH_ESCAPE' // `..` component or absolute path (entry or hard-link target)
  | 'TAR_TRUNCATED' // EOF inside a header or a body
  | 'TAR_BAD_CHECKSUM'
  | 'TAR_BAD_HEADER' // unparsable numeric field, negative number, NUL in a name, bad PAX record
  | 'TAR_LIMIT' // a size bound set by the caller (PAX size, long name, entry count, size > 2^53)
  | 'TAR_UNSUPPORTED' // sparse files, multi-volume, unknown entry types
  | 'TAR_WRITE'; // writer misuse: body length differs from the declared size, bad field

export interface TarErrorData {
  name: 'TarError';
  code: TarErrorCode;
  message: string;
  path?: string;
}

export class TarError extends Error {
  override readonly name = 'TarError' as const;
  readonly code: TarErrorCode;
  /** The entry path the error is about, when known. */
  readonly path: string | undefined;

  constructor(code: TarErrorCode, message: string, path?: string) {
    super(message);
    this.code = code;
    this.path = path;
  }

  toJSON(): TarErrorData {
    const d: TarErrorData = { name: this.name, code: this.code, message: this.message };
    if (this.path !== undefined) d.path = this.path;
    return d;
  }

  static from(d: TarErrorData): TarError {
    return new TarError(d.code, d.message, d.path);
  }
}

export function isTarError(e: unknown): e is TarError {
  return e instanceof TarError;
}
