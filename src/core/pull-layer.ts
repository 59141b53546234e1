/**
 * One layer of a pull: `Already exists`, or fetched (resuming a partial blob with Range) and
 * ingested in one streaming pass, its digest and diff_id verified before the blob is marked
 * complete. A failed verification discards the blob; an interruption keeps it for a resume.
 */
import type { Digest } from './digest.ts';
import type { LayerRecord } from './model.ts';
import {
  PullError,
  type BlobDescriptor,
  type BlobWriterPort,
  type IngestFn,
  type LayerSummary,
  type RegistryPort,
  type StorePort,
} from './pull-ports.ts';
import type { LayerStatus, PullEvent } from './pull-events.ts';
import type { Reference } from './reference.ts';

export const shortId = (d: Digest): string => d.slice(7, 19);

export async function knownLayer(
  store: StorePort,
  digest: Digest,
  diffId: Digest | undefined,
): Promise<LayerSummary | undefined> {
  if (!diffId) return undefined;
  if ((await store.blobState(digest)) !== 'complete') return undefined;
  const s = await store.getLayerSummary(diffId);
  return s && s.digest === digest ? s : undefined;
}

export async function pullLayer(
  desc: BlobDescriptor,
  diffId: Digest | undefined,
  ref: Reference,
  deps: { registry: RegistryPort; store: StorePort },
  emit: (e: PullEvent) => void,
  signal: AbortSignal | undefined,
  ingest: IngestFn,
): Promise<LayerRecord> {
  const { registry, store } = deps;
  const id = shortId(desc.digest);
  const say = (status: LayerStatus, current?: number, total?: number) =>
    emit({
      type: 'layer',
      id,
      status,
      ...(current !== undefined ? { current } : {}),
      ...(total !== undefined ? { total } : {}),
    });
  const record = (s: LayerSummary): LayerRecord => ({
    digest: desc.digest,
    diffId: s.diffId,
    mediaType: desc.mediaType,
    compressedSize: s.compressedSize,
    uncompressedSize: s.uncompressedSize,
    size: s.size,
  });

  const known = await knownLayer(store, desc.digest, diffId);
  if (known) return record(known);

  // The blob is here (another image or tab brought it), maybe not its index: index it from
  // the store, without the network.
  const fromStore = async (): Promise<LayerRecord> => {
    const again = await knownLayer(store, desc.digest, diffId);
    if (again) return record(again);
    say('Extracting');
    const r = await ingest(store.readBlob(desc.digest), {
      expectedDigest: desc.digest,
      ...(diffId ? { expectedDiffId: diffId } : {}),
      ...(signal ? { signal } : {}),
    });
    const summary = {
      diffId: r.diffId,
      digest: desc.digest,
      compression: r.compression,
      compressedSize: r.compressedSize,
      uncompressedSize: r.uncompressedSize,
      size: r.size,
    };
    await store.putLayer(summary, r.entries, r.captured);
    say('Pull complete');
    return record(summary);
  };
  const state = await store.blobState(desc.digest);
  if (state === 'complete') return fromStore();

  let source: ReadableStream<Uint8Array>;
  let skip = 0; // bytes of `source` that are already stored
  let writer: BlobWriterPort;
  let size = desc.size;
  if (size === undefined) {
    // Schema 1 names no sizes: fetch the whole blob and take the size the registry gives.
    const fetched = await registry.fetchBlob(ref, desc.digest, signal ? { signal } : {});
    if (fetched.size === undefined) {
      await fetched.stream.cancel().catch(() => {});
      throw new PullError('BLOB_SIZE_UNKNOWN', `the registry did not say the size of blob ${desc.digest}`);
    }
    size = fetched.size;
    writer = await store.beginBlob(desc.digest, { size, mediaType: desc.mediaType });
    if (writer.offset > 0) {
      await writer.abort();
      writer = await store.beginBlob(desc.digest, { size, mediaType: desc.mediaType });
    }
    source = fetched.stream;
  } else {
    writer = await store.beginBlob(desc.digest, { size, mediaType: desc.mediaType });
    if (writer.alreadyComplete) {
      // Another tab finished this blob while we waited for its lock: do not fetch it again.
      writer.release();
      return fromStore();
    }
    if (writer.offset > 0 && writer.offset >= size) {
      // Every byte is stored; only the mark of completion is missing (the tab died between
      // the last chunk and it). Nothing to fetch — `Range: bytes=<size>-` is a 416 — so
      // verify the stored bytes; a mismatch discards them below.
      skip = writer.offset;
      source = store.readBlob(desc.digest);
    } else {
      // A partial blob from an interrupted pull resumes with Range; nothing verified is lost.
      let fetched: Awaited<ReturnType<RegistryPort['fetchBlob']>>;
      try {
        fetched = await registry.fetchBlob(ref, desc.digest, {
          ...(writer.offset > 0 ? { rangeStart: writer.offset } : {}),
          ...(signal ? { signal } : {}),
        });
      } catch (e) {
        writer.release();
        throw e;
      }
      if (writer.offset > 0 && fetched.rangeHonoured) {
        skip = writer.offset;
        source = concatStreams([store.readBlob(desc.digest), fetched.stream], writer.offset);
      } else if (writer.offset > 0) {
        // The registry ignored Range and sent it all from byte 0: start this blob over.
        await writer.abort();
        writer = await store.beginBlob(desc.digest, { size, mediaType: desc.mediaType });
        source = fetched.stream;
      } else {
        source = fetched.stream;
      }
    }
  }
  const total = size;
  // An error of the source (network cut, abort) is an interruption, whatever the decoder
  // downstream makes of it: the stored prefix stays for a resume.
  const watched = watchErrors(source);
  source = watched.stream;

  let lastReport = 0;
  let completed = false;
  // Marks the blob complete once (its digest is verified by then), flushing the last chunk.
  const complete = async () => {
    if (!completed) {
      completed = true;
      await writer.complete();
    }
  };
  let result: Awaited<ReturnType<IngestFn>>;
  try {
    result = await ingest(source, {
      // The platform's gzip decoder is several times faster than the JS one, but some stop
      // at the first member of a multi-member layer; then ingest re-reads the stored blob.
      reread: () =>
        afterPromise(async () => {
          await complete();
          return store.readBlob(desc.digest);
        }),
      expectedDigest: desc.digest,
      ...(diffId ? { expectedDiffId: diffId } : {}),
      expectedSize: total,
      onChunk: async (chunk) => {
        if (skip >= chunk.length) {
          skip -= chunk.length;
          return;
        }
        const fresh = skip > 0 ? chunk.subarray(skip) : chunk;
        skip = 0;
        await writer.write(fresh);
      },
      onProgress: (n) => {
        if (n - lastReport >= 256 * 1024 || n === total) {
          lastReport = n;
          say('Downloading', n, total);
        }
      },
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    // A failed verification discards the blob; an interruption keeps it for resuming.
    if (!watched.failed() && !signal?.aborted && isVerificationError(e)) {
      await writer.abort();
      throw e;
    }
    writer.release();
    if (signal?.aborted) throw signal.reason;
    if (watched.failed()) {
      const cause = watched.error();
      throw new PullError(
        'DOWNLOAD_INTERRUPTED',
        `download of layer ${id} was interrupted (${cause instanceof Error ? cause.message : String(cause)}); pull again to resume`,
      );
    }
    throw e;
  }
  say('Verifying Checksum');
  await complete();
  say('Download complete');
  say('Extracting', result.uncompressedSize, result.uncompressedSize);
  const summary: LayerSummary = {
    diffId: result.diffId,
    digest: desc.digest,
    compression: result.compression,
    compressedSize: result.compressedSize,
    uncompressedSize: result.uncompressedSize,
    size: result.size,
  };
  await store.putLayer(summary, result.entries, result.captured);
  say('Pull complete');
  return record(summary);
}

/** A stream whose source is made by an async step first (e.g. flush, then read back). */
function afterPromise(make: () => Promise<ReadableStream<Uint8Array>>): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= (await make()).getReader();
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => reader?.cancel(reason),
  });
}

