/**
 * Streaming tar reader: ustar, GNU (`L`/`K` long names, base-256 numbers), PAX (`x`, `g`),
 * old v7. Chunks of any size; never holds a body in memory.
 *
 * Decisions:
 * - The root entry (`.`, `./`) is reported as path '' of type 'dir'.
 * - Hard link, symlink, device, dir and fifo entries have no body whatever their size field
 *   says (as Go's archive/tar, which Docker uses); their `size` is reported as 0.
 * - EOF at a header boundary or inside the padding after the last body ends the archive, as
 *   Go's reader (and so Docker, containerd and umoci) treats it: a layer may stop right after
 *   its last file's data. EOF inside a header or a body is TAR_TRUNCATED. A zero block
 *   followed by EOF also ends it.
 * - Paths with a `..` component or a leading `/` are refused (TAR_PATH_ESCAPE), and so are
 *   hard-link targets; symlink targets are kept raw (they resolve inside the rootfs later).
 * - `mode` keeps the permission bits (& 0o7777); the file type comes from the typeflag.
 */
import type { LayerEntry } from '../layer/entry.ts';
import { ByteReader, iteratorOf, streamOf, type ByteSource } from './bytes.ts';
import { TarError } from './errors.ts';
import { padding } from './format.ts';
import { HeaderParser, type HeaderLimits } from './header.ts';

export { normalizeTarPath, parseNumeric } from './header.ts';
export { parsePax } from './pax.ts';

export interface TarHeader extends LayerEntry {
  /** Byte offset of the first header block of this entry (extension headers included). */
  headerOffset: number;
}

export interface TarEntry {
  readonly header: TarHeader;
  /** The body, once, as zero-copy pieces (views into the source chunks: copy to keep). Must be
   * read before asking the archive for the next entry; otherwise the rest is skipped. */
  body(): AsyncIterable<Uint8Array>;
  stream(): ReadableStream<Uint8Array>;
  /** The whole body, refused (TAR_LIMIT) if larger than maxBytes. */
  bytes(maxBytes?: number): Promise<Uint8Array>;
  /** Discards the body without buffering it. */
  skip(): Promise<void>;
}

export interface TarReadOptions extends HeaderLimits {
  /** Largest PAX extended header (`x` or `g`), default 1 MiB. */
  maxPaxSize?: number;
  /** Largest GNU long name / long link record, default 64 KiB. */
  maxLongNameSize?: number;
  /** Refuse archives with more entries (extension headers not counted). */
  maxEntries?: number;
  signal?: AbortSignal;
}

/** One entry's body state; methods on the prototype rather than closures per entry. */
class Entry implements TarEntry {
  remaining: number;
  started = false;
  done = false;
  constructor(
    readonly header: TarHeader,
    private readonly r: ByteReader,
    readonly bodySize: number,
  ) {
    this.remaining = bodySize;
  }

  private truncated(): TarError {
    return new TarError('TAR_TRUNCATED', `archive ends inside the body of ${this.header.path}`, this.header.path);
  }

  async *body(): AsyncGenerator<Uint8Array> {
    const path = this.header.path;
    if (this.started) throw new TarError('TAR_WRITE', `body of ${path} read twice`, path);
    this.started = true;
    while (this.remaining > 0) {
      if (this.done) throw new TarError('TAR_WRITE', `body of ${path} read after moving to the next entry`, path);
      const piece = await this.r.piece(this.remaining);
      if (piece.length === 0) throw this.truncated();
      this.remaining -= piece.length;
      yield piece;
    }
  }

  stream(): ReadableStream<Uint8Array> {
    return streamOf(this.body());
  }

  async bytes(maxBytes = Infinity): Promise<Uint8Array> {
    const path = this.header.path;
    if (this.bodySize > maxBytes)
      throw new TarError('TAR_LIMIT', `${path} is ${this.bodySize} bytes, more than ${maxBytes}`, path);
    const out = new Uint8Array(this.bodySize);
    let at = 0;
    for await (const p of this.body()) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  async skip(): Promise<void> {
    this.started = true;
    const n = this.remaining;
    if (!this.r.trySkip(n) && (await this.r.skip(n)) < n) throw this.truncated();
    this.remaining = 0;
  }

  /** After the consumer is done: the rest of the body and its padding (EOF in the padding
   * ends the archive). */
  async finish(): Promise<void> {
    this.started = true;
    const n = this.remaining;
    const pad = padding(this.bodySize);
    if (!this.r.trySkip(n + pad)) {
      if ((await this.r.skip(n)) < n) throw this.truncated();
      await this.r.skip(pad);
    }
    this.remaining = 0;
    this.done = true;
  }
}

/**
 * The entries of a tar stream. The source is cancelled if the consumer stops early or an error
 * is thrown, and left as it is after the end-of-archive marker (what follows is the caller's:
 * ingest hashes it into the diff_id).
 */
export async function* readTar(
  source: ByteSource,
  opts: TarReadOptions = {},
): AsyncGenerator<TarEntry, void, undefined> {
  const it = iteratorOf(source);
  let ended = false;
  try {
    yield* entries(it, opts);
    ended = true;
  } finally {
    if (!ended) await it.return?.().catch(() => {});
  }
}

/**
 * Every entry of a tar stream as its header, bodies skipped: what a layer index needs, without
 * an entry object and two generator hops per member. The same checks and limits as readTar;
 * like it, the source is cancelled on an error and left as it is after the end-of-archive
 * marker.
 */
export async function scanTar(
  source: ByteSource,
  opts: TarReadOptions,
  onEntry: (entry: LayerEntry) => void,
  /** Called for each entry after onEntry: a function returned here receives a copy of the
   * entry's body (e.g. the few files whose bytes ingest keeps: src/core/packages/locate.ts). */
  capture?: (entry: LayerEntry) => ((body: Uint8Array) => void) | undefined,
): Promise<void> {
  const it = iteratorOf(source);
  let ended = false;
  try {
    const r = new ByteReader(it);
    const headers = new HeaderParser(r, opts);
    for (let h = await headers.next(); h !== null; h = await headers.next()) {
      onEntry(h);
      const n = headers.bodySize;
      const pad = padding(n);
      const take = capture?.(h);
      if (take) {
        const body = await r.read(n);
        if (body.length < n) throw new TarError('TAR_TRUNCATED', `archive ends inside the body of ${h.path}`, h.path);
        // read() may return a view of a chunk the decompressor reuses.
        take(body.slice());
        await r.skip(pad);
      } else if (!r.trySkip(n + pad)) {
        if ((await r.skip(n)) < n)
          throw new TarError('TAR_TRUNCATED', `archive ends inside the body of ${h.path}`, h.path);
        await r.skip(pad); // EOF in the padding ends the archive, as in Go
      }
    }
    ended = true;
  } finally {
    if (!ended) await it.return?.().catch(() => {});
  }
}

async function* entries(
  it: AsyncIterator<Uint8Array>,
  opts: TarReadOptions,
): AsyncGenerator<TarEntry, void, undefined> {
  const r = new ByteReader(it);
  const headers = new HeaderParser(r, opts);
  for (let h = await headers.next(); h !== null; h = await headers.next()) {
    const header = h as TarHeader;
    header.headerOffset = headers.headerOffset;
    const entry = new Entry(header, r, headers.bodySize);
    yield entry;
    await entry.finish();
  }
}
