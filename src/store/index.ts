/** The store's public surface: open it, use the Store, read its errors. */
export {
  openStore,
  Store,
  STORE_LOCK,
  CHANGE_CHANNEL,
  DEFAULT_PARTIAL_GRACE_MS,
  MAX_PUT_BLOB_BYTES,
  MAX_MANIFEST_BYTES,
} from './store.ts';
export type {
  BlobWriter,
  BlobState,
  CommitResult,
  GcResult,
  Lease,
  Usage,
  StoreChange,
  ChangeChannel,
  StorageLike,
  StoreOptions,
} from './store.ts';
export { StoreError, storeErrorFrom, isStoreError, isQuotaError } from './errors.ts';
export type { StoreErrorCode, StoreErrorDetails, PlainStoreError } from './errors.ts';
export { memoryLocks, webLocks, holdLock } from './locks.ts';
export type { LockProvider, LockMode, HeldLock } from './locks.ts';
export { DB_NAME, DB_VERSION, DEFAULT_CHUNK_SIZE, MIGRATIONS, upgrade } from './schema.ts';
export type { BlobRecord, ChunkRecord, ManifestRecord, LayerIndexRecord, LayerscopeDB, Migration } from './schema.ts';
export { openDatabase } from './db.ts';
export type { OpenDatabaseOptions } from './db.ts';