/** Passes a stream through, remembering whether the source itself failed. */
function watchErrors(source: ReadableStream<Uint8Array>): {
  stream: ReadableStream<Uint8Array>;
  failed: () => boolean;
  error: () => unknown;
} {
  let failed = false;
  let error: unknown;
  const reader = source.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        failed = true;
        error = e;
        controller.error(e);
        return;
      }
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { stream, failed: () => failed, error: () => error };
}

function isVerificationError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('LAYER_') || code.startsWith('TAR_'));
}

/** A stream that yields `head`'s first `headBytes` bytes, then all of `tail`. */
function concatStreams(
  [head, tail]: [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>],
  headBytes: number,
): ReadableStream<Uint8Array> {
  let phase: 'head' | 'tail' = 'head';
  let remaining = headBytes;
  const h = head.getReader();
  const t = tail.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (phase === 'head') {
        if (remaining <= 0) {
          phase = 'tail';
          await h.cancel();
        } else {
          const { done, value } = await h.read();
          if (done) {
            controller.error(new PullError('RESUME_SHORT', `stored partial blob ended ${remaining} bytes early`));
            return;
          }
          const piece = value.length > remaining ? value.subarray(0, remaining) : value;
          remaining -= piece.length;
          controller.enqueue(piece);
          return;
        }
      }
      const { done, value } = await t.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel(reason) {
      await Promise.allSettled([h.cancel(reason), t.cancel(reason)]);
    },
  });
}
