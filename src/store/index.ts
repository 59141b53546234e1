/** The store's public surface: open it, use the Store, read its errors. */
export { openStore, Store } from './store.ts';
export type { BlobWriter, Lease, StoreOptions } from './store.ts';

export { memoryLocks } from './locks.ts';
