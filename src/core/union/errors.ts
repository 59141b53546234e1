/** Why a layer was refused, in the one error model of src/core/errors.ts. */
import { LayerscopeError, registerErrorClass, type UnionErrorCode } from '../errors.ts';

export type { UnionErrorCode };

export class UnionError extends LayerscopeError {
  override readonly name = 'UnionError' as const;
  declare readonly code: UnionErrorCode;
  constructor(
    code: UnionErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(code, message);
  }
}
registerErrorClass('UnionError', UnionError);
