/**
 * Typed tar errors, in the one error model of src/core/errors.ts. `toJSON()` gives a plain
 * `{ name, code, message, path? }` that survives `postMessage`; `TarError.from()` (an alias of
 * `reviveError()`) revives it on the other side.
 */
import { LayerscopeError, registerErrorClass, reviveError, type TarErrorCode } from '../errors.ts';

export type { TarErrorCode };

export interface TarErrorData {
  name: 'TarError';
  code: TarErrorCode;
  message: string;
  path?: string;
}

export class TarError extends LayerscopeError {
  override readonly name = 'TarError' as const;
  declare readonly code: TarErrorCode;
  /** The entry path the error is about, when known. */
  readonly path: string | undefined;

  constructor(code: TarErrorCode, message: string, path?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.path = path;
  }

  override toJSON(): TarErrorData {
    return super.toJSON() as TarErrorData;
  }

  /** Alias of `reviveError()` for tar error data. */
  static from(d: TarErrorData): TarError {
    const e = reviveError(d);
    if (e instanceof TarError) return e;
    throw new TypeError('not TarError data');
  }
}
registerErrorClass('TarError', TarError);
