/**
 * The store: the only door to IndexedDB (README.md "Architecture"; src/store/README.md has the
 * modules, the locking rules and gc). `Store` is a facade: each method validates and delegates
 * to the module that owns it (blobs, manifests, images, gc, usage, invariants), all of which
 * share one StoreKernel (transactions, locks, change events).
 */
import type { IDBPDatabase } from 'idb';
import type { Digest } from '../core/digest.ts';
import type { ImageRecord, RemovalStep, TagRecord } from '../core/model.ts';
import type { BlobWriter } from './blob-writer.ts';
import * as blobs from './blobs.ts';
import type { BlobState } from './blobs.ts';
import { openDatabase, type OpenDatabaseOptions } from './db.ts';
import * as gcMod from './gc.ts';
import type { GcResult, Lease } from './gc.ts';
import * as images from './images.ts';
import type { CommitResult } from './images.ts';
import { checkInvariants } from './invariants.ts';
import { StoreKernel, type KernelOptions, type StoreChange } from './kernel.ts';
import * as manifests from './manifests.ts';
import * as peek from './peek.ts';
import type { BlobRecord, LayerscopeDB, PeekImageRecord, PeekLayerRecord } from './schema.ts';
import * as space from './usage.ts';
import type { StorageLike, Usage } from './usage.ts';

export { STORE_LOCK } from './kernel.ts';
export type { StoreChange, ChangeChannel } from './kernel.ts';

export type { BlobWriter, BlobState, CommitResult, GcResult, Lease, Usage, StorageLike };

export interface StoreOptions extends OpenDatabaseOptions, KernelOptions {
  /** Default: `navigator.storage`. */
  storage?: StorageLike | null;
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const db = await openDatabase(options);
  return new Store(db, options);
}

export class Store {
  readonly name: string;
  readonly chunkSize: number;
  readonly partialGraceMs: number;
  private readonly k: StoreKernel;
  private readonly storage: StorageLike | null;

  /** Use openStore(). */
  constructor(db: IDBPDatabase<LayerscopeDB>, options: StoreOptions = {}) {
    this.k = new StoreKernel(db, options);
    this.name = this.k.name;
    this.chunkSize = this.k.chunkSize;
    this.partialGraceMs = this.k.partialGraceMs;
    this.storage = options.storage !== undefined ? options.storage : space.defaultStorage();
  }

  close(): void {
    this.k.close();
  }

  /** Changes committed here or in another tab/worker. Returns an unsubscribe function. */
  onChange(listener: (change: StoreChange) => void): () => void {
    return this.k.onChange(listener);
  }

  /**
   * Protects digests (blobs, manifests, layer indexes by diffId) from gc until released, in
   * every tab, and dies with the tab. A pull takes one on everything it will commit before it
   * checks what is already stored, and releases it after commitImage.
   */
  lease(digests: Digest[]): Promise<Lease> {
    return gcMod.lease(this.k, digests);
  }

  // ── blobs ──────────────────────────────────────────────────────────────────────────────

  hasBlob(digest: Digest): Promise<BlobState> {
    return blobs.hasBlob(this.k, digest);
  }

  getBlobRecord(digest: Digest): Promise<BlobRecord | undefined> {
    return blobs.getBlobRecord(this.k, digest);
  }

  /** Several blob records in one read (absent ones undefined), in the order asked. */
  getBlobRecords(digests: readonly Digest[]): Promise<(BlobRecord | undefined)[]> {
    return blobs.getBlobRecords(this.k, digests);
  }

  /** Every blob record (complete and partial), in one transaction. */
  listBlobRecords(): Promise<BlobRecord[]> {
    return blobs.listBlobRecords(this.k);
  }

  /**
   * Starts (or resumes) writing a blob. Waits while another tab writes the same blob, then
   * returns a writer; finish it with complete(), abort() or release() (use try/finally: the
   * writer holds the blob's lock until then).
   */
  beginBlob(digest: Digest, opts: { size: number; mediaType: string }): Promise<BlobWriter> {
    return blobs.beginBlob(this.k, digest, opts);
  }

  /** Deletes a partial blob (waits if a writer holds it). True when something was deleted. */
  discardPartial(digest: Digest): Promise<boolean> {
    return blobs.discardPartial(this.k, digest);
  }

