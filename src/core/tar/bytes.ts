/** Pull-based byte reader over a chunk iterator: zero-copy when a chunk holds what is asked,
 * never retains more than the current chunk (so skipping a body never buffers it). */
export const EMPTY = new Uint8Array(0);

/** The pieces joined into one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A stream, an (async) iterable of chunks, or one Uint8Array holding everything. */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;

/** An AsyncIterator over a stream or iterable. ReadableStream's own async iteration is missing
 * in Safari, so streams are read through a reader. */
export function iteratorOf(source: ByteSource): AsyncIterator<Uint8Array> {
  if (typeof (source as ReadableStream).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader();
    return {
      async next() {
        const r = await reader.read();
        return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
      },
      async return() {
        await reader.cancel().catch(() => {});
        return { done: true, value: undefined };
      },
    };
  }
  if (source instanceof Uint8Array) source = [source];
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const it = (source as Iterable<Uint8Array>)[Symbol.iterator]();
  return { next: async () => it.next(), return: async () => it.return?.() ?? { done: true, value: undefined } };
}

/** A ReadableStream pulling from an async iterable (ReadableStream.from is not everywhere). */
export function streamOf(it: AsyncIterable<Uint8Array> | AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
  const iter =
    Symbol.asyncIterator in it
      ? (it as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (it as AsyncIterator<Uint8Array>);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await iter.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      async cancel(reason) {
        await iter.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

export class ByteReader {
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  private eof = false;
  /** Bytes consumed so far: the stream offset of the next byte. */
  offset = 0;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  private async more(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.eof) return false;
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        this.chunk = EMPTY;
        this.pos = 0;
        return false;
      }
      this.chunk = r.value;
      this.pos = 0;
    }
    return true;
  }

  /** n bytes from the current chunk without waiting (zero-copy), or undefined. */
  tryRead(n: number): Uint8Array | undefined {
    if (this.chunk.length - this.pos < n) return undefined;
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return out;
  }

  /** Skips n bytes of the current chunk without waiting; false (and nothing skipped) if it
   * holds fewer. */
  trySkip(n: number): boolean {
    if (this.chunk.length - this.pos < n) return false;
    this.pos += n;
    this.offset += n;
    return true;
  }

  /** Exactly n bytes, or fewer only at EOF. The result may be a view into a source chunk. */
  async read(n: number): Promise<Uint8Array> {
    if (!(await this.more())) return EMPTY;
    if (this.chunk.length - this.pos >= n) {
      const out = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.offset += n;
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n && (await this.more())) {
      const take = Math.min(n - got, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + take), got);
      got += take;
      this.pos += take;
      this.offset += take;
    }
    return got === n ? out : out.subarray(0, got);
  }

  /** The next piece of at most n bytes, zero-copy; empty at EOF. */
  async piece(n: number): Promise<Uint8Array> {
    if (n <= 0 || !(await this.more())) return EMPTY;
    const take = Math.min(n, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + take);
    this.pos += take;
    this.offset += take;
    return out;
  }

  /** Skips n bytes; returns how many were skipped (fewer only at EOF). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0 && (await this.more())) {
      const take = Math.min(left, this.chunk.length - this.pos);
      this.pos += take;
      this.offset += take;
      left -= take;
    }
    return n - left;
  }
}
