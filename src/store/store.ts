/**
 * The store: the only door to IndexedDB (DESIGN.md "Data model", issue 4 §2–3).
 *
 * Consistency rules, in short:
 * - Blobs are content-addressed and written first, chunk by chunk; each chunk and the record's
 *   progress are one transaction, so a closed tab leaves a resumable partial blob, never a torn
 *   one. `complete` is set only by the caller, after it verified the digest.
 * - An image and its tags are committed in ONE transaction that first checks every blob and
 *   manifest the image needs: a crash leaves no half image visible.
 * - Multi-step mutations hold the Web Lock `layerscope-store` (one writer across tabs and
 *   workers); a blob being written holds `layerscope-blob:<digest>` (one writer per blob);
 *   a pull holds a lease (`layerscope-lease:…`) on the digests it will commit. gc honours
 *   blob locks and leases, and taking either passes through the store lock, so a gc either
 *   sees it or has already finished.
 * - Readers never lock: every read is one IndexedDB transaction.
 * - idb's sharp edge: a transaction commits as soon as control returns to the event loop with
 *   no request pending. Never await unrelated work (network, hashing, locks) inside `run()`;
 *   do it before, then open the transaction.
 */
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { isDigest, type Digest } from '../core/digest.ts';
import type { ImageRecord, RemovalStep, TagRecord } from '../core/model.ts';
import { openDatabase, type OpenDatabaseOptions } from './db.ts';
import { StoreError, toStoreError } from './errors.ts';
import { holdLock, memoryLocks, webLocks, type LockProvider } from './locks.ts';
import { DEFAULT_CHUNK_SIZE, type BlobRecord, type ChunkRecord, type LayerscopeDB, type StoreName } from './schema.ts';

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
/** Cap for putBlob (configs): bigger blobs go through beginBlob. */
export const MAX_PUT_BLOB_BYTES = 64 * 1024 * 1024;
/** Cap for a stored manifest (containerd uses 4 MiB too). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TAG_NAME = 1024;
const MAX_MEDIA_TYPE = 255;

export type BlobState = 'complete' | 'absent' | { partial: number };

/** A committed change, sent to listeners in this context and to other tabs. */
export interface StoreChange {
  type: 'layerscope-store-change';
  db: string;
  op: 'blob' | 'manifest' | 'layerIndex' | 'commitImage' | 'tag' | 'untag' | 'deleteImage' | 'gc';
  digest?: string;
  imageId?: string;
  names?: string[];
}

/** The subset of BroadcastChannel the store uses. */
export interface ChangeChannel {
  postMessage(message: unknown): void;
  addEventListener?(type: 'message', listener: (event: { data: unknown }) => void): void;
  close?(): void;
}

/** The subset of StorageManager the store uses. */
export interface StorageLike {
  estimate?(): Promise<{ usage?: number; quota?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

export interface StoreOptions extends OpenDatabaseOptions {
  /** Default: `navigator.locks`, else a lock manager shared by this realm. */
  locks?: LockProvider;
  /** Default: a BroadcastChannel named `layerscope-store` when present; null disables. */
  channel?: ChangeChannel | null;
  /** Default: `navigator.storage`. */
  storage?: StorageLike | null;
  chunkSize?: number;
  partialGraceMs?: number;
  /** Clock (ms since the epoch), injectable for tests. */
  now?: () => number;
}

export interface BlobWriter {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
  /**
   * Bytes durably stored. Right after beginBlob it is where an earlier interrupted attempt
   * stopped: fetch the rest with `Range: bytes=<offset>-`, and hash the stored prefix first
   * (`readBlob(digest, { allowPartial: true })`). Always a multiple of the chunk size.
   */
  readonly offset: number;
  /** Bytes accepted so far: `offset` plus what is buffered for the next chunk. */
  readonly received: number;
  /** The blob was already complete: nothing to write, complete()/abort() do nothing. */
  readonly alreadyComplete: boolean;
  /** Buffers to the chunk size and stores each full chunk (one transaction per chunk). */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes and marks the blob complete. Call only after verifying the digest. */
  complete(): Promise<void>;
  /** Deletes everything stored for this digest (unless it was already complete). */
  abort(): Promise<void>;
  /** Stops, keeping the stored chunks for a later resume (the buffered tail is dropped). */
  release(): void;
}

export interface CommitResult {
  imageId: Digest;
  /** The image was not stored before. */
  newImage: boolean;
  /** Tags that pointed to another image and now point here (`Downloaded newer image`). */
  moved: { name: string; from: Digest }[];
  /** Tags that did not exist before. */
  added: string[];
  /** Tags that already pointed to this image (`Image is up to date`). */
  unchanged: string[];
}

export interface Usage {
  /** Bytes of complete blobs, each stored once (after dedup). */
  blobBytes: number;
  blobCount: number;
  partialBytes: number;
  partialCount: number;
  manifestBytes: number;
  manifestCount: number;
  layerIndexCount: number;
  imageCount: number;
  tagCount: number;
}

export interface GcResult {
  deletedBlobs: number;
  /** Bytes of the deleted blobs (complete: size; partial: bytes written). */
  reclaimedBytes: number;
  deletedDigests: Digest[];
  deletedManifests: number;
  deletedLayerIndexes: number;
  deletedOrphanChunks: number;
  /** Unreferenced partial blobs kept: younger than the grace period, or being written. */
  keptPartials: number;
}

export interface Lease {
  release(): void;
}

type Tx<N extends StoreName[], M extends IDBTransactionMode> = IDBPTransaction<LayerscopeDB, N, M>;

let realmLocks: LockProvider | undefined;
let leaseCounter = 0;

function defaultLocks(): LockProvider {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator;
  if (nav?.locks) return webLocks(nav.locks);
  return (realmLocks ??= memoryLocks());
}

function chunkRange(digest: string): IDBKeyRange {
  // Keys are [digest, n]; n ≥ 0, so [digest, 0] … [digest, +∞] spans exactly this blob.
  return IDBKeyRange.bound([digest, 0], [digest, Infinity]);
}

function short(d: string): string {
  return d.length > 19 ? `${d.slice(0, 19)}…` : d;
}

function checkDigest(d: unknown, what: string): asserts d is Digest {
  if (typeof d !== 'string' || !isDigest(d)) {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `${what} is not a sha256 digest: ${JSON.stringify(String(d).slice(0, 80))}`,
    );
  }
}

function checkSize(n: unknown, what: string): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new StoreError('INVALID_ARGUMENT', `${what} must be a non-negative integer, got ${String(n)}`);
  }
}

