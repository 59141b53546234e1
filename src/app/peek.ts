/**
 * Peek, the worker side: look at a registry image without pulling it (manifest and config
 * only), index its layers without storing their blobs (src/core/peek), keep that as a peeked
 * image in the store (listed apart from pulled images), and read any file of it with one Range
 * request from the nearest checkpoint, verified against the SHA-256 recorded while indexing.
 * The union view, search and sizes come from the same core functions the explorer uses, over
 * the same layer index format.
 */
import { ancestorsOf, fileTree, flattenVisible, searchPaths, type FileTree } from '../core/analysis/index.ts';
import { buildViews } from '../core/commands/store-view.ts';
import { historyItems, inspectObject, renderInspectJson } from '../core/commands/inspect.ts';
import type { Digest } from '../core/digest.ts';
import { LayerscopeError } from '../core/errors.ts';
import type { LayerEntry } from '../core/layer/entry.ts';
import type { AsyncHasher } from '../core/layer/ingest.ts';
import { chainLayerSizes } from '../core/layer/size.ts';
import type { ImageRecord, LayerRecord } from '../core/model.ts';
import { bytesHex, peekIndexLayer } from '../core/peek/index-layer.ts';
import {
  decodeLayerIndex,
  decodePeekLayer,
  encodePeekLayer,
  fileHashLookup,
  type DecodedPeekLayer,
  type StoredPeekLayer,
} from '../core/peek/encode.ts';
import { planRead, readPlanned, type RangeFetch } from '../core/peek/read.ts';
import {
  ESTARGZ_TOC_DIGEST_ANNOTATION,
  ESTARGZ_UNCOMPRESSED_SIZE_ANNOTATION,
  peekLayerFromToc,
  readEstargzFile,
  readEstargzToc,
  tocFileAt,
} from '../core/peek/estargz.ts';
import { readZstdChunkedFile, readZstdChunkedToc, zstdChunkedAnnotations } from '../core/peek/zstd-chunked.ts';
import type { PeekPort } from '../core/peek/command.ts';
import { parsePlatform } from '../core/platform.ts';
import { familiarString, normalizedName, parseReference, referenceString, type Reference } from '../core/reference.ts';
import { fetchBlob } from '../core/registry/blobs.ts';
import type { RegistryClient } from '../core/registry/client.ts';
import { RegistryError } from '../core/registry/errors.ts';
import { resolveImage } from '../core/registry/resolve.ts';
import { applyLayers, resolvePath, type UnionView } from '../core/union/index.ts';
import type { Store } from '../store/index.ts';
import type { PeekImageRecord } from '../store/schema.ts';
import type { FileContent, FileQuery, FileRowsWindow } from './api.ts';

const MAX_PREVIEW_BYTES = 2 << 20;

export interface PeekLayerInfo {
  digest: string;
  diffId: string;
  mediaType: string;
  compressedSize: number;
  indexed: boolean;
  /** Known once indexed. */
  uncompressedSize?: number;
  size?: number;
  entries?: number;
  checkpoints?: number;
  indexBytes?: number;
  compression?: string;
  /** Indexed from its eStargz table of contents, without a pass over the layer. */
  estargz?: boolean;
  /** Indexed from its zstd:chunked manifest. */
  zstdChunked?: boolean;
}

export interface PeekSummary {
  id: string;
  reference: string;
  familiar: string;
  manifestDigest: string;
  manifestMediaType: string;
  platform: string;
  created: string;
  manifestJson: string;
  configJson: string;
  inspectJson: string;
  history: { created: number; createdBy: string; size: number; comment: string; empty: boolean }[];
  layers: PeekLayerInfo[];
  /** Sum of the layers' compressed sizes. */
  downloadSize: number;
  /** Bytes fetched to show this summary: manifest(s) and config. */
  fetchedBytes: number;
  allIndexed: boolean;
}

export interface PeekListItem {
  id: string;
  reference: string;
  familiar: string;
  layers: number;
  indexedLayers: number;
  downloadSize: number;
  indexBytes: number;
  peekedAt: number;
}

export interface PeekIndexProgress {
  layer: number;
  digest: string;
  bytes: number;
  total: number;
  done: boolean;
}

