/** Damaged or oversized gzip/zstd data, in the one error model of src/core/errors.ts. */
import { LayerscopeError, registerErrorClass, type CompressionErrorCode } from './errors.ts';

export type { CompressionErrorCode };

export class CompressionError extends LayerscopeError {
  override readonly name = 'CompressionError' as const;
  declare readonly code: CompressionErrorCode;
  constructor(code: CompressionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
registerErrorClass('CompressionError', CompressionError);
