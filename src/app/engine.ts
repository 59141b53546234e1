/**
 * The engine: the one place where the core meets IndexedDB and the network. It runs in a Web
 * Worker (engine.worker.ts exposes it with comlink) and, unchanged, in Node integration tests
 * with fake-indexeddb and a real registry.
 */
import { buildViews } from '../core/commands/store-view.ts';
import { imageRowRefs } from '../core/commands/images.ts';
import { planPrune, planRmi, reclaimedBytes } from '../core/commands/remove.ts';
import { runCommand } from '../core/commands/run.ts';
import { createdSince, humanSizeWithPrecision } from '../core/docker/format.ts';
import { ingestLayer } from '../core/layer/ingest.ts';
import { pull, type IngestFn } from '../core/pull.ts';
import { workerHasher } from '../workers/hasher.ts';
import type { PullEvent } from '../core/pull-events.ts';
import { parseReference, type Reference } from '../core/reference.ts';
import { RegistryClient } from '../core/registry/client.ts';
import { DEFAULT_PLATFORM, parsePlatform } from '../core/platform.ts';
import type { DockerContext } from '../core/commands/context.ts';
import type { Platform } from '../core/model.ts';
import type { FetchLike } from '../core/registry/transport.ts';
import { openStore, type Store, type StoreOptions } from '../store/index.ts';
import type { StoreChange } from '../store/store.ts';
import { LayerscopeError, toErrorData } from '../core/errors.ts';
import type {
  CommandSink,
  EngineApi,
  EngineError,
  EngineSettings,
  FileContent,
  FileQuery,
  FileRowsWindow,
  ImageDetail,
  ImageRow,
  ImagesSnapshot,
  ImportResult,
  ExportRequest,
  PullOutcome,
  RemovePreview,
  SharingSnapshot,
  StoreCheck,
} from './api.ts';
import { Explorer } from './explore.ts';
import { ListingCache } from './listing-cache.ts';
import { Comparer } from './compare.ts';
import type {
  CompareRequest,
  CompareRowsQuery,
  CompareRowsWindow,
  ComparisonResult,
  FileDiffResult,
} from './compare-api.ts';
import { loadArchive, loadOciLayoutFiles, saveArchive } from './archive.ts';
import type { PackageDiff } from '../core/packages/index.ts';
import { PackageScanner, type ImagePackages, type PackagesApi, type SbomFile, type SbomFormat } from './packages.ts';

/** Shipped with the app (scripts/make-sample.ts builds it), precached by the service worker. */
const SAMPLE_URL = '/sample/layerscope-sample.tar';
import { parseDigest } from '../core/digest.ts';
import { storePort } from './store-port.ts';
import { credentialKey, proxyMapper, registryPort } from './registry-port.ts';
import { engineDockerContext } from './docker-context.ts';
import { Peeker, type PeekFileContent, type PeekIndexProgress, type PeekListItem, type PeekSummary } from './peek.ts';

export interface EngineEnv {
  fetch: FetchLike;
  storeOptions?: StoreOptions;
  now?: () => number;
}

/**
 * A stream to the file the person picked (File System Access API: written as it streams), or,
 * where the browser has no file picker, to a Blob for a download link (Chromium keeps large
 * blobs on disk, not in memory).
 */
export async function writeOut(
  stream: ReadableStream<Uint8Array>,
  target: FileSystemFileHandle | null,
  type: string,
): Promise<Blob | null> {
  if (target) {
    const writable = await target.createWritable();
    await stream.pipeTo(writable);
    return null;
  }
  // Response.blob() reports any error of the stream as a bare `TypeError: Failed to fetch`
  // (Chromium): relay the stream and rethrow what actually failed (a blob another tab removed).
  const reader = stream.getReader();
  let failure: unknown;
  const relay = new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      } catch (e) {
        failure = e;
        c.error(e);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  try {
    return await new Response(relay, { headers: { 'content-type': type } }).blob();
  } catch (e) {
    throw failure ?? e;
  }
}

/**
 * Any thrown value → the plain data of the one error model (src/core/errors.ts), which crosses
 * postMessage with its code and fields.
 */
export function toEngineError(e: unknown): EngineError {
  return toErrorData(e);
}

export class Engine implements EngineApi, PackagesApi {
  #env: EngineEnv;
  #settings: EngineSettings = { proxyUrl: '', defaultPlatform: 'linux/amd64', credentials: {} };
  #client: RegistryClient | undefined;
  #store: Promise<Store> | undefined;
  #jobs = new Map<string, AbortController>();
  #listing: ListingCache | undefined;

  constructor(env: EngineEnv) {
    this.#env = env;
  }

  store(): Promise<Store> {
    this.#store ??= openStore(this.#env.storeOptions ?? {});
    return this.#store;
  }

