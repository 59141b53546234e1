/** Pull failures of the pull itself (config, sizes, interrupted downloads), in the one error model. */
import { LayerscopeError, registerErrorClass, type PullErrorCode } from './errors.ts';

export type { PullErrorCode };

export class PullError extends LayerscopeError {
  override name = 'PullError';
  declare readonly code: PullErrorCode;
  constructor(code: PullErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
registerErrorClass('PullError', PullError);
