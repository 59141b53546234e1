/**
 * Comparing two stored images (or an image with its base, or one image at two layers) in the
 * engine worker: the views come from the explorer's cache, content is settled by hashing only
 * the equal-size files whose bytes live in different blobs (one read per layer), and the last
 * comparison is kept so the UI can ask for windows of rows, filtered and sorted.
 */
import {
  compareConfigs,
  compareFiles,
  compareHistory,
  diffJson,
  diffText,
  directoryDeltas,
  fileLists,
  hashBodiesAt,
  historyListChanges,
  metadataListChanges,
  settleContent,
  sharedLayerCount,
  textDiff,
  MAX_TEXT_DIFF_BYTES,
  type CompareSide,
  type ComparableConfig,
  type DiffType,
  type FileChange,
  type FileComparison,
} from '../core/compare/index.ts';
import { decompress, sniffSource } from '../core/compression.ts';
import { LayerscopeError } from '../core/errors.ts';
import { LIMITS } from '../core/limits.ts';
import { parseDigest, type Digest } from '../core/digest.ts';
import { readFileFromLayer, streamFileFromLayer } from '../core/layer/ingest.ts';
import { createSha256 } from '../core/sha256.ts';
import { iteratorOf } from '../core/tar/bytes.ts';
import type { ImageRecord } from '../core/model.ts';
import type { Store } from '../store/index.ts';
import type { Explorer } from './explore.ts';
import type {
  CompareRequest,
  CompareRowsQuery,
  CompareRowsWindow,
  ComparisonResult,
  CompareSideInfo,
  FileDiffResult,
} from './compare-api.ts';

/** Directories listed in the size view: the largest changes first. */
const MAX_DIRECTORIES = 500;

interface Side extends CompareSide {
  image: ImageRecord;
  blobs: Digest[];
  config: ComparableConfig;
  info: CompareSideInfo;
}

interface Kept {
  key: string;
  a: Side;
  b: Side;
  files: FileComparison;
}

export class Comparer {
  #last: Kept | undefined;

  constructor(
    private store: () => Promise<Store>,
    private explorer: Explorer,
  ) {}

