/**
 * What every part of the store shares: the database connection, the one transaction helper,
 * the locks and the change events. The locking rules live here and nowhere else (src/store/
 * README.md explains them):
 *
 * - Readers never lock: every read is one readonly transaction (`read`).
 * - A mutation is one readwrite transaction (`write`), announced to this tab and to the others
 *   only after it committed. Mutations whose checks span records (images, tags, gc) hold the
 *   store lock `layerscope-store` around it: one such writer at a time across tabs and workers.
 * - A blob being written holds `layerscope-blob:<digest>` (one writer per blob); a pull holds a
 *   lease `layerscope-lease:<id>/<digests>` on what it will commit. gc spares what either
 *   protects, and taking either passes through the store lock (`fence`), so a gc either sees
 *   the lock or has already finished.
 * - idb's sharp edge: a transaction commits as soon as control returns to the event loop with
 *   no request pending. Never await unrelated work (network, hashing, locks) inside a
 *   transaction's function; do it before (`prepare`), then open the transaction.
 */
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import type { Digest } from '../core/digest.ts';
import { StoreError, toStoreError } from './errors.ts';
import { holdLock, memoryLocks, webLocks, type LockProvider } from './locks.ts';
import { DEFAULT_CHUNK_SIZE, type LayerscopeDB, type StoreName } from './schema.ts';

/** Web Lock serializing writers across tabs and workers. */
export const STORE_LOCK = 'layerscope-store';
/** BroadcastChannel announcing committed changes to other tabs. */
export const CHANGE_CHANNEL = 'layerscope-store';
const BLOB_LOCK_PREFIX = 'layerscope-blob:';
const LEASE_LOCK_PREFIX = 'layerscope-lease:';

/**
 * A partial blob whose last write is younger than this survives gc: it may belong to a pull
 * running in a tab without Web Locks, or one that was just interrupted and will resume.
 */
export const DEFAULT_PARTIAL_GRACE_MS = 60 * 60 * 1000;

/** A committed change, sent to listeners in this context and to other tabs. */
export interface StoreChange {
  type: 'layerscope-store-change';
  db: string;
  op: 'blob' | 'manifest' | 'layerIndex' | 'commitImage' | 'tag' | 'untag' | 'deleteImage' | 'gc' | 'peek';
  digest?: string;
  imageId?: string;
  names?: string[];
}

/** What a mutation announces: the change without the envelope. */
type Announcement = Omit<StoreChange, 'type' | 'db'>;

/** The subset of BroadcastChannel the store uses. */
export interface ChangeChannel {
  postMessage(message: unknown): void;
  addEventListener?(type: 'message', listener: (event: { data: unknown }) => void): void;
  close?(): void;
}

export interface KernelOptions {
  /** Default: `navigator.locks`, else a lock manager shared by this realm. */
  locks?: LockProvider;
  /** Default: a BroadcastChannel named `layerscope-store` when present; null disables. */
  channel?: ChangeChannel | null;
  chunkSize?: number;
  partialGraceMs?: number;
  /** Clock (ms since the epoch), injectable for tests. */
  now?: () => number;
}

interface WriteOptions<T, P> {
  /** 'store': hold the store lock from before `prepare` until the transaction settled. */
  lock?: 'store';
  /** Work outside IndexedDB (lock queries, clocks) done before the transaction opens. */
  prepare?: () => Promise<P>;
  /** The change to announce once the transaction committed; undefined: nothing changed. */
  announce?: (result: T) => Announcement | undefined;
}

type Tx<N extends StoreName[], M extends IDBTransactionMode> = IDBPTransaction<LayerscopeDB, N, M>;

let realmLocks: LockProvider | undefined;
let leaseCounter = 0;

function defaultLocks(): LockProvider {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator;
  if (nav?.locks) return webLocks(nav.locks);
  return (realmLocks ??= memoryLocks());
}

/** The key range of one blob's chunks. */
export function chunkRange(digest: string): IDBKeyRange {
  // Keys are [digest, n]; n ≥ 0, so [digest, 0] … [digest, +∞] spans exactly this blob.
  return IDBKeyRange.bound([digest, 0], [digest, Infinity]);
}

/**
 * Marks a request promise as handled. A transaction that aborts mid-way rejects every pending
 * request; when a later request throws synchronously, earlier ones are never awaited, and
 * would surface as unhandled rejections. The error still reaches the caller through the
 * transaction helper.
 */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

export class StoreKernel {
  readonly name: string;
  readonly chunkSize: number;
  readonly partialGraceMs: number;
  readonly now: () => number;
  private readonly locks: LockProvider;
  private readonly channel: ChangeChannel | null;
  private readonly ownsChannel: boolean;
  private readonly listeners = new Set<(change: StoreChange) => void>();