export interface PeekFileContent extends FileContent {
  /** Compressed bytes fetched for this file. */
  fetched: number;
  /** The Range asked for. */
  range: [number, number];
  /** The registry answered 200: the blob was streamed from its start instead. */
  rangeIgnored: boolean;
}

/** What the UI calls (through the engine worker). */
export interface PeekApi {
  peek(reference: string, platform?: string): Promise<PeekSummary>;
  peekSummary(id: string): Promise<PeekSummary>;
  peekIndex(jobId: string, id: string, onProgress: (p: PeekIndexProgress) => void): Promise<PeekSummary>;
  peekList(): Promise<PeekListItem[]>;
  peekRemove(id: string): Promise<boolean>;
  peekFiles(id: string, query: FileQuery): Promise<FileRowsWindow>;
  /** `whole`: the whole file (a download), not the first 2 MiB (the viewer). */
  peekReadFile(id: string, path: string, whole?: boolean): Promise<PeekFileContent>;
}

export interface PeekDeps {
  store: () => Promise<Store>;
  client: () => RegistryClient;
  hasher?: () => AsyncHasher;
  now: () => number;
  defaultPlatform: () => string;
}

interface Peeked {
  rec: PeekImageRecord;
  layers: DecodedPeekLayer[];
  entries: LayerEntry[][];
  full: UnionView;
  sizes: number[];
  trees: Map<string, { view: UnionView; tree: FileTree }>;
}

const dec = new TextDecoder();

/** One ranged GET of a blob through the registry client (auth, proxy and redirects as a pull). */
function rangeFetcher(client: RegistryClient, ref: Reference, digest: Digest): RangeFetch {
  return async (start, end, signal) => {
    const what = `blob ${digest} of ${ref.repository}`;
    const res = await client.request(ref, `/v2/${ref.repository}/blobs/${digest}`, {
      headers: { Range: `bytes=${start}-${end}` },
      what,
      ...(signal ? { signal } : {}),
    });
    if (!res.ok || !res.body) {
      if (res.ok) throw new RegistryError('HTTP_ERROR', `${what}: empty response`, { status: res.status });
      throw await client.fail(res, what);
    }
    const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range')?.trim() ?? '');
    return { status: res.status, body: res.body, ...(res.status === 206 && cr ? { rangeStart: Number(cr[1]) } : {}) };
  };
}

export class Peeker {
  #cache = new Map<string, Peeked>();
  #decoded = new Map<string, DecodedPeekLayer>();

  constructor(private deps: PeekDeps) {}

  /** Manifest, config, history, inspect and layer sizes: only the config blob is downloaded.
   * The image is recorded as peeked (no layer yet indexed unless another peek indexed it). */
  async peek(reference: string, platform?: string, signal?: AbortSignal): Promise<PeekSummary> {
    const ref = parseReference(reference);
    const client = this.deps.client();
    const r = await resolveImage(client, ref, {
      platform: parsePlatform(platform ?? this.deps.defaultPlatform()),
      ...(signal ? { signal } : {}),
    });
    if (r.schema1 || !r.configDigest || !r.configBytes) {
      throw new LayerscopeError('ERROR', `${familiarString(ref)}: schema 1 images cannot be peeked; pull them`);
    }
    const store = await this.deps.store();
    const rec: PeekImageRecord = {
      id: r.configDigest,
      reference: referenceString(ref),
      manifestDigest: r.manifestDigest!,
      manifestMediaType: r.manifestMediaType!,
      manifestBytes: r.manifestBytes!,
      configBytes: r.configBytes,
      layers: r.layers.map((l) => ({ digest: l.digest, size: l.size ?? 0, mediaType: l.mediaType })),
      peekedAt: this.deps.now(),
    };
    await store.putPeekImage(rec);
    const fetched = (r.indexBytes?.length ?? 0) + r.manifestBytes!.length + r.configBytes.length;
    return this.#summary(rec, fetched);
  }

  /** The summary of a stored peeked image (nothing fetched). */
  async summary(id: string): Promise<PeekSummary> {
    return this.#summary(await this.#record(id), 0);
  }