  /** Stores a small, whole blob (a config) in one transaction, after checking its digest. */
  putBlob(digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void> {
    return blobs.putBlob(this.k, digest, bytes, mediaType);
  }

  /**
   * Streams a blob's bytes, one chunk per read. Complete blobs only, unless `allowPartial`
   * (to hash the stored prefix of an interrupted blob before resuming it).
   */
  readBlob(digest: Digest, opts: { start?: number; allowPartial?: boolean } = {}): ReadableStream<Uint8Array> {
    return blobs.readBlob(this.k, digest, opts);
  }

  /** A small complete blob (config) as one array; refuses blobs over `maxBytes`. */
  readBlobBytes(digest: Digest, maxBytes: number): Promise<Uint8Array> {
    return blobs.readBlobBytes(this.k, digest, maxBytes);
  }

  // ── manifests and layer indexes ────────────────────────────────────────────────────────

  /**
   * Stores a manifest's exact bytes. The caller verified the digest (for signed schema 1
   * manifests it is computed over the payload without signatures, so the store cannot).
   */
  putManifest(digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void> {
    return manifests.putManifest(this.k, digest, bytes, mediaType);
  }

  getManifest(digest: Digest): Promise<{ bytes: Uint8Array; mediaType: string } | undefined> {
    return manifests.getManifest(this.k, digest);
  }

  putLayerIndex<T>(diffId: Digest, encoded: T): Promise<void> {
    return manifests.putLayerIndex(this.k, diffId, encoded);
  }

  async getLayerIndex<T = unknown>(diffId: Digest): Promise<T | undefined> {
    return (await manifests.getLayerIndex(this.k, diffId)) as T | undefined;
  }

  // ── images and tags ────────────────────────────────────────────────────────────────────

  /**
   * Commits an image and its tags in one transaction, after checking that its manifest (and
   * index), config blob and every layer blob are stored and complete; otherwise nothing is
   * written (BLOB_INCOMPLETE / MANIFEST_MISSING, with `details.missing`). A tag that pointed
   * to another image moves; that image stays (dangling if it has no tag left, as in Docker).
   */
  commitImage(image: ImageRecord, tagNames: string[]): Promise<CommitResult> {
    return images.commitImage(this.k, image, tagNames);
  }

  /** Points `name` at an image. Returns the image it pointed to before, if another. */
  tag(imageId: Digest, name: string): Promise<{ previous?: Digest }> {
    return images.tag(this.k, imageId, name);
  }

  /** Removes a tag; the image stays. Returns the image it pointed to. */
  untag(name: string): Promise<Digest> {
    return images.untag(this.k, name);
  }

  /**
   * Deletes an image record (its blobs go at the next gc). Refuses with IMAGE_REFERENCED
   * while tags point to it, unless `force` (which removes those tags too).
   */
  deleteImage(id: Digest, opts: { force?: boolean } = {}): Promise<{ untagged: string[] }> {
    return images.deleteImage(this.k, id, opts);
  }

  /**
   * Applies `docker rmi` / `image prune` steps (planned in core: src/core/commands/remove.ts)
   * in ONE transaction: untag names, drop digest references, delete image records. Either all
   * steps hold or none is applied. Blobs go at the next gc.
   */
  applyRemoval(steps: readonly RemovalStep[]): Promise<void> {
    return images.applyRemoval(this.k, steps);
  }

  getImage(id: Digest): Promise<ImageRecord | undefined> {
    return images.getImage(this.k, id);
  }

  listImages(): Promise<ImageRecord[]> {
    return images.listImages(this.k);
  }

  /** Several images in one transaction (absent ones undefined), in the order asked. */
  getImages(ids: readonly Digest[]): Promise<(ImageRecord | undefined)[]> {
    return images.getImages(this.k, ids);
  }

  listTags(): Promise<TagRecord[]> {
    return images.listTags(this.k);
  }

  getTag(name: string): Promise<TagRecord | undefined> {
    return images.getTag(this.k, name);
  }

  tagsOf(id: Digest): Promise<string[]> {
    return images.tagsOf(this.k, id);
  }

  /**
   * Resolves what a person typed, in Docker's order: a full image ID; a tag (`name`, the
   * caller's normalized form of `ref`, then `ref` itself); a digest reference among the
   * images' repoDigests; an ID prefix of at least one hex digit (`sha256:` optional).
   * Undefined when nothing matches; AMBIGUOUS_ID when a prefix matches several images.
   */
  lookup(ref: string, opts: { name?: string } = {}): Promise<ImageRecord | undefined> {
    return images.lookup(this.k, ref, opts);
  }

  // ── space ──────────────────────────────────────────────────────────────────────────────

  usage(): Promise<Usage> {
    return space.usage(this.k);
  }

  /** `navigator.storage.estimate()` plus whether storage is persistent; undefined without it. */
  estimate(): Promise<{ usage?: number; quota?: number; persisted?: boolean } | undefined> {
    return space.estimate(this.storage);
  }

  /** Asks the browser not to evict this site's data; undefined when the API is absent. */
  persist(): Promise<boolean | undefined> {
    return space.persist(this.storage);
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
  gc(): Promise<GcResult> {
    return gcMod.gc(this.k);
  }

  /**
   * The store's invariants; returns one line per violation (empty when all hold). By default
   * it reads every chunk to check lengths, a pass over the stored bytes (tests, diagnostics);
   * `deep: false` walks chunk keys only (counts, not byte lengths).
   * `afterGc`: also no unreferenced complete blob, manifest or layer index (except those held
   * by a lease or blob lock right now).
   */
  checkInvariants(opts: { afterGc?: boolean; deep?: boolean } = {}): Promise<string[]> {
    return checkInvariants(this.k, opts);
  }

  // ── peeked images (src/store/peek.ts) ─────────────────────────────────────────────────

  putPeekLayer(digest: Digest, layer: unknown, bytes: number): Promise<void> {
    return peek.putPeekLayer(this.k, digest, layer, bytes);
  }

  getPeekLayer(digest: Digest): Promise<PeekLayerRecord | undefined> {
    return peek.getPeekLayer(this.k, digest);
  }

  peekLayersPresent(digests: Digest[]): Promise<boolean[]> {
    return peek.peekLayersPresent(this.k, digests);
  }

  putPeekImage(rec: PeekImageRecord): Promise<void> {
    return peek.putPeekImage(this.k, rec);
  }

  getPeekImage(id: Digest): Promise<PeekImageRecord | undefined> {
    return peek.getPeekImage(this.k, id);
  }

  listPeekImages(): Promise<PeekImageRecord[]> {
    return peek.listPeekImages(this.k);
  }

  deletePeekImage(id: Digest): Promise<{ removed: boolean; layers: number }> {
    return peek.deletePeekImage(this.k, id);
  }

  peekUsage(): Promise<{ images: number; layers: number; indexBytes: number }> {
    return peek.peekUsage(this.k);
  }
}