function checkMediaType(m: unknown): asserts m is string {
  if (typeof m !== 'string' || m.length > MAX_MEDIA_TYPE) {
    throw new StoreError('INVALID_ARGUMENT', `media type must be a string of at most ${MAX_MEDIA_TYPE} characters`);
  }
}

/** Tags are normalized `registry/repository:tag` names (normalization is the caller's job). */
function checkTagName(name: unknown): asserts name is string {
  const ok =
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_TAG_NAME &&
    !/[\s\u0000-\u001f@]/.test(name) &&
    (name.split('/').pop() ?? '').includes(':');
  if (!ok) {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `not a normalized tag name (registry/repository:tag): ${JSON.stringify(String(name).slice(0, 120))}`,
    );
  }
}

function checkImage(image: ImageRecord): void {
  if (typeof image !== 'object' || image === null) throw new StoreError('INVALID_ARGUMENT', 'image record missing');
  checkDigest(image.id, 'image id');
  checkDigest(image.manifestDigest, 'manifest digest');
  if (image.indexDigest !== undefined) checkDigest(image.indexDigest, 'index digest');
  if (!Array.isArray(image.layers)) throw new StoreError('INVALID_ARGUMENT', 'image layers must be an array');
  image.layers.forEach((l, i) => {
    checkDigest(l.digest, `layer ${i} digest`);
    checkDigest(l.diffId, `layer ${i} diffId`);
  });
  if (!Array.isArray(image.repoDigests)) throw new StoreError('INVALID_ARGUMENT', 'image repoDigests must be an array');
}

/**
 * Marks a request promise as handled. A transaction that aborts mid-way rejects every pending
 * request; when a later request throws synchronously, earlier ones are never awaited, and
 * would surface as unhandled rejections. The error still reaches the caller through run().
 */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const buf = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const db = await openDatabase(options);
  return new Store(db, options);
}

export class Store {
  readonly name: string;
  readonly chunkSize: number;
  readonly partialGraceMs: number;
  private readonly locks: LockProvider;
  private readonly channel: ChangeChannel | null;
  private readonly ownsChannel: boolean;
  private readonly storage: StorageLike | null;
  private readonly now: () => number;
  private readonly listeners = new Set<(change: StoreChange) => void>();

  /** Use openStore(). */
  constructor(
    private readonly db: IDBPDatabase<LayerscopeDB>,
    options: StoreOptions = {},
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
    this.storage =
      options.storage !== undefined
        ? options.storage
        : ((globalThis as { navigator?: { storage?: StorageLike } }).navigator?.storage ?? null);
  }

  close(): void {
    this.listeners.clear();
    if (this.ownsChannel) this.channel?.close?.();
    this.db.close();
  }

  /** Changes committed here or in another tab/worker. Returns an unsubscribe function. */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ── plumbing ───────────────────────────────────────────────────────────────────────────

  /**
   * One transaction. `fn` may only await requests of `tx` (see the header). If `fn` throws,
   * the transaction is aborted: nothing it wrote stays. Errors come out as StoreError, quota
   * failures (on a request, or at commit) as QUOTA_EXCEEDED.
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

  /** Runs `fn` holding the store's writer lock (across tabs). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.locks.request(STORE_LOCK, { mode: 'exclusive' }, fn);
  }

  /** Waits for any running writer (a gc) to finish; later ones will see locks taken before. */
  private fence(): Promise<void> {
    return this.exclusive(async () => {});
  }

