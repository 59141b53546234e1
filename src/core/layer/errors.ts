/**
 * Errors about one layer blob, in the one error model of src/core/errors.ts. Tar errors keep
 * their TAR_* code with the layer named in the message.
 */
import { LayerscopeError, registerErrorClass, reviveError, type LayerErrorCode } from '../errors.ts';

export type { LayerErrorCode };

export interface LayerErrorData {
  name: 'LayerError';
  code: LayerErrorCode;
  message: string;
  layer?: string;
  path?: string;
}

export class LayerError extends LayerscopeError {
  override readonly name = 'LayerError' as const;
  declare readonly code: LayerErrorCode;
  constructor(
    code: LayerErrorCode,
    message: string,
    /** The layer's digest when known. */
    readonly layer?: string,
    /** The entry path, for tar errors about one entry. */
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  override toJSON(): LayerErrorData {
    return super.toJSON() as LayerErrorData;
  }

  /** Alias of `reviveError()` for layer error data. */
  static from(d: LayerErrorData): LayerError {
    const e = reviveError(d);
    if (e instanceof LayerError) return e;
    throw new TypeError('not LayerError data');
  }
}
registerErrorClass('LayerError', LayerError);