  #now = (): number => (this.#env.now ?? Date.now)();

  /** The settings' default platform (what `docker pull` and `docker load` choose from an index). */
  #defaultPlatform = (): Platform => {
    try {
      return parsePlatform(this.#settings.defaultPlatform);
    } catch {
      return DEFAULT_PLATFORM;
    }
  };

  async configure(settings: EngineSettings): Promise<void> {
    this.#settings = settings;
    const opts: ConstructorParameters<typeof RegistryClient>[0] = {
      // IndexedDB is the cache. Through the HTTP cache every layer would be kept twice (and
      // outside the quota the app shows), a pull after `rmi` would read the old copy, and a
      // resumed `Range: bytes=N-` would be stitched from cached pieces: never store registry
      // answers there.
      fetch: (input, init) => this.#env.fetch(input, { ...init, cache: 'no-store' }),
      credentials: (registry) => settings.credentials[credentialKey(registry)],
    };
    if (settings.proxyUrl) opts.mapUrl = proxyMapper(settings.proxyUrl);
    this.#client = new RegistryClient(opts);
    // Ask once for persistent storage, so the browser does not evict the images.
    void (await this.store()).persist().catch(() => undefined);
  }

  #registry(): RegistryClient {
    if (!this.#client) throw new LayerscopeError('NOT_CONFIGURED', 'the engine is not configured');
    return this.#client;
  }

  /**
   * The images table's rows and the store's summary. `change`: a store change the page heard
   * from another tab (its channel may deliver before this worker's does), so the cached
   * records it names are read again (src/app/listing-cache.ts).
   */
  async images(change?: unknown): Promise<ImagesSnapshot> {
    const store = await this.store();
    this.#listing ??= new ListingCache(store);
    this.#listing.note(change as Partial<StoreChange> | undefined);
    const [{ images, tags, blobs }, estimate] = await Promise.all([this.#listing.read(), store.estimate()]);
    let blobBytes = 0;
    for (const b of blobs.values()) if (b.complete) blobBytes += b.size;
    // What the same images would take if nothing were shared: every image's own blobs.
    const configSizes = new Map<string, number>();
    for (const i of images) configSizes.set(i.id, blobs.get(i.id)?.size ?? 0);
    const now = this.#now();
    const rows: ImageRow[] = [];
    for (const v of buildViews(images, tags)) {
      const base = {
        id: v.image.id,
        shortId: v.image.id.slice(7, 19),
        created: v.image.created,
        createdSince: createdSince(v.created, now) || 'N/A',
        createdMs: v.created * 1000,
        size: v.image.size,
        sizeText: humanSizeWithPrecision(v.image.size, 3), // docker images: 3 significant digits
      };
      for (const r of imageRowRefs(v)) rows.push({ ...base, ...r });
    }
    return {
      rows,
      summary: {
        images: images.length,
        logicalBytes: images.reduce((n, i) => n + i.size, 0),
        storedBytes: blobBytes,
        unsharedBytes: images.reduce((n, i) => n + i.downloadSize + (configSizes.get(i.id) ?? 0), 0),
        ...(estimate?.quota !== undefined
          ? { quota: { usage: estimate.usage ?? 0, quota: estimate.quota, persisted: estimate.persisted ?? false } }
          : {}),
      },
    };
  }

  #job(jobId: string): AbortController {
    const c = new AbortController();
    this.#jobs.set(jobId, c);
    return c;
  }

  async cancel(jobId: string): Promise<void> {
    this.#jobs.get(jobId)?.abort(new DOMException('cancelled', 'AbortError'));
  }

  async #pull(ref: Reference, platform: string | undefined, onEvent: (e: PullEvent) => void, signal: AbortSignal) {
    const client = this.#registry();
    const store = await this.store();
    try {
      // Both SHA-256s run in hash workers beside decompression (the second core); in Node,
      // without Worker, workerHasher hashes in this thread.
      const ingest: IngestFn = (blob, opts) => ingestLayer(blob, { ...opts, hasher: workerHasher });
      return await pull(
        ref,
        { registry: registryPort(client), store: storePort(store), ingest },
        {
          platform: platform ?? this.#settings.defaultPlatform,
          signal,
          onEvent,
          now: this.#now,
          freeSpace: async () => {
            const e = await store.estimate().catch(() => undefined);
            return e?.quota !== undefined ? e.quota - (e.usage ?? 0) : undefined;
          },
        },
      );
    } catch (e) {
      // Tokens and credentials never leave in a message.
      if (e instanceof Error) e.message = client.redact(e.message);
      throw e;
    }
  }

