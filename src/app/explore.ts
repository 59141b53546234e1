/**
 * The image explorer's worker side: union views, file trees, sizes and file contents, built
 * from the layer indexes and blobs in the store. Views are cached for the images last opened;
 * the UI asks for windows of rows, so 100,000 entries never cross postMessage at once.
 */
import {
  ancestorsOf,
  fileTree,
  flattenVisible,
  searchPaths,
  type FileTree,
  type TreeSort,
} from '../core/analysis/index.ts';
import { sharedLayers, storeSizes } from '../core/analysis/store-sizes.ts';
import { wasted } from '../core/analysis/wasted.ts';
import { buildViews } from '../core/commands/store-view.ts';
import { historyItems, inspectObject, renderInspectJson } from '../core/commands/inspect.ts';
import { createdSince } from '../core/docker/format.ts';
import type { Digest } from '../core/digest.ts';
import { LIMITS } from '../core/limits.ts';
import type { LayerEntry } from '../core/layer/entry.ts';
import { readFileFromLayer, streamFileFromLayer } from '../core/layer/ingest.ts';
import { chainLayerSizes } from '../core/layer/size.ts';
import { manifestLayers, manifestViewOf } from '../core/image-refs.ts';
import { applyLayers, resolvePath, type UnionView, type ViewEntry } from '../core/union/index.ts';
import { tarStream, type TarWriteEntry } from '../core/tar/writer.ts';
import { readTar } from '../core/tar/reader.ts';
import { iteratorOf } from '../core/tar/bytes.ts';
import { decompress, sniffSource } from '../core/compression.ts';
import { reconstructDockerfile } from '../core/analysis/dockerfile.ts';
import type { Store } from '../store/index.ts';
import { LayerscopeError } from '../core/errors.ts';
import { layerEntries } from './store-port.ts';
import type { FileContent, FileQuery, FileRowsWindow, ImageDetail, LayerInfo, SharingSnapshot } from './api.ts';

const MAX_CACHED_IMAGES = 2;
const MAX_PREVIEW_BYTES = 2 << 20;

interface Explored {
  layers: LayerEntry[][];
  /** Each layer's blob digest, bottom first (an image ID names fixed content: never stale). */
  blobs: Digest[];
  full: UnionView;
  /** Each layer's size in this image (hard links into lower layers counted, as Docker does). */
  sizes: number[];
  /** Per selected layer and mode: the view and its tree. */
  trees: Map<string, { view: UnionView; tree: FileTree }>;
  rowsKey?: string;
  rows?: ReturnType<typeof flattenVisible>;
}

export class Explorer {
  #cache = new Map<string, Explored>();

  constructor(private store: () => Promise<Store>) {}

  async #explored(id: Digest): Promise<Explored> {
    const hit = this.#cache.get(id);
    if (hit) {
      this.#cache.delete(id);
      this.#cache.set(id, hit);
      return hit;
    }
    const store = await this.store();
    const image = await store.getImage(id);
    if (!image) throw new LayerscopeError('NOT_FOUND', `No such image: ${id}`);
    const layers: LayerEntry[][] = [];
    for (const l of image.layers) {
      const entries = await layerEntries(store, l.diffId);
      if (!entries)
        throw new LayerscopeError(
          'INDEX_MISSING',
          `the file index of layer ${l.diffId} is missing; pull the image again`,
        );
      layers.push(entries);
    }
    const { sizes, view } = chainLayerSizes(layers);
    const e: Explored = {
      layers,
      blobs: image.layers.map((l) => l.digest),
      full: view,
      sizes,
      trees: new Map(),
    };
    this.#cache.set(id, e);
    while (this.#cache.size > MAX_CACHED_IMAGES) this.#cache.delete(this.#cache.keys().next().value!);
    return e;
  }