  constructor(
    private readonly db: IDBPDatabase<LayerscopeDB>,
    options: KernelOptions = {},
  ) {
    this.name = db.name;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < 1)
      throw new StoreError('INVALID_ARGUMENT', 'chunkSize must be a positive integer');
    this.partialGraceMs = options.partialGraceMs ?? DEFAULT_PARTIAL_GRACE_MS;
    this.now = options.now ?? Date.now;
    this.locks = options.locks ?? defaultLocks();
    if (options.channel !== undefined) {
      this.channel = options.channel;
      this.ownsChannel = false;
    } else {
      const BC = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
      this.channel = BC ? new BC(CHANGE_CHANNEL) : null;
      this.ownsChannel = this.channel !== null;
    }
    this.channel?.addEventListener?.('message', (event) => {
      const data = event.data as Partial<StoreChange> | null;
      if (data?.type === 'layerscope-store-change' && data.db === this.name) this.emit(data as StoreChange);
    });
  }

  close(): void {
    this.listeners.clear();
    if (this.ownsChannel) this.channel?.close?.();
    this.db.close();
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ── transactions ───────────────────────────────────────────────────────────────────────

  /** One readonly transaction; no lock. `fn` may only await requests of `tx`. */
  read<const N extends StoreName[], T>(names: N, what: string, fn: (tx: Tx<N, 'readonly'>) => Promise<T>): Promise<T> {
    return this.run(names, 'readonly', what, fn);
  }

  /**
   * One readwrite transaction: under the store lock when `lock: 'store'`, after `prepare` (run
   * under that lock, before the transaction opens), announced when it committed. `fn` may only
   * await requests of `tx`; if it throws, nothing it wrote stays and nothing is announced.
   */
  async write<const N extends StoreName[], T, P = undefined>(
    names: N,
    what: string,
    fn: (tx: Tx<N, 'readwrite'>, prepared: P) => Promise<T>,
    options: WriteOptions<T, P> = {},
  ): Promise<T> {
    const attempt = async () => {
      const prepared = options.prepare ? await options.prepare() : (undefined as P);
      return this.run(names, 'readwrite', what, (tx) => fn(tx, prepared));
    };
    const result = await (options.lock === 'store' ? this.exclusive(attempt) : attempt());
    const change = options.announce?.(result);
    if (change) this.announce(change);
    return result;
  }

  /**
   * Errors come out as StoreError, quota failures (on a request, or at commit) as
   * QUOTA_EXCEEDED, the transaction's own error taking precedence in the diagnosis.
   */
  private async run<const N extends StoreName[], M extends IDBTransactionMode, T>(
    names: N,
    mode: M,
    what: string,
    fn: (tx: Tx<N, M>) => Promise<T>,
  ): Promise<T> {
    let tx: Tx<N, M>;
    try {
      tx = this.db.transaction(names, mode);
    } catch (e) {
      throw toStoreError(e, what);
    }
    try {
      const work = fn(tx).catch((e: unknown) => {
        try {
          tx.abort();
        } catch {
          // Already finished or aborting (a failed request aborts it).
        }
        throw e;
      });
      const [result] = await Promise.all([work, tx.done]);
      return result;
    } catch (e) {
      throw toStoreError(e, what, tx.error);
    }
  }

  // ── locks ──────────────────────────────────────────────────────────────────────────────

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.locks.request(STORE_LOCK, { mode: 'exclusive' }, fn);
  }

  /** Waits for any running store-lock holder (a gc) to finish; later ones will see our lock. */
  private fence(): Promise<void> {
    return this.exclusive(async () => {});
  }

  /** Takes `name`, then (when it protects from gc) passes through the store lock. */
  private async hold(name: string, fence: boolean): Promise<() => void> {
    const release = await holdLock(this.locks, name, 'exclusive');
    if (!fence) return release;
    try {
      await this.fence();
    } catch (e) {
      release();
      throw e;
    }
    return release;
  }

  /**
   * The blob's writer lock: waits while another tab writes the same blob. `write` protects
   * the partial blob from gc (and fences); `delete` only keeps writers out.
   */
  lockBlob(digest: Digest, purpose: 'write' | 'delete'): Promise<() => void> {
    return this.hold(BLOB_LOCK_PREFIX + digest, purpose === 'write');
  }

  /** A lease: protects `digests` from gc in every tab until released; dies with the tab. */
  lockLease(digests: readonly Digest[]): Promise<() => void> {
    const id = `${Date.now().toString(36)}${(leaseCounter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    return this.hold(`${LEASE_LOCK_PREFIX}${id}/${[...new Set(digests)].join(',')}`, true);
  }

  /** Digests protected from gc by a held blob lock or lease, in any tab. */
  async protectedDigests(): Promise<Set<string>> {
    const out = new Set<string>();
    const { held = [] } = await this.locks.query();
    for (const l of held) {
      const name = l.name ?? '';
      if (name.startsWith(BLOB_LOCK_PREFIX)) out.add(name.slice(BLOB_LOCK_PREFIX.length));
      else if (name.startsWith(LEASE_LOCK_PREFIX)) {
        const list = name.slice(LEASE_LOCK_PREFIX.length).split('/')[1] ?? '';
        for (const d of list.split(',')) if (d) out.add(d);
      }
    }
    return out;
  }

  // ── change events ──────────────────────────────────────────────────────────────────────

  private emit(change: StoreChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (e) {
        console.error('layerscope store: change listener failed', e);
      }
    }
  }

  private announce(fields: Announcement): void {
    const change: StoreChange = { type: 'layerscope-store-change', db: this.name, ...fields };
    try {
      this.channel?.postMessage(change);
    } catch {
      // A closed channel: other tabs refresh on their next read.
    }
    this.emit(change);
  }
}