  async pull(
    jobId: string,
    reference: string,
    platform: string | undefined,
    onEvent: (e: PullEvent) => void,
  ): Promise<PullOutcome> {
    const ctl = this.#job(jobId);
    try {
      const ref = parseReference(reference.trim());
      const r = await this.#pull(ref, platform, onEvent, ctl.signal);
      return { ok: true, reference: r.reference, imageId: r.image.id, upToDate: r.upToDate };
    } catch (e) {
      return { ok: false, cancelled: ctl.signal.aborted, error: toEngineError(e) };
    } finally {
      this.#jobs.delete(jobId);
    }
  }

  async run(jobId: string, line: string, sink: CommandSink, files: File[] = []): Promise<number> {
    const ctl = this.#job(jobId);
    try {
      return await runCommand(line, await this.dockerContext(sink, files), sink, ctl.signal);
    } finally {
      this.#jobs.delete(jobId);
    }
  }

  #explorer = new Explorer(() => this.store());

  /** `ref`: the reference it was opened by, whose manifest the Summary and Layers show. */
  imageDetail(id: string, ref?: string): Promise<ImageDetail> {
    return this.#explorer.detail(parseDigest(id), this.#now(), ref);
  }

  files(id: string, query: FileQuery): Promise<FileRowsWindow> {
    return this.#explorer.files(parseDigest(id), query);
  }

  readFile(id: string, path: string): Promise<FileContent> {
    return this.#explorer.readFile(parseDigest(id), path);
  }

  children(id: string, path: string): Promise<{ path: string; name: string; size: number; isDir: boolean }[]> {
    return this.#explorer.children(parseDigest(id), path);
  }

  sharing(): Promise<SharingSnapshot> {
    return this.#explorer.sharing();
  }

  async downloadFile(id: string, path: string, target: FileSystemFileHandle | null): Promise<Blob | null> {
    const f = await this.#explorer.fileStream(parseDigest(id), path);
    return writeOut(f.stream, target, 'application/octet-stream');
  }