  async #side(id: Digest, layer: number | undefined, name: string): Promise<Side> {
    const store = await this.store();
    const image = await store.getImage(id);
    if (!image) throw new LayerscopeError('NOT_FOUND', `No such image: ${name}`);
    if (layer !== undefined && (layer < 0 || layer >= image.layers.length)) {
      throw new LayerscopeError(
        'NOT_FOUND',
        `${name} has ${image.layers.length} layers: there is no layer ${layer + 1}`,
      );
    }
    const config = JSON.parse(
      new TextDecoder().decode(await store.readBlobBytes(id, LIMITS.configBytes)),
    ) as ComparableConfig;
    const { view, blobs } = await this.explorer.view(id, layer);
    const top = layer ?? image.layers.length - 1;
    const layerIds = image.layers.map((l) => l.diffId as string);
    let files = 0;
    let size = 0;
    for (const e of view.entries.values()) {
      if (e.type === 'dir') continue;
      files++;
      size += e.type === 'file' ? e.size : 0;
    }
    return {
      image,
      blobs,
      config,
      view,
      // Layers above the compared one are not part of this side.
      layerIds: layerIds.slice(0, top + 1),
      info: { id, name, layer, layers: top + 1, files, size },
    };
  }

  /** Runs a comparison and keeps it for `rows` and `fileDiff`. */
  async compare(req: CompareRequest, signal?: AbortSignal): Promise<ComparisonResult> {
    const key = JSON.stringify(req);
    const a = await this.#side(parseDigest(req.a), req.aLayer, req.aName ?? req.a.slice(7, 19));
    const b = await this.#side(parseDigest(req.b), req.bLayer, req.bName ?? req.b.slice(7, 19));
    const started = performance.now();
    let files = compareFiles(a, b);
    const hashedFiles = files.candidates.length;
    if (hashedFiles > 0) {
      const [da, db] = await Promise.all([this.#digests(a, files, 'a', signal), this.#digests(b, files, 'b', signal)]);
      files = settleContent(files, a, b, da, db);
    }
    this.#last = { key, a, b, files };
    const counts = { added: 0, removed: 0, modified: 0, metadata: 0 };
    let addedBytes = 0;
    let removedBytes = 0;
    for (const c of files.changes) {
      counts[c.kind]++;
      if (c.kind === 'added' && c.b!.type !== 'dir') addedBytes += c.b!.size;
      if (c.kind === 'removed' && c.a!.type !== 'dir') removedBytes += c.a!.size;
    }
    const dirs = directoryDeltas(a, b)
      .filter((d) => d.sizeA !== d.sizeB)
      .sort((x, y) => Math.abs(y.sizeB - y.sizeA) - Math.abs(x.sizeB - x.sizeA))
      .slice(0, MAX_DIRECTORIES);
    return {
      a: a.info,
      b: b.info,
      sharedLayers: sharedLayerCount(a.layerIds, b.layerIds),
      counts,
      addedBytes,
      removedBytes,
      hashedFiles,
      sameByLocation: files.sameByLocation,
      directories: dirs,
      config: compareConfigs(a.config, b.config),
      history: compareHistory(a.config, b.config),
      ms: Math.round(performance.now() - started),
    };
  }

  /** Content digests of every candidate on one side, reading each layer it needs once. */
  async #digests(side: Side, files: FileComparison, which: 'a' | 'b', signal?: AbortSignal): Promise<string[]> {
    const store = await this.store();
    const byLayer = new Map<number, number[]>();
    for (const c of files.candidates) {
      const loc = c[which];
      const list = byLayer.get(loc.layer) ?? [];
      list.push(loc.offset);
      byLayer.set(loc.layer, list);
    }
    const found = new Map<string, string>();
    for (const [layer, offsets] of byLayer) {
      const { compression, source } = await sniffSource(iteratorOf(store.readBlob(side.blobs[layer]!)));
      const digests = await hashBodiesAt(decompress(source, compression), offsets, signal);
      for (const [offset, d] of digests) found.set(`${layer}:${offset}`, d);
    }
    return files.candidates.map((c) => found.get(`${c[which].layer}:${c[which].offset}`)!);
  }

  #kept(): Kept {
    if (!this.#last) throw new LayerscopeError('NOT_FOUND', 'no comparison has been made yet');
    return this.#last;
  }

  /** A window of the kept comparison's changes, filtered and sorted. */
  rows(q: CompareRowsQuery): CompareRowsWindow {
    const { files } = this.#kept();
    const needle = q.path.trim().replace(/^\/+/, '');
    let rows = files.changes.filter((c) => q.kinds.includes(c.kind) && (needle === '' || c.path.includes(needle)));
    if (q.sort === 'delta') {
      const delta = (c: FileChange) => Math.abs((c.b?.size ?? 0) - (c.a?.size ?? 0));
      rows = rows.slice().sort((x, y) => delta(y) - delta(x) || (x.path < y.path ? -1 : 1));
    }
    return { total: rows.length, start: q.start, rows: rows.slice(q.start, q.start + q.count) };
  }

  /** One changed path, both versions: a line diff for text, sizes and digests otherwise. */
  async fileDiff(path: string): Promise<FileDiffResult> {
    const { a, b } = this.#kept();
    const store = await this.store();
    const read = async (side: Side) => {
      const e = side.view.entries.get(path);
      if (!e) return undefined;
      if (e.type !== 'file') return { type: e.type, size: e.size, ...(e.linkname ? { linkname: e.linkname } : {}) };
      const blob = side.blobs[e.dataLayer]!;
      const h = createSha256();
      const reader = streamFileFromLayer(
        store.readBlob(blob),
        { offset: e.dataOffset, size: e.size },
        {
          maxBytes: Number.MAX_SAFE_INTEGER,
        },
      ).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        h.update(value);
      }
      const bytes =
        e.size <= MAX_TEXT_DIFF_BYTES
          ? await readFileFromLayer(store.readBlob(blob), { offset: e.dataOffset, size: e.size }, { maxBytes: e.size })
          : undefined;
      return { type: e.type, size: e.size, digest: h.digest() as string, bytes };
    };
    const [va, vb] = await Promise.all([read(a), read(b)]);
    const result: FileDiffResult = { path };
    if (va) result.a = { type: va.type, size: va.size, ...('digest' in va ? { digest: va.digest } : {}) };
    if (vb) result.b = { type: vb.type, size: vb.size, ...('digest' in vb ? { digest: vb.digest } : {}) };
    const ba = va && 'bytes' in va ? va.bytes : va ? new Uint8Array(0) : new Uint8Array(0);
    const bb = vb && 'bytes' in vb ? vb.bytes : vb ? new Uint8Array(0) : new Uint8Array(0);
    if (ba === undefined || bb === undefined) result.diff = { kind: 'too-large' };
    else result.diff = textDiff(ba, bb, `${a.info.name}:/${path}`, `${b.info.name}:/${path}`);
    return result;
  }

  /** The comparison as container-diff prints it (the command bar's `compare`). */
  async text(
    req: CompareRequest,
    opts: { types: readonly DiffType[]; json: boolean; orderBySize: boolean },
    signal?: AbortSignal,
  ): Promise<string> {
    await this.compare(req, signal);
    const { a, b, files } = this.#kept();
    const sum = (s: Side) => {
      let n = 0;
      for (const e of s.view.entries.values())
        if (e.type === 'file' || e.type === 'symlink')
          n += e.type === 'file' ? e.size : new TextEncoder().encode(e.linkname ?? '').length;
      return n;
    };
    const inputs = {
      image1: a.info.name,
      image2: b.info.name,
      files: fileLists(files.changes, opts.orderBySize),
      size: { size1: sum(a), size2: sum(b) },
      history: historyListChanges(a.config, b.config),
      metadata: metadataListChanges(a.config, b.config),
    };
    return opts.json ? diffJson(inputs, opts.types) : diffText(inputs, opts.types);
  }
}