  /** The merged view of an image, or of its layers up to `layer` (inclusive), and the blob
   * holding each layer's bytes: what a comparison reads. */
  async view(id: Digest, layer?: number): Promise<{ view: UnionView; blobs: Digest[] }> {
    const e = await this.#explored(id);
    if (layer === undefined || layer >= e.layers.length - 1) return { view: e.full, blobs: e.blobs };
    if (layer < 0) throw new LayerscopeError('NOT_FOUND', `no layer ${layer} in ${id}`);
    return { view: applyLayers(e.layers.slice(0, layer + 1)), blobs: e.blobs };
  }

  /** `ref` is the reference the image was opened by: its manifest is the one shown. */
  async detail(id: Digest, now: number, ref?: string): Promise<ImageDetail> {
    const store = await this.store();
    const [images, tags] = await Promise.all([store.listImages(), store.listTags()]);
    const view = buildViews(images, tags).find((v) => v.image.id === id);
    if (!view) throw new LayerscopeError('NOT_FOUND', `No such image: ${id}`);
    const config = JSON.parse(new TextDecoder().decode(await store.readBlobBytes(id, LIMITS.configBytes))) as Record<
      string,
      unknown
    >;
    const explored = await this.#explored(id);
    const w = wasted(explored.layers, explored.full);
    const sizes = storeSizes(images).images.find((s) => s.id === id);
    const img = view.image;
    // The manifest of the reference opened (media types, download sizes, digests of its blobs).
    const shown = manifestViewOf(img, ref);
    let shownLayers: { digest: Digest; mediaType: string; size: number }[] | undefined;
    if (shown.manifestDigest !== img.manifestDigest) {
      const m = await store.getManifest(shown.manifestDigest);
      if (m) shownLayers = manifestLayers(m.bytes, m.mediaType, img.layers.length);
    }
    const layerOf = (i: number) => {
      const l = img.layers[i]!;
      const s = shownLayers?.[i];
      return s ? { ...l, digest: s.digest, mediaType: s.mediaType, compressedSize: s.size } : l;
    };

    // History entries in order, each non-empty one matched to the next layer.
    const history = Array.isArray(config.history) ? (config.history as Record<string, unknown>[]) : [];
    const layerInfos: LayerInfo[] = [];
    let li = 0;
    for (const h of history.length ? history : img.layers.map((): Record<string, unknown> => ({}))) {
      const empty = h.empty_layer === true;
      const l = empty || li >= img.layers.length ? undefined : layerOf(li);
      const changes = l ? explored.full.layers[li] : undefined;
      layerInfos.push({
        index: l ? li : -1,
        createdBy: typeof h.created_by === 'string' ? h.created_by : '',
        created: typeof h.created === 'string' ? h.created : '',
        comment: typeof h.comment === 'string' ? h.comment : '',
        empty,
        ...(l
          ? {
              digest: l.digest,
              diffId: l.diffId,
              mediaType: l.mediaType,
              compressedSize: l.compressedSize,
              uncompressedSize: l.uncompressedSize,
              size: explored.sizes[li] ?? l.size,
              added: changes?.added ?? 0,
              modified: changes?.modified ?? 0,
              removed: changes?.removed ?? 0,
            }
          : {}),
      });
      if (!empty) li++;
    }
    // Layers the history does not describe (images without history): list them anyway.
    for (; li < img.layers.length; li++) {
      const l = layerOf(li);
      layerInfos.push({
        index: li,
        createdBy: '',
        created: '',
        comment: '',
        empty: false,
        digest: l.digest,
        diffId: l.diffId,
        mediaType: l.mediaType,
        compressedSize: l.compressedSize,
        uncompressedSize: l.uncompressedSize,
        size: explored.sizes[li] ?? l.size,
        added: explored.full.layers[li]?.added ?? 0,
        modified: explored.full.layers[li]?.modified ?? 0,
        removed: explored.full.layers[li]?.removed ?? 0,
      });
    }

    return {
      id,
      repoTags: view.tags.map((t) => t.familiar),
      repoDigests: view.digests.map((d) => d.familiar),
      platform: [img.platform.os, img.platform.architecture, img.platform.variant].filter(Boolean).join('/'),
      created: img.created,
      createdSince: createdSince(view.created, now) || 'N/A',
      manifestDigest: shown.manifestDigest,
      manifestMediaType: shown.manifestMediaType,
      ...(shown.indexDigest ? { indexDigest: shown.indexDigest } : {}),
      schema1: img.schema1 === true,
      size: img.size,
      downloadSize: shownLayers ? shownLayers.reduce((n, l) => n + l.size, 0) : img.downloadSize,
      sharedSize: sizes?.sharedSize ?? 0,
      uniqueSize: sizes?.uniqueSize ?? img.size,
      wastedBytes: w.wastedBytes,
      efficiency: w.efficiency,
      reclaimableBytes: w.reclaimableBytes,
      wastedPaths: w.paths.slice(0, 100).map((p) => ({ path: p.path, count: p.count, wastedSize: p.wastedSize })),
      layers: layerInfos,
      layerErrors: explored.full.errors.map((e) => e.message),
      inspectJson: renderInspectJson([inspectObject(view, config)]),
      history: historyItems(view, config).map((h) => ({
        ...h,
        createdSince: h.created > 0 ? createdSince(h.created, now) : 'N/A',
      })),
      dockerfile: reconstructDockerfile(history),
      fileCount: explored.full.entries.size,
    };
  }

