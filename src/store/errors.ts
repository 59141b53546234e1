/**
 * Typed store errors. Stable `code`s and plain fields only, so an error survives `postMessage`
 * (comlink forwards name/message; `toJSON()` / `storeErrorFrom()` carry the rest).
 */

export type StoreErrorCode =
  /** No such blob, manifest, image or tag. */
  | 'NOT_FOUND'
  /** commitImage: a blob the image needs is absent or not complete. */
  | 'BLOB_INCOMPLETE'
  /** commitImage: the image's manifest (or index) is not stored. */
  | 'MANIFEST_MISSING'
  /** An ID prefix matches more than one image. */
  | 'AMBIGUOUS_ID'
  /** deleteImage without `force` while tags still point to the image. */
  | 'IMAGE_REFERENCED'
  /** The browser refused a write: its storage quota is full. */
  | 'QUOTA_EXCEEDED'
  /** putBlob: the bytes do not hash to the digest. */
  | 'DIGEST_MISMATCH'
  /** More bytes than declared, or than the caller allowed to read. */
  | 'TOO_LARGE'
  /** A malformed digest, size, tag name or record. */
  | 'INVALID_ARGUMENT'
  /** A blob changed under a reader or writer (removed by another tab, chunk missing). */
  | 'BLOB_CONFLICT'
  /** The database was upgraded by a newer version of the app (reload to get it). */
  | 'VERSION_TOO_NEW'
  /** The store was closed (or another tab upgraded the schema). */
  | 'CLOSED'
  /** Any other IndexedDB failure. */
  | 'IDB_ERROR';

export type StoreErrorDetails = Record<string, string | number | boolean | string[]>;

export interface PlainStoreError {
  name: 'StoreError';
  code: StoreErrorCode;
  message: string;
  details?: StoreErrorDetails;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  readonly details: StoreErrorDetails | undefined;

  constructor(code: StoreErrorCode, message: string, details?: StoreErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  toJSON(): PlainStoreError {
    const plain: PlainStoreError = { name: 'StoreError', code: this.code, message: this.message };
    if (this.details) plain.details = this.details;
    return plain;
  }
}

/** Rebuilds a StoreError from its plain form (after postMessage); undefined for anything else. */
export function storeErrorFrom(value: unknown): StoreError | undefined {
  if (value instanceof StoreError) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<PlainStoreError>;
  if (v.name !== 'StoreError' || typeof v.code !== 'string' || typeof v.message !== 'string') return undefined;
  return new StoreError(v.code, v.message, v.details);
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
