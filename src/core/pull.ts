/**
 * `docker pull`, as a pure orchestration over two ports: a registry (resolve a reference,
 * stream blobs) and a store (content-addressed blobs, manifests, layer indexes, images, tags).
 * The engine worker binds them to the registry client and IndexedDB; tests bind them to a real
 * registry and fake-indexeddb.
 *
 * Order of writes (DESIGN.md): blobs first — immutable, harmless if orphaned, written chunk by
 * chunk and marked complete only once their digest is verified — then the image and its tags
 * in one transaction. A pull cut anywhere leaves no half image; the next one resumes.
 */
import type { Digest } from './digest.ts';
import { isDigest } from './digest.ts';
import type { ImageRecord, LayerRecord, Platform } from './model.ts';
import type { LayerStatus, PullEvent } from './pull-events.ts';
import { canonicalString, familiarString, referenceString, type Reference } from './reference.ts';
import { sha256Digest } from './sha256.ts';
import { humanSize } from './docker/format.ts';

export interface BlobDescriptor {
  digest: Digest;
  /** Unknown for schema 1 layers. */
  size?: number;
  mediaType: string;
}

/** What a registry port answers for a reference, platform already chosen. */
export interface ResolvedImage {
  manifestDigest: Digest;
  manifestBytes: Uint8Array;
  manifestMediaType: string;
  /** The index / manifest list the platform manifest was chosen from. */
  index?: { digest: Digest; bytes: Uint8Array; mediaType: string };
  /** The config blob; absent for schema 1, whose config is synthesized after the pull. */
  config?: { digest: Digest; bytes: Uint8Array; mediaType: string };
  /** Layers bottom-up, as the manifest lists them. */
  layers: BlobDescriptor[];
  /** Warnings Docker prints (schema 1 deprecation). */
  warnings: string[];
  /** Schema 1 only: builds the config once the diff_ids are known. */
  schema1Config?: (diffIds: Digest[]) => Promise<{ bytes: Uint8Array; digest: Digest }>;
}

export interface RegistryPort {
  resolve(ref: Reference, platform: string | undefined, signal?: AbortSignal): Promise<ResolvedImage>;
  /** A blob's bytes from `rangeStart` on; `rangeHonoured` false means the stream starts at 0. */
  fetchBlob(
    ref: Reference,
    digest: Digest,
    opts: { rangeStart?: number; signal?: AbortSignal },
  ): Promise<{ stream: ReadableStream<Uint8Array>; rangeHonoured: boolean; size?: number }>;
}

export interface BlobWriterPort {
  /** Bytes already stored from an interrupted attempt (0 for a fresh blob). */
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Called only after the digest was verified. */
  complete(): Promise<void>;
  /** Deletes what was written (a blob that failed verification is never kept). */
  abort(): Promise<void>;
  /** Stops writing and keeps what is stored, for a later pull to resume. */
  release(): void;
  /**
   * The blob was complete when the writer was granted (another tab wrote it while this one
   * waited for its lock): nothing to fetch.
   */
  readonly alreadyComplete?: boolean;
}

/** What the pull keeps per layer beside the blob: its file index and Docker's size figures. */
export interface LayerSummary {
  diffId: Digest;
  digest: Digest;
  compression: string;
  compressedSize: number;
  uncompressedSize: number;
  size: number;
}