  async #tree(id: Digest, layer: number | undefined, mode: 'upto' | 'own') {
    const e = await this.#explored(id);
    const top = layer === undefined ? e.layers.length - 1 : Math.max(0, Math.min(layer, e.layers.length - 1));
    const key = `${top}:${mode}`;
    let t = e.trees.get(key);
    if (!t) {
      const view = top === e.layers.length - 1 ? e.full : applyLayers(e.layers.slice(0, top + 1));
      const changes = view.layers[top];
      const tree = fileTree(view, {
        ...(changes && layer !== undefined ? { changes } : {}),
        onlyChanged: mode === 'own',
      });
      t = { view, tree };
      e.trees.set(key, t);
    }
    return { e, ...t };
  }

  async files(id: Digest, q: FileQuery): Promise<FileRowsWindow> {
    const { e, view, tree } = await this.#tree(id, q.layer, q.mode);
    const sort: TreeSort = { by: q.sortBy, descending: q.sortBy === 'size' };
    let expanded = new Set(q.expanded);
    let matches: number | undefined;
    let filter: Set<string> | undefined;
    if (q.search.trim()) {
      const found = searchPaths(view, q.search.trim(), { limit: 5000 });
      matches = found.length;
      filter = new Set(found);
      const anc = ancestorsOf(found);
      for (const a of anc) filter.add(a);
      expanded = new Set([...expanded, ...anc]);
    }
    const key = JSON.stringify([q.layer, q.mode, q.sortBy, [...expanded].sort(), q.search]);
    let rows = e.rowsKey === key ? e.rows! : undefined;
    if (!rows) {
      rows = flattenVisible(tree, expanded, sort);
      if (filter) rows = rows.filter((r) => filter.has(r.path));
      e.rowsKey = key;
      e.rows = rows;
    }
    const start = Math.max(0, Math.min(q.start, rows.length));
    return {
      total: rows.length,
      start,
      rows: rows.slice(start, start + Math.min(q.count, 500)),
      ...(matches !== undefined ? { matches } : {}),
    };
  }

  /** Where a path's bytes are: the entry after following symlinks, clamped at the root. */
  async #locate(
    id: Digest,
    path: string,
  ): Promise<{ e: Explored; entry: ViewEntry; resolved: string; linkTarget?: string }> {
    const e = await this.#explored(id);
    const own = e.full.entries.get(path);
    if (!own) throw new LayerscopeError('NOT_FOUND', `no such file in the image: /${path}`);
    if (own.type !== 'symlink')
      return { e, entry: own, resolved: path, ...(own.hardlinkTo ? { linkTarget: own.hardlinkTo } : {}) };
    const r = resolvePath(e.full, path);
    if (!r.entry)
      throw new LayerscopeError(
        'DANGLING_LINK',
        `/${path} is a symlink to ${own.linkname}, which does not exist in the image`,
      );
    return { e, entry: r.entry, resolved: r.path, linkTarget: own.linkname ?? '' };
  }

  async readFile(id: Digest, path: string): Promise<FileContent> {
    const { e, entry, resolved, linkTarget } = await this.#locate(id, path);
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
    if (entry.type !== 'file') return { ...base, bytes: new Uint8Array(0), truncated: false };
    const store = await this.store();
    const want = Math.min(entry.size, MAX_PREVIEW_BYTES);
    const bytes = await readFileFromLayer(
      store.readBlob(e.blobs[entry.dataLayer]!),
      { offset: entry.dataOffset, size: want },
      { maxBytes: want },
    );
    return { ...base, bytes, truncated: entry.size > want };
  }

  /** One file's whole content, streamed from its layer blob. */
  async fileStream(
    id: Digest,
    path: string,
  ): Promise<{ name: string; size: number; stream: ReadableStream<Uint8Array> }> {
    const { e, entry, resolved } = await this.#locate(id, path);
    if (entry.type !== 'file') throw new LayerscopeError('NOT_A_FILE', `/${resolved} is not a regular file`);
    const store = await this.store();
    return {
      name: resolved.split('/').pop() || 'file',
      size: entry.size,
      stream: streamFileFromLayer(
        store.readBlob(e.blobs[entry.dataLayer]!),
        { offset: entry.dataOffset, size: entry.size },
        { maxBytes: Number.MAX_SAFE_INTEGER },
      ),
    };
  }

  /**
   * The merged filesystem as one tar (what `crane export` writes, what containerd would
   * extract): each layer is read once, bottom up. Paths sharing an inode are grouped: one of
   * them carries the bytes, read from the layer entry that holds them (even when that entry's
   * own path was deleted or replaced later), and the others follow at the end as hard links to
   * it. A hard link whose target was replaced later keeps the old content, as on disk.
   */
  async exportFilesystem(id: Digest): Promise<ReadableStream<Uint8Array>> {
    const e = await this.#explored(id);
    const store = await this.store();
    const { implicit, byLayer, links } = exportPlan(e.full);
    async function* entries(): AsyncGenerator<TarWriteEntry> {
      // Parents that no layer wrote (created implicitly, as Docker does) come first.
      for (const v of implicit) yield exportHeader(v);
      for (const li of [...byLayer.keys()].sort((x, y) => x - y)) {
        // One pass over this layer's tar: the entries whose bytes or final version it holds,
        // in tar order, bodies streamed straight from the decompressed layer.
        const byOffset = new Map(byLayer.get(li)!.map((v) => [v.dataOffset, v]));
        const { compression, source } = await sniffSource(iteratorOf(store.readBlob(e.blobs[li]!)));
        for await (const t of readTar(decompress(source, compression))) {
          const v = byOffset.get(t.header.offset);
          if (!v || (v.type === 'file' && (t.header.type !== 'file' || t.header.size !== v.size))) {
            await t.skip();
            continue;
          }
          byOffset.delete(t.header.offset);
          if (v.type === 'file' && v.size > 0) yield { ...exportHeader(v), size: v.size, body: t.body() };
          else yield exportHeader(v);
        }
        if (byOffset.size > 0)
          throw new LayerscopeError(
            'LAYER_CHANGED',
            `layer ${e.blobs[li]} no longer holds ${byOffset.size} of its indexed entries`,
          );
      }
      for (const [v, to] of links) yield { ...exportHeader(v), type: 'hardlink', linkname: to, size: 0 };
    }
    return tarStream(entries());
  }

  /** The children of a directory of the merged tree with their sizes (for the treemap). */
  async children(id: Digest, path: string): Promise<{ path: string; name: string; size: number; isDir: boolean }[]> {
    const { tree } = await this.#tree(id, undefined, 'upto');
    const node = tree.byPath.get(path);
    return (node?.children ?? []).map((c) => ({ path: c.path, name: c.name, size: c.size, isDir: c.type === 'dir' }));
  }

  async sharing(): Promise<SharingSnapshot> {
    const store = await this.store();
    const [images, tags] = await Promise.all([store.listImages(), store.listTags()]);
    const views = new Map(buildViews(images, tags).map((v) => [v.image.id as string, v]));
    const name = (id: string) => {
      const v = views.get(id);
      return v?.tags[0]?.familiar ?? v?.digests[0]?.familiarName ?? id.slice(7, 19);
    };
    const sizes = storeSizes(images);
    const layers = sharedLayers(images);
    return {
      sizes: { ...sizes, images: sizes.images.map((s) => ({ ...s, name: name(s.id) })) },
      layers: layers
        .filter((l) => l.images.length > 1)
        .map((l) => ({ diffId: l.diffId, size: l.size, compressedSize: l.compressedSize, images: l.images.map(name) })),
    };
  }

  forget(id?: Digest): void {
    if (id) this.#cache.delete(id);
    else this.#cache.clear();
  }
}