  private emit(change: StoreChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (e) {
        console.error('layerscope store: change listener failed', e);
      }
    }
  }

  private changed(op: StoreChange['op'], fields: Omit<StoreChange, 'type' | 'db' | 'op'> = {}): void {
    const change: StoreChange = { type: 'layerscope-store-change', db: this.name, op, ...fields };
    try {
      this.channel?.postMessage(change);
    } catch {
      // A closed channel: other tabs refresh on their next read.
    }
    this.emit(change);
  }

  /** Digests protected from gc by a held blob lock or lease, in any tab. */
  private async protectedDigests(): Promise<Set<string>> {
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

  /**
   * Protects digests (blobs, manifests, layer indexes by diffId) from gc until released, in
   * every tab, and dies with the tab. A pull takes one on everything it will commit before it
   * checks what is already stored, and releases it after commitImage.
   */
  async lease(digests: Digest[]): Promise<Lease> {
    digests.forEach((d, i) => checkDigest(d, `lease digest ${i}`));
    const id = `${Date.now().toString(36)}${(leaseCounter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const release = await holdLock(
      this.locks,
      `${LEASE_LOCK_PREFIX}${id}/${[...new Set(digests)].join(',')}`,
      'exclusive',
    );
    try {
      await this.fence();
    } catch (e) {
      release();
      throw e;
    }
    return { release };
  }

  // ── blobs ──────────────────────────────────────────────────────────────────────────────

  async hasBlob(digest: Digest): Promise<BlobState> {
    checkDigest(digest, 'blob digest');
    const rec = await this.run(['blobs'], 'readonly', 'read a blob record', (tx) =>
      tx.objectStore('blobs').get(digest),
    );
    if (!rec) return 'absent';
    return rec.complete ? 'complete' : { partial: rec.bytesWritten };
  }

  async getBlobRecord(digest: Digest): Promise<BlobRecord | undefined> {
    checkDigest(digest, 'blob digest');
    return this.run(['blobs'], 'readonly', 'read a blob record', (tx) => tx.objectStore('blobs').get(digest));
  }

  /**
   * Starts (or resumes) writing a blob. Waits while another tab writes the same blob, then
   * returns a writer; finish it with complete(), abort() or release() (use try/finally: the
   * writer holds the blob's lock until then).
   */
  async beginBlob(digest: Digest, opts: { size: number; mediaType: string }): Promise<BlobWriter> {
    checkDigest(digest, 'blob digest');
    checkSize(opts.size, 'blob size');
    checkMediaType(opts.mediaType);
    const release = await holdLock(this.locks, BLOB_LOCK_PREFIX + digest, 'exclusive');
    try {
      await this.fence();
      const chunkSize = this.chunkSize;
      const rec = await this.run(
        ['blobs', 'chunks'],
        'readwrite',
        `start storing blob ${short(digest)}`,
        async (tx) => {
          const blobs = tx.objectStore('blobs');
          const existing = await blobs.get(digest);
          if (existing?.complete) return existing;
          // Same digest, other declared size or chunking: the old bytes cannot be continued.
          if (existing && existing.size === opts.size && existing.chunkSize === chunkSize) return existing;
          if (existing) await tx.objectStore('chunks').delete(chunkRange(digest));
          const now = this.now();
          const fresh: BlobRecord = {
            digest,
            size: opts.size,
            mediaType: opts.mediaType,
            chunkSize,
            chunkCount: 0,
            bytesWritten: 0,
            complete: false,
            createdAt: now,
            updatedAt: now,
          };
          await blobs.put(fresh);
          return fresh;
        },
      );
      if (rec.complete) release();
      return new ChunkedBlobWriter(digest, rec, release, {
        putChunk: (n, bytes) => this.putChunk(digest, n, bytes, chunkSize),
        markComplete: () => this.markComplete(digest),
        discard: () => this.discardLocked(digest),
      });
    } catch (e) {
      release();
      throw e;
    }
  }

  private putChunk(digest: Digest, n: number, bytes: Uint8Array, chunkSize: number): Promise<void> {
    return this.run(['blobs', 'chunks'], 'readwrite', `store blob ${short(digest)}`, async (tx) => {
      const blobs = tx.objectStore('blobs');
      const rec = await blobs.get(digest);
      if (!rec || rec.complete || rec.chunkCount !== n || rec.chunkSize !== chunkSize) {
        throw new StoreError(
          'BLOB_CONFLICT',
          `blob ${short(digest)} changed while it was being written (removed by another tab?)`,
          { digest },
        );
      }
      await tx.objectStore('chunks').put({ digest, n, bytes });
      rec.chunkCount = n + 1;
      rec.bytesWritten += bytes.byteLength;
      rec.updatedAt = this.now();
      await blobs.put(rec);
    });
  }

  private async markComplete(digest: Digest): Promise<void> {
    await this.run(['blobs'], 'readwrite', `complete blob ${short(digest)}`, async (tx) => {
      const blobs = tx.objectStore('blobs');
      const rec = await blobs.get(digest);
      if (!rec)
        throw new StoreError('BLOB_CONFLICT', `blob ${short(digest)} was removed while it was being written`, {
          digest,
        });
      if (rec.complete) return;
      const expected = Math.ceil(rec.size / rec.chunkSize);
      if (rec.bytesWritten !== rec.size || rec.chunkCount !== expected) {
        throw new StoreError(
          'BLOB_INCOMPLETE',
          `blob ${short(digest)}: ${rec.bytesWritten} of ${rec.size} bytes stored`,
          { digest },
        );
      }
      rec.complete = true;
      rec.updatedAt = this.now();
      await blobs.put(rec);
    });
    this.changed('blob', { digest });
  }

  /** Deletes a partial blob; a complete one stays. Caller holds the blob lock. */
  private async discardLocked(digest: Digest): Promise<boolean> {
    const deleted = await this.run(['blobs', 'chunks'], 'readwrite', `discard blob ${short(digest)}`, async (tx) => {
      const blobs = tx.objectStore('blobs');
      const rec = await blobs.get(digest);
      if (rec?.complete) return false;
      await Promise.all([quiet(blobs.delete(digest)), quiet(tx.objectStore('chunks').delete(chunkRange(digest)))]);
      return rec !== undefined;
    });
    if (deleted) this.changed('blob', { digest });
    return deleted;
  }

  /** Deletes a partial blob (waits if a writer holds it). True when something was deleted. */
  async discardPartial(digest: Digest): Promise<boolean> {
    checkDigest(digest, 'blob digest');
    const release = await holdLock(this.locks, BLOB_LOCK_PREFIX + digest, 'exclusive');
    try {
      return await this.discardLocked(digest);
    } finally {
      release();
    }
  }

  /** Stores a small, whole blob (a config) in one transaction, after checking its digest. */
  async putBlob(digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void> {
    checkDigest(digest, 'blob digest');
    checkMediaType(mediaType);
    if (!(bytes instanceof Uint8Array)) throw new StoreError('INVALID_ARGUMENT', 'blob bytes must be a Uint8Array');
    if (bytes.byteLength > MAX_PUT_BLOB_BYTES) {
      throw new StoreError(
        'TOO_LARGE',
        `blob ${short(digest)} is ${bytes.byteLength} bytes; putBlob takes at most ${MAX_PUT_BLOB_BYTES} (stream it with beginBlob)`,
      );
    }
    // Hash before the transaction: awaiting crypto inside it would let it commit early.
    const hex = await sha256Hex(bytes);
    if (`sha256:${hex}` !== digest) {
      throw new StoreError('DIGEST_MISMATCH', `blob content does not match ${digest} (got sha256:${hex})`, {
        digest,
        actual: `sha256:${hex}`,
      });
    }
    const chunkSize = this.chunkSize;
    const release = await holdLock(this.locks, BLOB_LOCK_PREFIX + digest, 'exclusive');
    try {
      await this.fence();
      const wrote = await this.run(['blobs', 'chunks'], 'readwrite', `store blob ${short(digest)}`, async (tx) => {
        const blobs = tx.objectStore('blobs');
        const chunks = tx.objectStore('chunks');
        const existing = await blobs.get(digest);
        if (existing?.complete) return false;
        if (existing) await chunks.delete(chunkRange(digest));
        const ops: Promise<unknown>[] = [];
        let n = 0;
        for (let off = 0; off < bytes.byteLength; off += chunkSize, n++) {
          ops.push(quiet(chunks.put({ digest, n, bytes: bytes.slice(off, off + chunkSize) })));
        }
        const now = this.now();
        ops.push(
          quiet(
            blobs.put({
              digest,
              size: bytes.byteLength,
              mediaType,
              chunkSize,
              chunkCount: n,
              bytesWritten: bytes.byteLength,
              complete: true,
              createdAt: existing?.createdAt ?? now,
              updatedAt: now,
            }),
          ),
        );
        await Promise.all(ops);
        return true;
      });
      if (wrote) this.changed('blob', { digest });
    } finally {
      release();
    }
  }

  /**
   * Streams a blob's bytes, one chunk per read. Complete blobs only, unless `allowPartial`
   * (to hash the stored prefix of an interrupted blob before resuming it).
   */
  readBlob(digest: Digest, opts: { start?: number; allowPartial?: boolean } = {}): ReadableStream<Uint8Array> {
    checkDigest(digest, 'blob digest');
    const start = opts.start ?? 0;
    checkSize(start, 'start offset');
    let rec: BlobRecord;
    let n = 0;
    let skip = 0;
    let end = 0;
    return new ReadableStream<Uint8Array>(
      {
        start: async () => {
          const r = await this.getBlobRecord(digest);
          if (!r) throw new StoreError('NOT_FOUND', `blob ${digest} is not stored`, { digest });
          if (!r.complete && !opts.allowPartial)
            throw new StoreError('BLOB_INCOMPLETE', `blob ${digest} is not complete`, { digest });
          rec = r;
          end = r.complete ? r.size : r.bytesWritten;
          if (start > end)
            throw new StoreError(
              'INVALID_ARGUMENT',
              `start offset ${start} is past the ${end} stored bytes of ${short(digest)}`,
            );
          n = Math.floor(start / r.chunkSize);
          skip = start - n * r.chunkSize;
        },
        pull: async (controller) => {
          if (n * rec.chunkSize + skip >= end) {
            controller.close();
            return;
          }
          const c = await this.run(['chunks'], 'readonly', `read blob ${short(digest)}`, (tx) =>
            tx.objectStore('chunks').get([digest, n]),
          );
          const want = Math.min(rec.chunkSize, rec.size - n * rec.chunkSize);
          if (!c || c.bytes.byteLength !== want) {
            throw new StoreError(
              'BLOB_CONFLICT',
              `blob ${short(digest)}: chunk ${n} is ${c ? 'the wrong size' : 'missing'} (removed while reading?)`,
              { digest },
            );
          }
          const bytes = skip ? c.bytes.subarray(skip) : c.bytes;
          skip = 0;
          n++;
          controller.enqueue(bytes);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** A small complete blob (config) as one array; refuses blobs over `maxBytes`. */
  async readBlobBytes(digest: Digest, maxBytes: number): Promise<Uint8Array> {
    checkDigest(digest, 'blob digest');
    checkSize(maxBytes, 'maxBytes');
    return this.run(['blobs', 'chunks'], 'readonly', `read blob ${short(digest)}`, async (tx) => {
      const rec = await tx.objectStore('blobs').get(digest);
      if (!rec) throw new StoreError('NOT_FOUND', `blob ${digest} is not stored`, { digest });
      if (!rec.complete) throw new StoreError('BLOB_INCOMPLETE', `blob ${digest} is not complete`, { digest });
      if (rec.size > maxBytes)
        throw new StoreError(
          'TOO_LARGE',
          `blob ${short(digest)} is ${rec.size} bytes, more than the ${maxBytes} allowed here`,
          { digest },
        );
      const chunks = await tx.objectStore('chunks').getAll(chunkRange(digest));
      const out = new Uint8Array(rec.size);
      let off = 0;
      for (const c of chunks) {
        if (off + c.bytes.byteLength > rec.size) break;
        out.set(c.bytes, off);
        off += c.bytes.byteLength;
      }
      if (off !== rec.size || chunks.length !== rec.chunkCount) {
        throw new StoreError('BLOB_CONFLICT', `blob ${short(digest)}: stored chunks do not add up to its size`, {
          digest,
        });
      }
      return out;
    });
  }

  // ── manifests and layer indexes ────────────────────────────────────────────────────────

  /**
   * Stores a manifest's exact bytes. The caller verified the digest (for signed schema 1
   * manifests it is computed over the payload without signatures, so the store cannot).
   */
  async putManifest(digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void> {
    checkDigest(digest, 'manifest digest');
    checkMediaType(mediaType);
    if (!(bytes instanceof Uint8Array)) throw new StoreError('INVALID_ARGUMENT', 'manifest bytes must be a Uint8Array');
    if (bytes.byteLength > MAX_MANIFEST_BYTES)
      throw new StoreError(
        'TOO_LARGE',
        `manifest ${short(digest)} is ${bytes.byteLength} bytes; at most ${MAX_MANIFEST_BYTES} are accepted`,
      );
    // Exactly these bytes: cloning a view of a larger buffer would store the whole buffer.
    const copy = bytes.slice();
    await this.run(['manifests'], 'readwrite', `store manifest ${short(digest)}`, async (tx) => {
      await tx.objectStore('manifests').put({ digest, mediaType, bytes: copy, storedAt: this.now() });
    });
    this.changed('manifest', { digest });
  }

  async getManifest(digest: Digest): Promise<{ bytes: Uint8Array; mediaType: string } | undefined> {
    checkDigest(digest, 'manifest digest');
    const rec = await this.run(['manifests'], 'readonly', 'read a manifest', (tx) =>
      tx.objectStore('manifests').get(digest),
    );
    return rec ? { bytes: rec.bytes, mediaType: rec.mediaType } : undefined;
  }

  async putLayerIndex<T>(diffId: Digest, encoded: T): Promise<void> {
    checkDigest(diffId, 'diffId');
    await this.run(['layerIndex'], 'readwrite', `store the file index of layer ${short(diffId)}`, async (tx) => {
      await tx.objectStore('layerIndex').put({ diffId, index: encoded, storedAt: this.now() });
    });
    this.changed('layerIndex', { digest: diffId });
  }

  async getLayerIndex<T = unknown>(diffId: Digest): Promise<T | undefined> {
    checkDigest(diffId, 'diffId');
    const rec = await this.run(['layerIndex'], 'readonly', 'read a layer index', (tx) =>
      tx.objectStore('layerIndex').get(diffId),
    );
    return rec?.index as T | undefined;
  }

  // ── images and tags ────────────────────────────────────────────────────────────────────

  /**
   * Commits an image and its tags in one transaction, after checking that its manifest (and
   * index), config blob and every layer blob are stored and complete; otherwise nothing is
   * written (BLOB_INCOMPLETE / MANIFEST_MISSING, with `details.missing`). A tag that pointed
   * to another image moves; that image stays (dangling if it has no tag left, as in Docker).
   */
  async commitImage(image: ImageRecord, tagNames: string[]): Promise<CommitResult> {
    checkImage(image);
    tagNames.forEach(checkTagName);
    const names = [...new Set(tagNames)];
    const result = await this.exclusive(() =>
      this.run(['images', 'tags', 'blobs', 'manifests'], 'readwrite', `save image ${short(image.id)}`, async (tx) => {
        const manifests = tx.objectStore('manifests');
        const blobs = tx.objectStore('blobs');
        const manifestKeys = [image.manifestDigest, ...(image.indexDigest ? [image.indexDigest] : [])];
        const missingManifests: string[] = [];
        for (const d of manifestKeys) if ((await manifests.getKey(d)) === undefined) missingManifests.push(d);
        if (missingManifests.length) {
          throw new StoreError(
            'MANIFEST_MISSING',
            `image ${short(image.id)}: manifest not stored: ${missingManifests.join(', ')}`,
            { missing: missingManifests },
          );
        }
        const missing: string[] = [];
        for (const d of new Set([image.id, ...image.layers.map((l) => l.digest)])) {
          const rec = await blobs.get(d);
          if (!rec?.complete) missing.push(d);
        }
        if (missing.length) {
          throw new StoreError(
            'BLOB_INCOMPLETE',
            `image ${short(image.id)}: ${missing.length} blob(s) missing or incomplete: ${missing.join(', ')}`,
            { missing },
          );
        }
        const images = tx.objectStore('images');
        const existing = await images.get(image.id);
        const record: ImageRecord = existing
          ? {
              ...image,
              repoDigests: [...new Set([...existing.repoDigests, ...image.repoDigests])],
              storedAt: Math.min(existing.storedAt, image.storedAt),
            }
          : image;
        await images.put(record);
        const tags = tx.objectStore('tags');
        const out: CommitResult = { imageId: image.id, newImage: !existing, moved: [], added: [], unchanged: [] };
        for (const name of names) {
          const prev = await tags.get(name);
          if (prev?.imageId === image.id) {
            out.unchanged.push(name);
            continue;
          }
          if (prev) out.moved.push({ name, from: prev.imageId });
          else out.added.push(name);
          await tags.put({ name, imageId: image.id });
        }
        return out;
      }),
    );
    this.changed('commitImage', { imageId: image.id, names });
    return result;
  }

  /** Points `name` at an image. Returns the image it pointed to before, if another. */
  async tag(imageId: Digest, name: string): Promise<{ previous?: Digest }> {
    checkDigest(imageId, 'image id');
    checkTagName(name);
    const out = await this.exclusive(() =>
      this.run(['images', 'tags'], 'readwrite', `tag ${name}`, async (tx) => {
        if ((await tx.objectStore('images').getKey(imageId)) === undefined) {
          throw new StoreError('NOT_FOUND', `No such image: ${imageId}`, { imageId });
        }
        const tags = tx.objectStore('tags');
        const prev = await tags.get(name);
        if (prev?.imageId !== imageId) await tags.put({ name, imageId });
        return prev && prev.imageId !== imageId ? { previous: prev.imageId } : {};
      }),
    );
    this.changed('tag', { imageId, names: [name] });
    return out;
  }

  /** Removes a tag; the image stays. Returns the image it pointed to. */
  async untag(name: string): Promise<Digest> {
    checkTagName(name);
    const imageId = await this.exclusive(() =>
      this.run(['tags'], 'readwrite', `untag ${name}`, async (tx) => {
        const tags = tx.objectStore('tags');
        const prev = await tags.get(name);
        if (!prev) throw new StoreError('NOT_FOUND', `No such image: ${name}`, { name });
        await tags.delete(name);
        return prev.imageId;
      }),
    );
    this.changed('untag', { imageId, names: [name] });
    return imageId;
  }

  /**
   * Deletes an image record (its blobs go at the next gc). Refuses with IMAGE_REFERENCED
   * while tags point to it, unless `force` (which removes those tags too).
   */
  async deleteImage(id: Digest, opts: { force?: boolean } = {}): Promise<{ untagged: string[] }> {
    checkDigest(id, 'image id');
    const untagged = await this.exclusive(() =>
      this.run(['images', 'tags'], 'readwrite', `delete image ${short(id)}`, async (tx) => {
        const images = tx.objectStore('images');
        if ((await images.getKey(id)) === undefined)
          throw new StoreError('NOT_FOUND', `No such image: ${id}`, { imageId: id });
        const tags = tx.objectStore('tags');
        const names = (await tags.index('imageId').getAllKeys(id)).map(String);
        if (names.length && !opts.force) {
          throw new StoreError('IMAGE_REFERENCED', `image ${short(id)} is referenced by ${names.join(', ')}`, {
            imageId: id,
            tags: names,
          });
        }
        await Promise.all([...names.map((n) => quiet(tags.delete(n))), quiet(images.delete(id))]);
        return names;
      }),
    );
    this.changed('deleteImage', { imageId: id, names: untagged });
    return { untagged };
  }

  /**
   * Applies `docker rmi` / `image prune` steps (planned in core: src/core/commands/remove.ts)
   * in ONE transaction: untag names, drop digest references, delete image records. Either all
   * steps hold or none is applied. Blobs go at the next gc.
   */
  async applyRemoval(steps: readonly RemovalStep[]): Promise<void> {
    for (const st of steps) {
      if (st.kind === 'untag') checkTagName(st.name);
      else checkDigest(st.imageId, 'image id');
    }
    await this.exclusive(() =>
      this.run(['images', 'tags'], 'readwrite', 'remove images', async (tx) => {
        const tags = tx.objectStore('tags');
        const images = tx.objectStore('images');
        for (const st of steps) {
          if (st.kind === 'untag') {
            if ((await tags.getKey(st.name)) === undefined)
              throw new StoreError('NOT_FOUND', `No such image: ${st.name}`, { name: st.name });
            await tags.delete(st.name);
          } else if (st.kind === 'untagDigest') {
            const img = await images.get(st.imageId);
            if (!img) throw new StoreError('NOT_FOUND', `No such image: ${st.imageId}`, { imageId: st.imageId });
            await images.put({ ...img, repoDigests: img.repoDigests.filter((d) => d !== st.reference) });
          } else {
            if ((await images.getKey(st.imageId)) === undefined)
              throw new StoreError('NOT_FOUND', `No such image: ${st.imageId}`, { imageId: st.imageId });
            const names = (await tags.index('imageId').getAllKeys(st.imageId)).map(String);
            if (names.length) {
              throw new StoreError(
                'IMAGE_REFERENCED',
                `image ${short(st.imageId)} is still referenced by ${names.join(', ')}`,
                { imageId: st.imageId, tags: names },
              );
            }
            await images.delete(st.imageId);
          }
        }
      }),
    );
    this.changed('deleteImage', { names: steps.flatMap((s) => (s.kind === 'untag' ? [s.name] : [])) });
  }

  async getImage(id: Digest): Promise<ImageRecord | undefined> {
    checkDigest(id, 'image id');
    return this.run(['images'], 'readonly', 'read an image', (tx) => tx.objectStore('images').get(id));
  }

  listImages(): Promise<ImageRecord[]> {
    return this.run(['images'], 'readonly', 'list images', (tx) => tx.objectStore('images').getAll());
  }

  listTags(): Promise<TagRecord[]> {
    return this.run(['tags'], 'readonly', 'list tags', (tx) => tx.objectStore('tags').getAll());
  }

  async getTag(name: string): Promise<TagRecord | undefined> {
    if (typeof name !== 'string' || name.length > MAX_TAG_NAME) return undefined;
    return this.run(['tags'], 'readonly', 'read a tag', (tx) => tx.objectStore('tags').get(name));
  }

  async tagsOf(id: Digest): Promise<string[]> {
    checkDigest(id, 'image id');
    const keys = await this.run(['tags'], 'readonly', 'list tags', (tx) =>
      tx.objectStore('tags').index('imageId').getAllKeys(id),
    );
    return keys.map(String).sort();
  }

  /**
   * Resolves what a person typed, in Docker's order: a full image ID; a tag (`name`, the
   * caller's normalized form of `ref`, then `ref` itself); a digest reference among the
   * images' repoDigests; an ID prefix of at least one hex digit (`sha256:` optional).
   * Undefined when nothing matches; AMBIGUOUS_ID when a prefix matches several images.
   */
  async lookup(ref: string, opts: { name?: string } = {}): Promise<ImageRecord | undefined> {
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > MAX_TAG_NAME) return undefined;
    const full = /^(?:sha256:)?([0-9a-f]{64})$/.exec(ref);
    if (full) return this.getImage(`sha256:${full[1]}`);
    return this.run(['images', 'tags'], 'readonly', 'look up an image', async (tx) => {
      const images = tx.objectStore('images');
      for (const name of new Set([opts.name, ref])) {
        if (!name) continue;
        const t = await tx.objectStore('tags').get(name);
        if (t) return images.get(t.imageId);
      }
      const all = await images.getAll();
      for (const name of new Set([opts.name, ref])) {
        if (!name?.includes('@sha256:')) continue;
        const hit = all.find((i) => i.repoDigests.includes(name));
        if (hit) return hit;
      }
      const prefix = /^(?:sha256:)?([0-9a-f]{1,63})$/.exec(ref);
      if (!prefix) return undefined;
      const matches = all.filter((i) => i.id.startsWith(`sha256:${prefix[1]}`));
      if (matches.length > 1) {
        throw new StoreError('AMBIGUOUS_ID', `image ID prefix ${prefix[1]} matches ${matches.length} images`, {
          prefix: prefix[1]!,
          matches: matches.map((i) => i.id),
        });
      }
      return matches[0];
    });
  }

  // ── space ──────────────────────────────────────────────────────────────────────────────

  usage(): Promise<Usage> {
    return this.run(
      ['blobs', 'manifests', 'layerIndex', 'images', 'tags'],
      'readonly',
      'measure storage',
      async (tx) => {
        const u: Usage = {
          blobBytes: 0,
          blobCount: 0,
          partialBytes: 0,
          partialCount: 0,
          manifestBytes: 0,
          manifestCount: 0,
          layerIndexCount: 0,
          imageCount: 0,
          tagCount: 0,
        };
        for (const b of await tx.objectStore('blobs').getAll()) {
          if (b.complete) {
            u.blobBytes += b.size;
            u.blobCount++;
          } else {
            u.partialBytes += b.bytesWritten;
            u.partialCount++;
          }
        }
        for (const m of await tx.objectStore('manifests').getAll()) {
          u.manifestBytes += m.bytes.byteLength;
          u.manifestCount++;
        }
        u.layerIndexCount = await tx.objectStore('layerIndex').count();
        u.imageCount = await tx.objectStore('images').count();
        u.tagCount = await tx.objectStore('tags').count();
        return u;
      },
    );
  }

  /** `navigator.storage.estimate()` plus whether storage is persistent; undefined without it. */
  async estimate(): Promise<{ usage?: number; quota?: number; persisted?: boolean } | undefined> {
    if (!this.storage?.estimate) return undefined;
    const e = await this.storage.estimate();
    const persisted = this.storage.persisted ? await this.storage.persisted() : undefined;
    return {
      ...(e.usage !== undefined && { usage: e.usage }),
      ...(e.quota !== undefined && { quota: e.quota }),
      ...(persisted !== undefined && { persisted }),
    };
  }

  /** Asks the browser not to evict this site's data; undefined when the API is absent. */
  async persist(): Promise<boolean | undefined> {
    return this.storage?.persist ? this.storage.persist() : undefined;
  }

  // ── garbage collection and invariants ──────────────────────────────────────────────────

  /**
   * Mark and sweep. Marks, for every image: its config and layer blobs, its manifest and
   * index manifest, and the layer index of every layer diffId. Sweeps every other blob (with
   * its chunks), manifest and layer index, and chunks with no blob record — EXCEPT digests
   * held by a blob lock or a lease (a pull in progress in some tab) and partial blobs written
   * to within `partialGraceMs` (a pull just interrupted, to be resumed; or running in a
   * browser without Web Locks). One transaction, under the store lock.
   */
  async gc(): Promise<GcResult> {
    const result = await this.exclusive(async () => {
      // Queried before the transaction (an await on the lock manager inside it would commit it).
      const held = await this.protectedDigests();
      const now = this.now();
      return this.run(
        ['images', 'blobs', 'chunks', 'manifests', 'layerIndex'],
        'readwrite',
        'collect garbage',
        async (tx) => {
          const marked = new Set<string>(held);
          for (const img of await tx.objectStore('images').getAll()) {
            marked.add(img.id);
            marked.add(img.manifestDigest);
            if (img.indexDigest) marked.add(img.indexDigest);
            for (const l of img.layers) {
              marked.add(l.digest);
              marked.add(l.diffId);
            }
          }
          const r: GcResult = {
            deletedBlobs: 0,
            reclaimedBytes: 0,
            deletedDigests: [],
            deletedManifests: 0,
            deletedLayerIndexes: 0,
            deletedOrphanChunks: 0,
            keptPartials: 0,
          };
          const blobs = tx.objectStore('blobs');
          const chunks = tx.objectStore('chunks');
          const ops: Promise<unknown>[] = [];
          const surviving = new Map<string, number>();
          for (const b of await blobs.getAll()) {
            if (marked.has(b.digest)) {
              if (!b.complete) r.keptPartials++; // held by a writer's lock or a lease
              surviving.set(b.digest, b.chunkCount);
              continue;
            }
            if (!b.complete && now - b.updatedAt < this.partialGraceMs) {
              r.keptPartials++;
              surviving.set(b.digest, b.chunkCount);
              continue;
            }
            r.deletedBlobs++;
            r.reclaimedBytes += b.complete ? b.size : b.bytesWritten;
            r.deletedDigests.push(b.digest);
            ops.push(quiet(blobs.delete(b.digest)), quiet(chunks.delete(chunkRange(b.digest))));
          }
          for (const key of await tx.objectStore('manifests').getAllKeys()) {
            if (marked.has(key)) continue;
            r.deletedManifests++;
            ops.push(quiet(tx.objectStore('manifests').delete(key)));
          }
          for (const key of await tx.objectStore('layerIndex').getAllKeys()) {
            if (marked.has(key)) continue;
            r.deletedLayerIndexes++;
            ops.push(quiet(tx.objectStore('layerIndex').delete(key)));
          }
          await Promise.all(ops);
          // Orphan chunks (no record, or beyond the record's count): only a bug or an old
          // schema could leave them, but they would otherwise hold space forever.
          let cursor = await chunks.openKeyCursor();
          while (cursor) {
            const [digest, n] = cursor.key as [string, number];
            const count = surviving.get(digest);
            if (count === undefined || n >= count) {
              r.deletedOrphanChunks++;
              await chunks.delete(cursor.key);
            }
            cursor = await cursor.continue();
          }
          return r;
        },
      );
    });
    if (result.deletedBlobs || result.deletedManifests || result.deletedLayerIndexes || result.deletedOrphanChunks)
      this.changed('gc');
    return result;
  }

  /**
   * The store's invariants; returns one line per violation (empty when all hold). By default
   * it reads every chunk to check lengths, a pass over the stored bytes (tests, diagnostics);
   * `deep: false` walks chunk keys only (counts, not byte lengths).
   * `afterGc`: also no unreferenced complete blob, manifest or layer index (except those held
   * by a lease or blob lock right now).
   */
  async checkInvariants(opts: { afterGc?: boolean; deep?: boolean } = {}): Promise<string[]> {
    const deep = opts.deep ?? true;
    const held = opts.afterGc ? await this.protectedDigests() : new Set<string>();
    return this.run(STORE_NAMES_MUTABLE(), 'readonly', 'check the store', async (tx) => {
      const problems: string[] = [];
      const images = await tx.objectStore('images').getAll();
      const imageIds = new Set(images.map((i) => i.id));
      const blobRecs = new Map((await tx.objectStore('blobs').getAll()).map((b) => [b.digest as string, b]));
      const manifestKeys = new Set((await tx.objectStore('manifests').getAllKeys()).map(String));
      const indexKeys = new Set((await tx.objectStore('layerIndex').getAllKeys()).map(String));

      for (const t of await tx.objectStore('tags').getAll()) {
        if (!imageIds.has(t.imageId)) problems.push(`tag ${t.name} points to missing image ${t.imageId}`);
      }
      const referenced = new Set<string>();
      for (const img of images) {
        if (!isDigest(img.id)) problems.push(`image with invalid id ${JSON.stringify(img.id)}`);
        for (const m of [img.manifestDigest, ...(img.indexDigest ? [img.indexDigest] : [])]) {
          referenced.add(m);
          if (!manifestKeys.has(m)) problems.push(`image ${short(img.id)}: manifest ${m} missing`);
        }
        for (const [what, d] of [
          ['config', img.id] as const,
          ...img.layers.map((l, i) => [`layer ${i}`, l.digest] as const),
        ]) {
          referenced.add(d);
          const b = blobRecs.get(d);
          if (!b) problems.push(`image ${short(img.id)}: ${what} blob ${d} missing`);
          else if (!b.complete) problems.push(`image ${short(img.id)}: ${what} blob ${d} not complete`);
        }
        for (const l of img.layers) referenced.add(l.diffId);
      }

      // Chunks in key order: per digest, n ascending.
      const seen = new Map<string, { count: number; bytes: number; ns: number[]; badLen: number[] }>();
      const visit = (digest: string, n: number, length: number | undefined) => {
        const b = blobRecs.get(digest);
        if (!b) return problems.push(`chunk ${n} of ${short(digest)} has no blob record`);
        let s = seen.get(digest);
        if (!s) seen.set(digest, (s = { count: 0, bytes: 0, ns: [], badLen: [] }));
        s.count++;
        s.ns.push(n);
        const want = Math.min(b.chunkSize, b.size - n * b.chunkSize);
        s.bytes += length ?? want;
        if (length !== undefined && length !== want) s.badLen.push(n);
      };
      if (deep) {
        let cursor = await tx.objectStore('chunks').openCursor();
        while (cursor) {
          const c = cursor.value as ChunkRecord;
          visit(c.digest, c.n, c.bytes.byteLength);
          cursor = await cursor.continue();
        }
      } else {
        let cursor = await tx.objectStore('chunks').openKeyCursor();
        while (cursor) {
          const [digest, n] = cursor.key as [string, number];
          visit(digest, n, undefined);
          cursor = await cursor.continue();
        }
      }
      for (const b of blobRecs.values()) {
        const s = seen.get(b.digest) ?? { count: 0, bytes: 0, ns: [], badLen: [] };
        const where = `blob ${short(b.digest)}`;
        if (s.count !== b.chunkCount || s.ns.some((n, i) => n !== i))
          problems.push(`${where}: chunks [${s.ns.join(',')}] stored, record says ${b.chunkCount}`);
        if (s.bytes !== b.bytesWritten)
          problems.push(`${where}: chunks hold ${s.bytes} bytes, record says ${b.bytesWritten} written`);
        if (s.badLen.length) problems.push(`${where}: chunks [${s.badLen.join(',')}] have the wrong length`);
        if (b.bytesWritten > b.size)
          problems.push(`${where}: ${b.bytesWritten} bytes written, more than its size ${b.size}`);
        if (b.complete && (b.bytesWritten !== b.size || b.chunkCount !== Math.ceil(b.size / b.chunkSize))) {
          problems.push(
            `${where}: marked complete with ${b.bytesWritten} of ${b.size} bytes in ${b.chunkCount} chunks`,
          );
        }
        if (opts.afterGc && b.complete && !referenced.has(b.digest) && !held.has(b.digest)) {
          problems.push(`${where}: complete, unreferenced, survived gc`);
        }
      }
      if (opts.afterGc) {
        for (const m of manifestKeys)
          if (!referenced.has(m) && !held.has(m)) problems.push(`manifest ${short(m)}: unreferenced, survived gc`);
        for (const d of indexKeys)
          if (!referenced.has(d) && !held.has(d)) problems.push(`layer index ${short(d)}: unreferenced, survived gc`);
      }
      return problems;
    });
  }
}

const STORE_NAMES_MUTABLE = (): ['blobs', 'chunks', 'manifests', 'images', 'tags', 'layerIndex'] => [
  'blobs',
  'chunks',
  'manifests',
  'images',
  'tags',
  'layerIndex',
];

interface WriterHost {
  putChunk(n: number, bytes: Uint8Array): Promise<void>;
  markComplete(): Promise<void>;
  discard(): Promise<boolean>;
}

class ChunkedBlobWriter implements BlobWriter {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
  readonly alreadyComplete: boolean;
  offset: number;
  private readonly chunkSize: number;
  private n: number;
  private buf: Uint8Array | null = null;
  private fill = 0;
  private done = false;
  private busy = false;

  constructor(
    digest: Digest,
    rec: BlobRecord,
    private readonly unlock: () => void,
    private readonly host: WriterHost,
  ) {
    this.digest = digest;
    this.size = rec.size;
    this.mediaType = rec.mediaType;
    this.chunkSize = rec.chunkSize;
    this.alreadyComplete = rec.complete;
    this.done = rec.complete;
    this.offset = rec.complete ? rec.size : rec.bytesWritten;
    this.n = rec.complete ? Math.ceil(rec.size / rec.chunkSize) : rec.chunkCount;
  }

  get received(): number {
    return this.offset + this.fill;
  }

  private guard(what: string): void {
    if (this.done)
      throw new StoreError('INVALID_ARGUMENT', `blob ${short(this.digest)}: ${what} after the writer finished`);
    if (this.busy)
      throw new StoreError(
        'INVALID_ARGUMENT',
        `blob ${short(this.digest)}: ${what} while a write is pending (await each write)`,
      );
  }

  private async flush(): Promise<void> {
    if (!this.buf || this.fill === 0) return;
    // A full chunk is stored as its own buffer; a short last chunk is copied to its exact
    // length (cloning a view would store the whole underlying buffer).
    const bytes = this.fill === this.buf.byteLength ? this.buf : this.buf.slice(0, this.fill);
    await this.host.putChunk(this.n, bytes);
    this.n++;
    this.offset += this.fill;
    this.fill = 0;
    this.buf = null; // the stored array belongs to IndexedDB's clone now; start a fresh one
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.guard('write');
    if (this.received + bytes.byteLength > this.size) {
      throw new StoreError(
        'TOO_LARGE',
        `blob ${short(this.digest)}: more than the declared ${this.size} bytes received`,
        { digest: this.digest },
      );
    }
    this.busy = true;
    try {
      let off = 0;
      while (off < bytes.byteLength) {
        this.buf ??= new Uint8Array(Math.min(this.chunkSize, this.size - this.offset));
        const take = Math.min(bytes.byteLength - off, this.buf.byteLength - this.fill);
        this.buf.set(bytes.subarray(off, off + take), this.fill);
        this.fill += take;
        off += take;
        if (this.fill === this.buf.byteLength) await this.flush();
      }
    } finally {
      this.busy = false;
    }
  }

  async complete(): Promise<void> {
    if (this.alreadyComplete) return;
    this.guard('complete');
    if (this.received !== this.size) {
      throw new StoreError(
        'BLOB_INCOMPLETE',
        `blob ${short(this.digest)}: ${this.received} of ${this.size} bytes received`,
        { digest: this.digest },
      );
    }
    this.busy = true;
    try {
      await this.flush();
      await this.host.markComplete();
      this.done = true;
      this.unlock();
    } finally {
      this.busy = false;
    }
  }

  async abort(): Promise<void> {
    if (this.alreadyComplete) return;
    if (this.done) return;
    this.done = true;
    this.buf = null;
    this.fill = 0;
    try {
      await this.host.discard();
    } finally {
      this.unlock();
    }
  }

  release(): void {
    if (this.done) return;
    this.done = true;
    this.buf = null;
    this.fill = 0;
    this.unlock();
  }
}