  async downloadFilesystem(id: string, target: FileSystemFileHandle | null): Promise<Blob | null> {
    return writeOut(await this.#explorer.exportFilesystem(parseDigest(id)), target, 'application/x-tar');
  }

  #comparer = new Comparer(() => this.store(), this.#explorer);

  #packages = new PackageScanner(() => this.store());

  packages(id: string): Promise<ImagePackages> {
    return this.#packages.packages(parseDigest(id));
  }

  packageSbom(id: string, format: SbomFormat): Promise<SbomFile> {
    return this.#packages.sbom(parseDigest(id), format, this.#now(), crypto.randomUUID(), '0.1.0');
  }

  comparePackages(a: string, b: string): Promise<PackageDiff> {
    return this.#packages.compare(parseDigest(a), parseDigest(b));
  }

  // ── peek (src/app/peek.ts): browse a registry image without pulling it ────────────────

  #peeker = new Peeker({
    store: () => this.store(),
    client: () => this.#registry(),
    hasher: workerHasher,
    now: () => this.#now(),
    defaultPlatform: () => this.#settings.defaultPlatform,
  });

  /** The peeker, for the command bar. */
  get peeker(): Peeker {
    return this.#peeker;
  }

  peek(reference: string, platform?: string): Promise<PeekSummary> {
    return this.#peeker.peek(reference, platform);
  }

  peekSummary(id: string): Promise<PeekSummary> {
    return this.#peeker.summary(id);
  }

  async peekIndex(jobId: string, id: string, onProgress: (p: PeekIndexProgress) => void): Promise<PeekSummary> {
    const ac = new AbortController();
    this.#jobs.set(jobId, ac);
    try {
      return await this.#peeker.index(id, onProgress, ac.signal);
    } finally {
      this.#jobs.delete(jobId);
    }
  }

  peekList(): Promise<PeekListItem[]> {
    return this.#peeker.list();
  }

  peekRemove(id: string): Promise<boolean> {
    return this.#peeker.remove(id);
  }

  peekFiles(id: string, query: FileQuery): Promise<FileRowsWindow> {
    return this.#peeker.files(id, query);
  }

  peekReadFile(id: string, path: string, whole = false): Promise<PeekFileContent> {
    return this.#peeker.readFile(id, path, { whole });
  }

  /** Compares two stored images (or layers of them) and keeps the result for rows and diffs. */
  compare(req: CompareRequest): Promise<ComparisonResult> {
    return this.#comparer.compare(req);
  }

  compareRows(query: CompareRowsQuery): CompareRowsWindow {
    return this.#comparer.rows(query);
  }

  compareFile(path: string): Promise<FileDiffResult> {
    return this.#comparer.fileDiff(path);
  }

  async imageLayers(): Promise<{ id: string; diffIds: string[] }[]> {
    const images = await (await this.store()).listImages();
    return images.map((i) => ({ id: i.id as string, diffIds: i.layers.map((l) => l.diffId as string) }));
  }

  /** What `docker rmi [-f] ARGS` would do, without doing it (the GUI's confirmation). */
  async previewRemove(args: string[], force: boolean): Promise<RemovePreview> {
    const store = await this.store();
    const views = buildViews(await store.listImages(), await store.listTags());
    const results = planRmi(args, views, { force });
    const deleted = new Set(results.flatMap((r) => r.steps.flatMap((s) => (s.kind === 'delete' ? [s.imageId] : []))));
    return {
      lines: results.flatMap((r) => r.lines),
      errors: results.flatMap((r) => (r.error ? [r.error] : [])),
      conflict: results.some((r) => r.errorCode === 'IMAGE_REFERENCED'),
      reclaim: reclaimedBytes(views, deleted),
    };
  }

  /** What `docker image prune [-a]` would remove and how much space returns. */
  async previewPrune(all: boolean): Promise<{ records: string[]; reclaim: number }> {
    const store = await this.store();
    const views = buildViews(await store.listImages(), await store.listTags());
    const plan = planPrune(views, views, { all });
    return { records: plan.records, reclaim: plan.reclaimed };
  }

  async checkStore(): Promise<StoreCheck> {
    const store = await this.store();
    const [problems, usage] = await Promise.all([store.checkInvariants(), store.usage()]);
    return { problems, images: usage.imageCount, blobs: usage.blobCount, partialBlobs: usage.partialCount };
  }

  async exportImages(
    jobId: string,
    req: ExportRequest,
    target: FileSystemFileHandle | null,
    onProgress: (done: number, total: number) => void,
  ): Promise<Blob | null> {
    const ctl = this.#job(jobId);
    try {
      const store = await this.store();
      const tags = await store.listTags();
      const stream = await saveArchive(
        store,
        {
          images: req.imageIds.map((id) => ({
            imageId: parseDigest(id),
            repoTags: tags.filter((t) => t.imageId === id).map((t) => t.name),
          })),
          format: req.format,
          ...(req.format === 'docker-archive'
            ? { layers: req.asPulled ? ('as-pulled' as const) : ('uncompressed' as const) }
            : {}),
          gzip: req.gzip,
        },
        { signal: ctl.signal, onProgress },
      );
      return await writeOut(stream, target, req.gzip ? 'application/gzip' : 'application/x-tar');
    } finally {
      this.#jobs.delete(jobId);
    }
  }

  async importArchive(jobId: string, file: Blob, onProgress: (bytesRead: number) => void): Promise<ImportResult> {
    const ctl = this.#job(jobId);
    try {
      const r = await loadArchive(await this.store(), file.stream(), {
        signal: ctl.signal,
        onProgress,
        defaultPlatform: this.#defaultPlatform(),
      });
      this.#explorer.forget();
      return { lines: r.lines, imageIds: r.images.map((i) => i.imageId) };
    } finally {
      this.#jobs.delete(jobId);
    }
  }

  async importFolder(jobId: string, files: { path: string; file: Blob }[]): Promise<ImportResult> {
    const ctl = this.#job(jobId);
    try {
      const r = await loadOciLayoutFiles(await this.store(), files, {
        signal: ctl.signal,
        defaultPlatform: this.#defaultPlatform(),
      });
      return { lines: r.lines, imageIds: r.images.map((i) => i.imageId) };
    } finally {
      this.#jobs.delete(jobId);
    }
  }

  async loadSample(): Promise<ImportResult> {
    const res = await this.#env.fetch(SAMPLE_URL).catch((e: unknown) => {
      const why = e instanceof Error ? `: ${e.message}` : '';
      throw new LayerscopeError('SAMPLE_MISSING', `the sample archive could not be fetched${why}`, { cause: e });
    });
    if (!res.ok || !res.body)
      throw new LayerscopeError('SAMPLE_MISSING', `the sample archive could not be read (${res.status})`);
    const r = await loadArchive(await this.store(), res.body, { defaultPlatform: this.#defaultPlatform() });
    return { lines: r.lines, imageIds: r.images.map((i) => i.imageId) };
  }

  /** The command bar's view of this engine. */
  async dockerContext(sink?: CommandSink, files: File[] = []): Promise<DockerContext> {
    return engineDockerContext({
      store: await this.store(),
      now: this.#now,
      pull: (ref, platform, onEvent, signal) => this.#pull(ref, platform, onEvent, signal),
      loaded: () => this.#explorer.forget(),
      defaultPlatform: this.#defaultPlatform,
      comparer: this.#comparer,
      peeker: this.#peeker,
      packages: this.#packages,
      ...(sink ? { sink } : {}),
      files,
    });
  }
}
