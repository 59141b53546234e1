/**
 * The chunked blob writer behind `Store.beginBlob`: buffers incoming bytes to the chunk size
 * and stores each full chunk in its own transaction (through the host, see blobs.ts), so a
 * closed tab leaves a resumable partial blob, never a torn one.
 */
import type { Digest } from '../core/digest.ts';
import { StoreError } from './errors.ts';
import type { BlobRecord } from './schema.ts';
import { short } from './validate.ts';

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

/** The store operations a writer needs; each is one transaction. */
interface WriterHost {
  putChunk(n: number, bytes: Uint8Array): Promise<void>;
  markComplete(): Promise<void>;
  discard(): Promise<boolean>;
}

export class ChunkedBlobWriter implements BlobWriter {
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
