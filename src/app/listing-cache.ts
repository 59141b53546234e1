/**
 * The records the images listing needs (images, tags, the blob records' sizes), kept between
 * listings and brought up to date from the store's change events (src/store/kernel.ts announces
 * every committed change, here and from other tabs): a tag added by another tab re-reads that
 * tag and the images it names, not 1,000 image records and every blob record (bench/RESULTS.md
 * "Scale": those reads were 120–235 ms of a 250 ms table refresh).
 *
 * Events that arrive while a read is under way mark their records again, so they are read once
 * more next time (a read never clears what it may not have seen). What an event does not name
 * exactly (gc, a removal without an image id, an unknown op) re-reads everything.
 */
import type { Digest } from '../core/digest.ts';
import type { ImageRecord, TagRecord } from '../core/model.ts';
import type { Store, StoreChange } from '../store/store.ts';

/** The listing's view of a blob record. */
export interface BlobSize {
  size: number;
  complete: boolean;
}

export interface Listing {
  /** In key order (by id), as `getAll` returns them. */
  images: ImageRecord[];
  /** In key order (by name). */
  tags: TagRecord[];
  blobs: ReadonlyMap<string, BlobSize>;
}

/** Code-unit order: IndexedDB's order for string keys. */
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class ListingCache {
  #images: Map<string, ImageRecord> | null = null;
  #tags: Map<string, string> | null = null;
  #blobs: Map<string, BlobSize> | null = null;
  #dirtyImages = new Set<string>();
  #dirtyTags = new Set<string>();
  #dirtyBlobs = new Set<string>();
  #off: () => void;
  /** Reads run one at a time: a second one must not answer from maps the first is updating. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private store: Store) {
    this.#off = store.onChange((c) => this.note(c));
  }

  dispose(): void {
    this.#off();
  }

  /** Everything is read again next time. */
  reset(): void {
    this.#images = this.#tags = this.#blobs = null;
    this.#dirtyImages.clear();
    this.#dirtyTags.clear();
    this.#dirtyBlobs.clear();
  }

  /**
   * A committed change (from the store's listener, or passed on by the page, which hears other
   * tabs on its own channel and may ask before this worker's channel delivered the same event).
   * Noting one twice costs a second read of what it names, never a stale answer.
   */
  note(change: Partial<StoreChange> | null | undefined): void {
    if (!change || change.type !== 'layerscope-store-change') return;
    const names = Array.isArray(change.names) ? change.names.filter((n) => typeof n === 'string') : undefined;
    const id = typeof change.imageId === 'string' ? change.imageId : undefined;
    switch (change.op) {
      case 'blob':
        if (typeof change.digest === 'string') this.#dirtyBlobs.add(change.digest);
        else this.#blobs = null;
        return;
      case 'manifest':
      case 'layerIndex':
      case 'peek':
        return; // nothing the listing reads
      case 'tag':
      case 'untag':
      case 'commitImage':
        if (!id || !names) return this.reset();
        this.#dirtyImages.add(id);
        for (const n of names) this.#dirtyTags.add(n);
        // A tag moved from another image changes that image's record too (its repoDigests):
        // the image the name pointed to is found when the tag is read again (#apply).
        return;
      case 'deleteImage':
        if (!id || !names) return this.reset();
        this.#dirtyImages.add(id);
        for (const n of names) this.#dirtyTags.add(n);
        return;
      default:
        return this.reset(); // gc, or an op this code does not know
    }
  }

  read(): Promise<Listing> {
    const next = this.#queue.then(() => this.#read());
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #read(): Promise<Listing> {
    const store = this.store;
    // Take the marks now: events during the reads mark again, for the next read.
    const wholeImages = this.#images === null;
    const wholeTags = this.#tags === null;
    const wholeBlobs = this.#blobs === null;
    const imageIds = [...this.#dirtyImages];
    const tagNames = [...this.#dirtyTags];
    const digests = [...this.#dirtyBlobs];
    this.#dirtyImages.clear();
    this.#dirtyTags.clear();
    this.#dirtyBlobs.clear();
    try {
      const [tags, blobs] = await Promise.all([
        wholeTags ? store.listTags() : Promise.all(tagNames.map((n) => store.getTag(n))),
        wholeBlobs ? store.listBlobRecords() : store.getBlobRecords(digests as Digest[]),
      ]);
      // Tags first: a tag that moved names the image it left, whose record changed with it.
      const tagMap = wholeTags ? new Map<string, string>() : this.#tags!;
      const moved = new Set(imageIds);
      if (wholeTags) {
        for (const t of tags) if (t) tagMap.set(t.name, t.imageId);
      } else {
        tagNames.forEach((n, i) => {
          const before = tagMap.get(n);
          if (before !== undefined) moved.add(before);
          const t = tags[i];
          if (t) {
            tagMap.set(n, t.imageId);
            moved.add(t.imageId);
          } else tagMap.delete(n);
        });
      }
      const ids = [...moved];
      const images = wholeImages ? await store.listImages() : await store.getImages(ids as Digest[]);
      const imageMap = wholeImages ? new Map<string, ImageRecord>() : this.#images!;
      if (wholeImages) {
        for (const i of images) if (i) imageMap.set(i.id, i);
      } else {
        ids.forEach((id, n) => {
          const i = images[n];
          if (i) imageMap.set(id, i);
          else imageMap.delete(id);
        });
      }
      const blobMap = wholeBlobs ? new Map<string, BlobSize>() : this.#blobs!;
      if (wholeBlobs) {
        for (const b of blobs) if (b) blobMap.set(b.digest, { size: b.size, complete: b.complete });
      } else {
        digests.forEach((d, n) => {
          const b = blobs[n];
          if (b) blobMap.set(d, { size: b.size, complete: b.complete });
          else blobMap.delete(d);
        });
      }
      this.#tags = tagMap;
      this.#images = imageMap;
      this.#blobs = blobMap;
    } catch (e) {
      this.reset();
      throw e;
    }
    return {
      images: [...this.#images.keys()].sort(byKey).map((id) => this.#images!.get(id)!),
      tags: [...this.#tags.keys()].sort(byKey).map((name) => ({ name, imageId: this.#tags!.get(name)! as Digest })),
      blobs: new Map(this.#blobs),
    };
  }
}