export interface StorePort {
  blobState(digest: Digest): Promise<'complete' | 'absent' | { partial: number }>;
  beginBlob(digest: Digest, info: { size: number; mediaType: string }): Promise<BlobWriterPort>;
  readBlob(digest: Digest): ReadableStream<Uint8Array>;
  putBlob(digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void>;
  putManifest(digest: Digest, bytes: Uint8Array, mediaType: string): Promise<void>;
  getLayerSummary(diffId: Digest): Promise<LayerSummary | undefined>;
  /** Stores the layer's summary and its file index under its diff_id. */
  putLayer(summary: LayerSummary, entries: readonly unknown[]): Promise<void>;
  getImage(id: Digest): Promise<ImageRecord | undefined>;
  /** The image a tag (normalized `registry/repo:tag`) points to. */
  tagTarget(name: string): Promise<Digest | undefined>;
  /** One transaction: the image record and its tags. */
  commitImage(image: ImageRecord, tags: string[]): Promise<void>;
  /**
   * Protects blobs from a garbage collection in another tab between their completion and the
   * commit that makes them referenced.
   */
  lease(digests: Digest[]): Promise<{ release(): void }>;
}

/** One streaming pass over a layer blob (src/core/layer/ingest.ts). */
export type IngestFn = (
  blob: ReadableStream<Uint8Array>,
  opts: {
    expectedDigest?: Digest;
    expectedDiffId?: Digest;
    expectedSize?: number;
    onChunk?: (chunk: Uint8Array) => void | Promise<void>;
    onProgress?: (compressedBytes: number) => void;
    signal?: AbortSignal;
    /**
     * The whole blob again, called only after every byte went through `onChunk` and the
     * digest was verified (a platform gzip decoder that stops at the first member of a
     * multi-member layer is then retried from the stored copy).
     */
    reread?: () => ReadableStream<Uint8Array>;
  },
) => Promise<{
  digest: Digest;
  diffId: Digest;
  compression: string;
  compressedSize: number;
  uncompressedSize: number;
  size: number;
  entries: readonly unknown[];
}>;

export interface PullOptions {
  platform?: string;
  signal?: AbortSignal;
  onEvent?: (e: PullEvent) => void;
  /** Layers fetched at once (Docker's default `max-concurrent-downloads` is 3). */
  concurrency?: number;
  /**
   * Bytes the store can still take (quota minus usage), undefined when unknown. Checked against
   * the manifest's sizes of the layers still to fetch before any is fetched.
   */
  freeSpace?: () => Promise<number | undefined>;
  now?: () => number;
}

export interface PullResult {
  image: ImageRecord;
  reference: string;
  upToDate: boolean;
}

/** A config blob is JSON of modest size; a larger one is refused before parsing. */
const MAX_CONFIG_BYTES = 8 << 20;

export class PullError extends Error {
  override name = 'PullError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const shortId = (d: Digest) => d.slice(7, 19);

export async function pull(
  ref: Reference,
  deps: { registry: RegistryPort; store: StorePort; ingest: IngestFn },
  opts: PullOptions = {},
): Promise<PullResult> {
  const { registry, store } = deps;
  const emit = opts.onEvent ?? (() => {});
  const signal = opts.signal;

  emit({ type: 'start', tagOrDigest: ref.tag ?? ref.digest ?? 'latest', repository: ref.repository });
  const resolved = await registry.resolve(ref, opts.platform, signal);
  for (const text of resolved.warnings) emit({ type: 'warning', text });

  let config = resolved.config;
  let configJson: ConfigJson | undefined;
  if (config) {
    if (config.bytes.length > MAX_CONFIG_BYTES)
      throw new PullError(
        'CONFIG_TOO_LARGE',
        `image config is ${config.bytes.length} bytes (limit ${MAX_CONFIG_BYTES})`,
      );
    const actual = sha256Digest(config.bytes);
    if (actual !== config.digest)
      throw new PullError('CONFIG_DIGEST_MISMATCH', `config digest mismatch: expected ${config.digest}, got ${actual}`);
    configJson = parseConfig(config.bytes);
    if (configJson.diffIds.length !== resolved.layers.length) {
      throw new PullError(
        'CONFIG_LAYER_MISMATCH',
        `the manifest lists ${resolved.layers.length} layers but the config has ${configJson.diffIds.length} diff_ids`,
      );
    }
  }

  const lease = await store.lease([
    resolved.manifestDigest,
    ...(resolved.index ? [resolved.index.digest] : []),
    ...(config ? [config.digest] : []),
    ...resolved.layers.map((l) => l.digest),
    ...(configJson?.diffIds ?? []),
  ]);
  try {
    return await pullResolved(ref, resolved, config, configJson, deps, opts);
  } finally {
    lease.release();
  }
}

async function pullResolved(
  ref: Reference,
  resolved: ResolvedImage,
  config: ResolvedImage['config'],
  configJson: ConfigJson | undefined,
  deps: { registry: RegistryPort; store: StorePort; ingest: IngestFn },
  opts: PullOptions,
): Promise<PullResult> {
  const { store, ingest } = deps;
  const emit = opts.onEvent ?? (() => {});
  const now = opts.now ?? Date.now;
  const signal = opts.signal;
  const pulledDigest = resolved.index?.digest ?? resolved.manifestDigest;
  const tagName = ref.tag !== undefined ? `${ref.registry}/${ref.repository}:${ref.tag}` : undefined;
  const displayRef = familiarString(ref);

  // Up to date: the tag (or digest) already names this image, and every part of it is stored.
  if (config) {
    const existing = await store.getImage(config.digest);
    if (
      existing &&
      (await imageComplete(store, existing)) &&
      (!tagName || (await store.tagTarget(tagName)) === existing.id)
    ) {
      const repoDigests = mergeRepoDigests(existing.repoDigests, canonicalString(ref, pulledDigest));
      if (repoDigests.length !== existing.repoDigests.length)
        await store.commitImage({ ...existing, repoDigests }, tagName ? [tagName] : []);
      emit({ type: 'digest', digest: pulledDigest });
      emit({ type: 'status', text: `Image is up to date for ${displayRef}`, upToDate: true });
      emit({ type: 'done', reference: referenceString(ref), imageId: existing.id });
      return { image: { ...existing, repoDigests }, reference: referenceString(ref), upToDate: true };
    }
  }

  // Every layer: `Already exists`, or fetched (resuming a partial blob) and ingested in one pass.
  const layerRecords: LayerRecord[] = new Array(resolved.layers.length);
  const queue = resolved.layers.map((desc, i) => ({ desc, i, diffId: configJson?.diffIds[i] }));
  const seen = new Set<string>();
  let toFetch = 0;
  for (const { desc } of queue) {
    if (seen.has(desc.digest)) continue;
    seen.add(desc.digest);
    const known = await knownLayer(
      store,
      desc.digest,
      configJson ? configJson.diffIds[queue.findIndex((q) => q.desc.digest === desc.digest)] : undefined,
    );
    if (!known) toFetch += desc.size ?? 0;
    emit({ type: 'layer', id: shortId(desc.digest), status: known ? 'Already exists' : 'Pulling fs layer' });
  }
  // The quota check comes before the work: a pull that cannot fit fails now, not after
  // downloading (and discarding) gigabytes.
  const free = await opts.freeSpace?.();
  if (free !== undefined && toFetch > free) {
    throw new PullError(
      'QUOTA_EXCEEDED',
      `the layers to download take ${humanSize(toFetch)}, more than the ${humanSize(Math.max(0, free))} the browser's storage for this site has left`,
    );
  }
  const concurrency = Math.max(1, opts.concurrency ?? 3);
  let next = 0;
  // The first layer that fails stops the others (as Docker cancels its other downloads), and
  // the pull returns only once every layer settled: nothing keeps writing or reporting after
  // the pull has failed and its lease is gone.
  const layers = new AbortController();
  const forward = () => layers.abort(signal?.reason);
  if (signal?.aborted) forward();
  signal?.addEventListener('abort', forward, { once: true });
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < queue.length) {
      const job = queue[next++]!;
      try {
        layerRecords[job.i] = await pullLayer(job.desc, job.diffId, ref, deps, emit, layers.signal, ingest);
      } catch (e) {
        if (!failure) {
          failure = { error: e };
          layers.abort(new DOMException('another layer failed', 'AbortError'));
        }
      }
    }
  };
  if (queue.length > concurrency) {
    for (const { desc, diffId } of queue.slice(concurrency)) {
      if (!(await knownLayer(store, desc.digest, diffId)))
        emit({ type: 'layer', id: shortId(desc.digest), status: 'Waiting' });
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', forward);
  }
  if (failure) throw failure.error;

  // Schema 1: the config is made from the manifest once the diff_ids are known.
  if (!config) {
    if (!resolved.schema1Config) throw new PullError('CONFIG_MISSING', 'the manifest has no config');
    const made = await resolved.schema1Config(layerRecords.map((l) => l.diffId));
    config = { digest: made.digest, bytes: made.bytes, mediaType: 'application/vnd.docker.container.image.v1+json' };
    configJson = parseConfig(made.bytes);
  }
  if (!configJson) throw new PullError('CONFIG_MISSING', 'the manifest has no config');

  signal?.throwIfAborted();
  await store.putBlob(config.digest, config.bytes, config.mediaType);
  await store.putManifest(resolved.manifestDigest, resolved.manifestBytes, resolved.manifestMediaType);
  if (resolved.index) await store.putManifest(resolved.index.digest, resolved.index.bytes, resolved.index.mediaType);

  const previous = await store.getImage(config.digest);
  const image: ImageRecord = {
    id: config.digest,
    manifestDigest: resolved.manifestDigest,
    manifestMediaType: resolved.manifestMediaType,
    ...(resolved.index ? { indexDigest: resolved.index.digest } : {}),
    repoDigests: mergeRepoDigests(previous?.repoDigests ?? [], canonicalString(ref, pulledDigest)),
    platform: configJson.platform,
    layers: layerRecords,
    created: configJson.created,
    size: layerRecords.reduce((n, l) => n + l.size, 0),
    downloadSize: layerRecords.reduce((n, l) => n + l.compressedSize, 0),
    configMediaType: config.mediaType,
    ...(resolved.config ? {} : { schema1: true }),
    storedAt: previous?.storedAt ?? now(),
  };
  signal?.throwIfAborted();
  await store.commitImage(image, tagName ? [tagName] : []);
  emit({ type: 'digest', digest: pulledDigest });
  emit({ type: 'status', text: `Downloaded newer image for ${displayRef}`, upToDate: false });
  emit({ type: 'done', reference: referenceString(ref), imageId: image.id });
  return { image, reference: referenceString(ref), upToDate: false };
}

async function knownLayer(
  store: StorePort,
  digest: Digest,
  diffId: Digest | undefined,
): Promise<LayerSummary | undefined> {
  if (!diffId) return undefined;
  if ((await store.blobState(digest)) !== 'complete') return undefined;
  const s = await store.getLayerSummary(diffId);
  return s && s.digest === digest ? s : undefined;
}

async function pullLayer(
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
    await store.putLayer(summary, r.entries);
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
  await store.putLayer(summary, result.entries);
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

async function imageComplete(store: StorePort, image: ImageRecord): Promise<boolean> {
  if ((await store.blobState(image.id)) !== 'complete') return false;
  for (const l of image.layers) if ((await store.blobState(l.digest)) !== 'complete') return false;
  return true;
}

function mergeRepoDigests(existing: readonly string[], added: string): string[] {
  // One digest per repository, newest wins (Docker replaces a repository's digest on pull).
  const repo = added.slice(0, added.indexOf('@'));
  return [...existing.filter((d) => d.slice(0, d.indexOf('@')) !== repo), added];
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

interface ConfigJson {
  diffIds: Digest[];
  created: string;
  platform: Platform;
}

function parseConfig(bytes: Uint8Array): ConfigJson {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new PullError('CONFIG_INVALID', `image config is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof data !== 'object' || data === null)
    throw new PullError('CONFIG_INVALID', 'image config is not a JSON object');
  const c = data as Record<string, unknown>;
  const rootfs = c.rootfs as { diff_ids?: unknown } | undefined;
  const ids = rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d): d is Digest => typeof d === 'string' && isDigest(d))) {
    throw new PullError('CONFIG_INVALID', 'image config has no valid rootfs.diff_ids');
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const platform: Platform = { os: str(c.os), architecture: str(c.architecture) };
  if (typeof c.variant === 'string' && c.variant) platform.variant = c.variant;
  if (typeof c['os.version'] === 'string' && c['os.version']) platform['os.version'] = c['os.version'];
  return { diffIds: ids, created: str(c.created), platform };
}
