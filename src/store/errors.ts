/**
 * Typed store errors, in the one error model of src/core/errors.ts: stable `code`s and plain
 * fields only, so an error survives `postMessage` (`toJSON()` / `reviveError()`, alias
 * `storeErrorFrom()`).
 */
import {
  LayerscopeError,
  registerErrorClass,
  reviveError,
  type StoreErrorCode,
  type StoreErrorDetails,
} from '../core/errors.ts';

export type { StoreErrorCode, StoreErrorDetails };

export interface PlainStoreError {
  name: 'StoreError';
  code: StoreErrorCode;
  message: string;
  details?: StoreErrorDetails;
}

export class StoreError extends LayerscopeError {
  override readonly name = 'StoreError';
  declare readonly code: StoreErrorCode;
  readonly details: StoreErrorDetails | undefined;

  constructor(code: StoreErrorCode, message: string, details?: StoreErrorDetails, options?: { cause?: unknown }) {
    super(code, message, options);
    this.details = details;
  }

  override toJSON(): PlainStoreError {
    return super.toJSON() as PlainStoreError;
  }
}
registerErrorClass('StoreError', StoreError);

/** Rebuilds a StoreError from its plain form (after postMessage); undefined for anything else. */
export function storeErrorFrom(value: unknown): StoreError | undefined {
  if (value instanceof StoreError) return value;
  if ((value as { name?: unknown } | null)?.name !== 'StoreError') return undefined;
  const e = reviveError(value);
  return e instanceof StoreError ? e : undefined;
}

export function isStoreError(value: unknown, code?: StoreErrorCode): value is StoreError {
  return value instanceof StoreError && (code === undefined || value.code === code);
}

const QUOTA_NAMES = new Set(['QuotaExceededError', 'NS_ERROR_DOM_QUOTA_REACHED']);

/** True for the quota failures browsers report, on the request or on the aborted transaction. */
export function isQuotaError(e: unknown, txError?: unknown): boolean {
  const name = (x: unknown) => (typeof x === 'object' && x !== null ? (x as { name?: unknown }).name : undefined);
  return QUOTA_NAMES.has(String(name(e))) || QUOTA_NAMES.has(String(name(txError)));
}

/** Maps any failure of a store operation to a StoreError; `what` names what was being done. */
export function toStoreError(e: unknown, what: string, txError?: unknown): StoreError {
  if (e instanceof StoreError) return e;
  if (isQuotaError(e, txError)) {
    return new StoreError(
      'QUOTA_EXCEEDED',
      `The browser's storage quota is full: could not ${what}. ` +
        'Remove images (docker rmi, docker image prune) or allow this site more storage, then retry.',
      undefined,
      { cause: e },
    );
  }
  const name = typeof e === 'object' && e !== null ? String((e as { name?: unknown }).name) : 'Error';
  if (name === 'VersionError') {
    return new StoreError(
      'VERSION_TOO_NEW',
      'The stored data was upgraded by a newer version of Layerscope: reload the page to use it.',
      undefined,
      { cause: e },
    );
  }
  if (name === 'InvalidStateError') {
    return new StoreError('CLOSED', `The store is closed: could not ${what}.`, undefined, { cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new StoreError('IDB_ERROR', `IndexedDB failed to ${what}: ${name}: ${msg}`, undefined, { cause: e });
}