  async #record(id: string): Promise<PeekImageRecord> {
    const store = await this.deps.store();
    let rec = await store.getPeekImage(id as Digest);
    if (!rec) {
      const all = await store.listPeekImages();
      rec = all.find((x) => x.id.slice(7).startsWith(id.replace(/^sha256:/, '')) || x.reference === id);
    }
    if (!rec) throw new LayerscopeError('NOT_FOUND', `No such peeked image: ${id}`);
    return rec;
  }

  /** Each layer descriptor's annotations, from the stored manifest. */
  #annotations(rec: PeekImageRecord): (Record<string, string> | undefined)[] {
    try {
      const m = JSON.parse(dec.decode(rec.manifestBytes)) as { layers?: { annotations?: Record<string, string> }[] };
      return rec.layers.map((_, i) => {
        const a = m.layers?.[i]?.annotations;
        return a && typeof a === 'object' ? a : undefined;
      });
    } catch {
      return [];
    }
  }

  #config(rec: PeekImageRecord): Record<string, unknown> {
    return JSON.parse(dec.decode(rec.configBytes)) as Record<string, unknown>;
  }

  #diffIds(rec: PeekImageRecord): Digest[] {
    const rootfs = this.#config(rec).rootfs as { diff_ids?: unknown } | undefined;
    const ids = Array.isArray(rootfs?.diff_ids) ? (rootfs.diff_ids as Digest[]) : [];
    if (ids.length !== rec.layers.length) {
      throw new LayerscopeError(
        'CONFIG_LAYER_MISMATCH',
        `the config lists ${ids.length} diff_ids for ${rec.layers.length} layers`,
      );
    }
    return ids;
  }

  async #layer(digest: Digest): Promise<DecodedPeekLayer | undefined> {
    const hit = this.#decoded.get(digest);
    if (hit) return hit;
    const store = await this.deps.store();
    const r = await store.getPeekLayer(digest);
    if (!r) return undefined;
    const d = decodePeekLayer(r.layer as StoredPeekLayer);
    this.#decoded.set(digest, d);
    while (this.#decoded.size > 16) this.#decoded.delete(this.#decoded.keys().next().value!);
    return d;
  }

  async #summary(rec: PeekImageRecord, fetchedBytes: number): Promise<PeekSummary> {
    const store = await this.deps.store();
    const config = this.#config(rec);
    const diffIds = this.#diffIds(rec);
    const layers: PeekLayerInfo[] = [];
    const records: LayerRecord[] = [];
    for (const [i, l] of rec.layers.entries()) {
      const stored = await store.getPeekLayer(l.digest);
      const s = stored?.layer as StoredPeekLayer | undefined;
      layers.push({
        digest: l.digest,
        diffId: diffIds[i]!,
        mediaType: l.mediaType,
        compressedSize: l.size,
        indexed: !!s,
        ...(s
          ? {
              // A TOC does not give the tar's size unless the producer annotated it: unknown, not 0.
              ...(s.lazy && !s.uncompressedSize ? {} : { uncompressedSize: s.uncompressedSize }),
              size: s.size,
              entries: s.entryCount,
              checkpoints: s.checkpointCount,
              indexBytes: stored!.bytes,
              compression: s.compression,
              ...(s.lazy === 'estargz' ? { estargz: true } : {}),
              ...(s.lazy === 'zstd:chunked' ? { zstdChunked: true } : {}),
            }
          : {}),
      });
      records.push({
        digest: l.digest,
        diffId: diffIds[i]!,
        mediaType: l.mediaType,
        compressedSize: l.size,
        uncompressedSize: s?.uncompressedSize ?? 0,
        size: s?.size ?? 0,
      });
    }
    const image = this.#imageRecord(rec, config, records);
    const ref = parseReference(rec.reference);
    const tags = ref.tag !== undefined && ref.digest === undefined ? [{ name: rec.reference, imageId: rec.id }] : [];
    const view = buildViews([image], tags)[0]!;
    const hist = Array.isArray(config.history) ? (config.history as Record<string, unknown>[]) : [];
    return {
      id: rec.id,
      reference: rec.reference,
      familiar: familiarString(ref),
      manifestDigest: rec.manifestDigest,
      manifestMediaType: rec.manifestMediaType,
      platform: [image.platform.os, image.platform.architecture, image.platform.variant].filter(Boolean).join('/'),
      created: image.created,
      manifestJson: JSON.stringify(JSON.parse(dec.decode(rec.manifestBytes)), null, 2),
      configJson: JSON.stringify(config, null, 2),
      inspectJson: renderInspectJson([inspectObject(view, config)]),
      history: historyItems(view, config).map((h, i) => ({
        created: h.created,
        createdBy: h.createdBy,
        size: h.size,
        comment: h.comment,
        empty: hist[hist.length - 1 - i]?.empty_layer === true,
      })),
      layers,
      downloadSize: image.downloadSize,
      fetchedBytes,
      allIndexed: layers.every((l) => l.indexed),
    };
  }

  #imageRecord(rec: PeekImageRecord, config: Record<string, unknown>, layers: LayerRecord[]): ImageRecord {
    return {
      id: rec.id,
      manifestDigest: rec.manifestDigest,
      manifestMediaType: rec.manifestMediaType,
      repoDigests: [`${normalizedName(parseReference(rec.reference))}@${rec.manifestDigest}`],
      platform: {
        os: typeof config.os === 'string' ? config.os : '',
        architecture: typeof config.architecture === 'string' ? config.architecture : '',
        ...(typeof config.variant === 'string' ? { variant: config.variant } : {}),
      },
      layers,
      created: typeof config.created === 'string' ? config.created : '',
      size: layers.reduce((n, l) => n + l.size, 0),
      downloadSize: layers.reduce((n, l) => n + l.compressedSize, 0),
      configMediaType: 'application/vnd.oci.image.config.v1+json',
      storedAt: rec.peekedAt,
    };
  }

  /**
   * Streams every layer not yet indexed once (digest and diff_id verified as in a pull) and
   * stores its peek index; nothing of the blobs is kept.
   */
  async index(id: string, onProgress?: (p: PeekIndexProgress) => void, signal?: AbortSignal): Promise<PeekSummary> {
    const rec = await this.#record(id);
    const diffIds = this.#diffIds(rec);
    const ref = parseReference(rec.reference);
    const store = await this.deps.store();
    const present = await store.peekLayersPresent(rec.layers.map((l) => l.digest));
    const annotated = this.#annotations(rec);
    for (const [i, l] of rec.layers.entries()) {
      if (present[i]) continue;
      signal?.throwIfAborted();
      // eStargz: the TOC (two Range requests, checked against the manifest's annotation) is the
      // index; no pass over the layer. A layer without the footer is indexed as any other.
      const tocDigest = annotated[i]?.[ESTARGZ_TOC_DIGEST_ANNOTATION];
      if (tocDigest && l.mediaType.includes('gzip')) {
        const toc = await readEstargzToc(rangeFetcher(this.deps.client(), ref, l.digest), l.size, {
          expectedTocDigest: tocDigest,
          layer: l.digest,
          ...(signal ? { signal } : {}),
        });
        if (toc) {
          const declared = Number(annotated[i]?.[ESTARGZ_UNCOMPRESSED_SIZE_ANNOTATION]);
          const layer = peekLayerFromToc(toc, {
            digest: l.digest,
            diffId: diffIds[i]!,
            compressedSize: l.size,
            uncompressedSize: Number.isSafeInteger(declared) && declared > 0 ? declared : 0,
          });
          const stored = encodePeekLayer(layer);
          await store.putPeekLayer(l.digest, stored, stored.packed.length);
          onProgress?.({ layer: i, digest: l.digest, bytes: l.size, total: l.size, done: true });
          continue;
        }
      }
      // zstd:chunked: the manifest (one Range request, checked against the checksum annotation)
      // is the index, as for eStargz.
      if (l.mediaType.includes('zstd') && zstdChunkedAnnotations(annotated[i])) {
        const toc = await readZstdChunkedToc(rangeFetcher(this.deps.client(), ref, l.digest), l.size, {
          ...(annotated[i] ? { annotations: annotated[i] } : {}),
          layer: l.digest,
          ...(signal ? { signal } : {}),
        });
        if (toc) {
          const layer = peekLayerFromToc(toc, {
            digest: l.digest,
            diffId: diffIds[i]!,
            compressedSize: l.size,
            uncompressedSize: 0,
          });
          const stored = encodePeekLayer(layer);
          await store.putPeekLayer(l.digest, stored, stored.packed.length);
          onProgress?.({ layer: i, digest: l.digest, bytes: l.size, total: l.size, done: true });
          continue;
        }
      }
      const blob = await fetchBlob(this.deps.client(), ref, l.digest, signal ? { signal } : {});
      const layer = await peekIndexLayer(blob.stream, {
        expectedDigest: l.digest,
        expectedDiffId: diffIds[i]!,
        expectedSize: l.size,
        ...(this.deps.hasher ? { hasher: this.deps.hasher } : {}),
        ...(signal ? { signal } : {}),
        onProgress: (bytes) => onProgress?.({ layer: i, digest: l.digest, bytes, total: l.size, done: false }),
      });
      const stored = encodePeekLayer(layer);
      await store.putPeekLayer(l.digest, stored, stored.packed.length);
      onProgress?.({ layer: i, digest: l.digest, bytes: l.size, total: l.size, done: true });
    }
    this.#cache.delete(rec.id);
    return this.#summary(rec, 0);
  }

  async list(): Promise<PeekListItem[]> {
    const store = await this.deps.store();
    const out: PeekListItem[] = [];
    for (const rec of await store.listPeekImages()) {
      let indexed = 0;
      let indexBytes = rec.manifestBytes.length + rec.configBytes.length;
      for (const l of rec.layers) {
        const s = await store.getPeekLayer(l.digest);
        if (s) {
          indexed++;
          indexBytes += s.bytes;
        }
      }
      out.push({
        id: rec.id,
        reference: rec.reference,
        familiar: familiarString(parseReference(rec.reference)),
        layers: rec.layers.length,
        indexedLayers: indexed,
        downloadSize: rec.layers.reduce((n, l) => n + l.size, 0),
        indexBytes,
        peekedAt: rec.peekedAt,
      });
    }
    return out.sort((a, b) => b.peekedAt - a.peekedAt);
  }

  async remove(id: string): Promise<boolean> {
    const rec = await this.#record(id);
    const store = await this.deps.store();
    this.#cache.delete(rec.id);
    for (const l of rec.layers) this.#decoded.delete(l.digest);
    return (await store.deletePeekImage(rec.id)).removed;
  }

  async #peeked(id: string): Promise<Peeked> {
    const rec = await this.#record(id);
    const hit = this.#cache.get(rec.id);
    if (hit) return hit;
    const layers: DecodedPeekLayer[] = [];
    for (const l of rec.layers) {
      const d = await this.#layer(l.digest);
      if (!d) throw new LayerscopeError('INDEX_MISSING', `layer ${l.digest} is not indexed yet: press Index first`);
      layers.push(d);
    }
    const entries = layers.map((l) => decodeLayerIndex(l.index));
    const { sizes, view } = chainLayerSizes(entries);
    const p: Peeked = { rec, layers, entries, full: view, sizes, trees: new Map() };
    this.#cache.set(rec.id, p);
    while (this.#cache.size > 2) this.#cache.delete(this.#cache.keys().next().value!);
    return p;
  }

  /** The union view's rows, as the explorer's files() gives them. */
  async files(id: string, q: FileQuery): Promise<FileRowsWindow> {
    const p = await this.#peeked(id);
    const top = q.layer === undefined ? p.entries.length - 1 : Math.max(0, Math.min(q.layer, p.entries.length - 1));
    const key = `${top}:${q.mode}`;
    let t = p.trees.get(key);
    if (!t) {
      const view = top === p.entries.length - 1 ? p.full : applyLayers(p.entries.slice(0, top + 1));
      const changes = view.layers[top];
      t = {
        view,
        tree: fileTree(view, {
          ...(changes && q.layer !== undefined ? { changes } : {}),
          onlyChanged: q.mode === 'own',
        }),
      };
      p.trees.set(key, t);
    }
    let expanded = new Set(q.expanded);
    let filter: Set<string> | undefined;
    let matches: number | undefined;
    if (q.search.trim()) {
      const found = searchPaths(t.view, q.search.trim(), { limit: 5000 });
      matches = found.length;
      filter = new Set(found);
      const anc = ancestorsOf(found);
      for (const a of anc) filter.add(a);
      expanded = new Set([...expanded, ...anc]);
    }
    let rows = flattenVisible(t.tree, expanded, { by: q.sortBy, descending: q.sortBy === 'size' });
    if (filter) rows = rows.filter((r) => filter.has(r.path));
    const start = Math.max(0, Math.min(q.start, rows.length));
    return {
      total: rows.length,
      start,
      rows: rows.slice(start, start + Math.min(q.count, 500)),
      ...(matches !== undefined ? { matches } : {}),
    };
  }

  /** Every path of the merged view (tests, the command bar). */
  async paths(id: string): Promise<string[]> {
    return [...(await this.#peeked(id)).full.entries.keys()];
  }

  /**
   * One file, read with a Range request from the nearest checkpoint and verified against its
   * recorded SHA-256 (LAYER_FILE_MISMATCH otherwise). Symlinks are followed inside the image.
   */
  async readFile(
    id: string,
    path: string,
    opts: { whole?: boolean; signal?: AbortSignal } = {},
  ): Promise<PeekFileContent> {
    const p = await this.#peeked(id);
    const own = p.full.entries.get(path);
    if (!own) throw new LayerscopeError('NOT_FOUND', `no such file in the image: /${path}`);
    let entry = own;
    let resolved = path;
    let linkTarget: string | undefined = own.hardlinkTo;
    if (own.type === 'symlink') {
      const r = resolvePath(p.full, path);
      if (!r.entry)
        throw new LayerscopeError(
          'DANGLING_LINK',
          `/${path} is a symlink to ${own.linkname}, which does not exist in the image`,
        );
      entry = r.entry;
      resolved = r.path;
      linkTarget = own.linkname ?? '';
    }
    const base = {
      path,
      resolved,
      type: entry.type,
      size: entry.size,
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      ...(linkTarget !== undefined ? { linkTarget } : {}),
    };
    if (entry.type !== 'file')
      return { ...base, bytes: new Uint8Array(0), truncated: false, fetched: 0, range: [0, -1], rangeIgnored: false };
    const li = entry.dataLayer;
    const layer = p.layers[li]!;
    const entries = p.entries[li]!;
    const k = entries.findIndex((e) => e.offset === entry.dataOffset && e.type === 'file');
    const hash = k >= 0 ? fileHashLookup(layer.index, layer.fileHashes)(k) : undefined;
    const whole = opts.whole || entry.size <= MAX_PREVIEW_BYTES;
    const size = whole ? entry.size : MAX_PREVIEW_BYTES;
    const ref = parseReference(p.rec.reference);
    const digest = p.rec.layers[li]!.digest;
    if (layer.toc) {
      // eStargz: the file's chunks, one Range request each, checked against the TOC's digests.
      if (entry.size === 0) {
        return { ...base, bytes: new Uint8Array(0), truncated: false, fetched: 0, range: [0, -1], rangeIgnored: false };
      }
      const te = tocFileAt(layer.toc, entry.dataOffset);
      if (!te) throw new LayerscopeError('LAYER_CORRUPT', `/${resolved}: not in the layer's eStargz TOC`);
      const read = layer.toc.format === 'zstd:chunked' ? readZstdChunkedFile : readEstargzFile;
      const got = await read(rangeFetcher(this.deps.client(), ref, digest), layer.toc, te.name, {
        layer: digest,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      return {
        ...base,
        bytes: whole ? got.bytes : got.bytes.subarray(0, size),
        truncated: !whole,
        fetched: got.fetched,
        range: [te.offset ?? 0, (te.offset ?? 0) + got.fetched - 1],
        rangeIgnored: false,
      };
    }
    // The whole file is read and checked against its SHA-256; a preview keeps its first 2 MiB.
    const plan = planRead(layer, { offset: entry.dataOffset, size: entry.size });
    const got = await readPlanned(
      rangeFetcher(this.deps.client(), ref, digest),
      plan,
      hash ? bytesHex(hash) : undefined,
      {
        layer: digest,
        path: resolved,
        ...(whole ? {} : { keep: size }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    );
    return {
      ...base,
      bytes: got.bytes,
      truncated: !whole,
      fetched: got.fetched,
      range: [plan.start, plan.end],
      rangeIgnored: got.rangeIgnored,
    };
  }
}

/** The command bar's `peek` over a Peeker (src/core/peek/command.ts). */
export function peekPort(p: Peeker): PeekPort {
  return {
    peek: (ref, platform) => p.peek(ref, platform),
    index: async (id, onLayer) => {
      const s = await p.index(id, (e) => onLayer({ layer: e.layer, digest: e.digest, done: e.done }));
      return s;
    },
    list: () => p.list(),
    readFile: (id, path) => p.readFile(id, path),
    remove: (id) => p.remove(id),
  };
}