/** The tar header of a view entry. */
function exportHeader(v: ViewEntry): TarWriteEntry {
  return {
    path: v.path,
    type: v.type,
    mode: v.mode,
    uid: v.uid,
    gid: v.gid,
    mtime: v.mtime,
    ...(v.linkname !== undefined ? { linkname: v.linkname } : {}),
    ...(v.uname !== undefined ? { uname: v.uname } : {}),
    ...(v.gname !== undefined ? { gname: v.gname } : {}),
    ...(v.devmajor !== undefined ? { devmajor: v.devmajor } : {}),
    ...(v.devminor !== undefined ? { devminor: v.devminor } : {}),
    ...(v.xattrs ? { xattrs: v.xattrs } : {}),
  };
}

/**
 * What a filesystem export writes, grouped by inode: per layer, the entries whose bytes it
 * holds (keyed by the data's layer, so a link whose target path is gone still finds them); the
 * other paths of each inode as hard links to the one written; implicit parents, sorted.
 */
export function exportPlan(view: UnionView): {
  implicit: ViewEntry[];
  byLayer: Map<number, ViewEntry[]>;
  links: [ViewEntry, string][];
} {
  const implicit: ViewEntry[] = [];
  const groups = new Map<number, ViewEntry[]>();
  for (const v of view.entries.values()) {
    if (v.implicit || v.layer < 0) implicit.push(v);
    else {
      const g = groups.get(v.inode);
      if (g) g.push(v);
      else groups.set(v.inode, [v]);
    }
  }
  const byLayer = new Map<number, ViewEntry[]>();
  const links: [ViewEntry, string][] = [];
  for (const g of groups.values()) {
    // The entry that is the data's own tar entry if it is still in view, else the first path.
    const own = g.find((v) => v.layer === v.dataLayer && v.offset === v.dataOffset);
    const first = own ?? g.reduce((a, b) => (b.path < a.path ? b : a));
    const list = byLayer.get(first.dataLayer);
    if (list) list.push(first);
    else byLayer.set(first.dataLayer, [first]);
    for (const v of g) if (v !== first) links.push([v, first.path]);
  }
  implicit.sort((a, b) => (a.path < b.path ? -1 : 1));
  links.sort((a, b) => (a[0].path < b[0].path ? -1 : 1));
  return { implicit, byLayer, links };
}
