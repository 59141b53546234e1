import type { TarErrorCode } from '../tar/errors.ts';

/**
 * Errors about one layer blob. `code` is stable; tar errors keep their TAR_* code with the
 * layer named in the message. `toJSON()` gives a plain object that survives postMessage.
 */
export type LayerErrorCode =
  | 'LAYER_DIGEST_MISMATCH'
  | 'LAYER_DIFFID_MISMATCH'
  | 'LAYER_SIZE_MISMATCH'
  | 'LAYER_CORRUPT' // decompression failed (bad gzip/zstd data, truncated stream)
  | 'LAYER_LIMIT' // a bound was hit (zstd window, file larger than maxBytes)
  | TarErrorCode;

export interface LayerErrorData {
  name: 'LayerError';
  code: LayerErrorCode;
  message: string;
  layer?: string;
  path?: string;
}

export class LayerError extends Error {
  override readonly name = 'LayerError' as const;
  constructor(
    readonly code: LayerErrorCode,
    message: string,
    /** The layer's digest when known. */
    readonly layer?: string,
    /** The entry path, for tar errors about one entry. */
    readonly path?: string,
  ) {
    super(message);
  }

  toJSON(): LayerErrorData {
    const d: LayerErrorData = { name: this.name, code: this.code, message: this.message };
    if (this.layer !== undefined) d.layer = this.layer;
    if (this.path !== undefined) d.path = this.path;
    return d;
  }

  static from(d: LayerErrorData): LayerError {
    return new LayerError(d.code, d.message, d.layer, d.path);
  }
}
