/**
 * The Packages tab's worker side: each stored image's package history (which layer added,
 * upgraded or removed each OS package), SBOM exports and package differences between two
 * images. Database files come from the bytes kept when each layer was ingested (StoredLayer's
 * packageFiles, beside its index); only layers stored before that, or files over
 * LIMITS.packageCapture, are read from the layer blobs, each layer's tar once for all the
 * database versions it holds.
 */
import type { Digest } from '../core/digest.ts';
import { buildViews } from '../core/commands/store-view.ts';
import { decompress, sniffSource } from '../core/compression.ts';
import { decodeLayerIndex, decodeLayerIndexPicked } from '../core/layer/entry.ts';
import { bearsOnDatabases } from '../core/packages/locate.ts';
import {
  comparePackages,
  fileId,
  packageHistory,
  type DbFile,
  type PackageDiff,
  type PackageHistory,
} from '../core/packages/index.ts';
import { MAX_DB_FILE_BYTES } from '../core/packages/types.ts';
import { cyclonedxDocument } from '../core/sbom/cyclonedx.ts';
import type { SbomInput } from '../core/sbom/input.ts';
import { spdxDocument } from '../core/sbom/spdx.ts';
import { ByteReader, iteratorOf } from '../core/tar/bytes.ts';
import type { Store } from '../store/index.ts';
import type { StoredLayer } from './store-port.ts';

const MAX_CACHED = 8;

export interface PackageLayer {
  index: number;
  digest: Digest;
  diffId: Digest;
  /** The history line that created the layer ('' when the config has none). */
  createdBy: string;
}

export interface ImagePackages extends PackageHistory {
  id: Digest;
  /** A name for the image: its first tag, else its short ID. */
  name: string;
  layers: PackageLayer[];
}

export type SbomFormat = 'spdx' | 'cyclonedx';

export interface SbomFile {
  fileName: string;
  mediaType: string;
  text: string;
}

/** Reads `files` from the layers' blobs: one pass over each layer's (decompressed) tar,
 * files taken in offset order. */
async function readFromLayers(
  store: Store,
  blobs: readonly Digest[],
  files: readonly DbFile[],
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const byLayer = new Map<number, DbFile[]>();
  for (const f of files) {
    if (f.size > MAX_DB_FILE_BYTES) continue; // the parser reports it as unreadable
    const l = byLayer.get(f.layer) ?? [];
    l.push(f);
    byLayer.set(f.layer, l);
  }
  for (const [layer, list] of byLayer) {
    list.sort((a, b) => a.offset - b.offset);
    const blob = blobs[layer];
    if (!blob) throw new Error(`no layer ${layer}`);
    const { compression, source } = await sniffSource(iteratorOf(store.readBlob(blob)));
    const plain = decompress(source, compression);
    const r = new ByteReader(plain[Symbol.asyncIterator]());
    try {
      for (const f of list) {
        if (out.has(fileId(f))) continue;
        if (r.offset > f.offset) throw new Error(`layer ${blob}: overlapping entries at offset ${f.offset}`);
        if ((await r.skip(f.offset - r.offset)) < f.offset - r.offset)
          throw new Error(`layer ${blob} ends before offset ${f.offset}`);
        const bytes = await r.read(f.size);
        if (bytes.length < f.size) throw new Error(`layer ${blob} ends inside /${f.path}`);
        // read() may return a view of a chunk the decompressor reuses: copy.
        out.set(fileId(f), bytes.slice());
      }
    } finally {
      await plain.return(undefined);
    }
  }
  return out;
}

/** Reads `files` from the bytes kept when their layers were ingested, and from the layers'
 * blobs only what was not kept (layers ingested before the capture existed, files over
 * LIMITS.packageCapture). */
export async function readFiles(
  store: Store,
  blobs: readonly Digest[],
  kept: readonly (ReadonlyMap<number, Uint8Array> | undefined)[],
  files: readonly DbFile[],
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const rest: DbFile[] = [];
  for (const f of files) {
    const b = kept[f.layer]?.get(f.offset);
    if (b && b.length === f.size) out.set(fileId(f), b);
    else rest.push(f);
  }
  if (rest.length) for (const [k, v] of await readFromLayers(store, blobs, rest)) out.set(k, v);
  return out;
}

/** What the engine worker offers the Packages tab and the compare view (Engine implements it). */
export interface PackagesApi {
  /** Every OS package of the image with the layer that added/last changed it, each layer's
   * changes, the databases found and any that could not be read. */
  packages(id: string): Promise<ImagePackages>;
  /** An SBOM file to download: SPDX 2.3 or CycloneDX 1.6 JSON. */
  packageSbom(id: string, format: SbomFormat): Promise<SbomFile>;
  /** Packages added, removed, upgraded or downgraded from image `a` to image `b`. */
  comparePackages(a: string, b: string): Promise<PackageDiff>;
}

export class PackageScanner {
  #cache = new Map<Digest, Promise<ImagePackages>>();

  constructor(private store: () => Promise<Store>) {}

  /** The package history of a stored image (cached: an image ID names fixed content). */
  packages(id: Digest): Promise<ImagePackages> {
    let p = this.#cache.get(id);
    if (!p) {
      p = this.#scan(id);
      p.catch(() => this.#cache.delete(id));
      this.#cache.set(id, p);
      while (this.#cache.size > MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return p;
  }

  async #scan(id: Digest): Promise<ImagePackages> {
    const store = await this.store();
    const image = await store.getImage(id);
    if (!image) throw Object.assign(new Error(`No such image: ${id}`), { code: 'NOT_FOUND' });
    const records: StoredLayer[] = [];
    for (const l of image.layers) {
      const r = await store.getLayerIndex<StoredLayer>(l.diffId);
      if (!r)
        throw Object.assign(new Error(`the file index of layer ${l.diffId} is missing; pull the image again`), {
          code: 'INDEX_MISSING',
        });
      records.push(r);
    }
    // Only the entries that bear on the databases are built (a 200 MB layer's index holds tens
    // of thousands): the links of every layer first, which decide which paths do.
    const links = records.flatMap((r) =>
      decodeLayerIndexPicked(r.index, (_, type) => type === 'symlink' || type === 'hardlink'),
    );
    const bears = bearsOnDatabases(links);
    const layers = records.map((r) =>
      bears ? decodeLayerIndexPicked(r.index, (path) => bears(path)) : decodeLayerIndex(r.index),
    );
    const kept = records.map((r) => r.packageFiles && new Map(r.packageFiles.map((f) => [f.offset, f.bytes])));
    const blobs = image.layers.map((l) => l.digest);
    const history = await packageHistory(layers, (files) => readFiles(store, blobs, kept, files));
    const [images, tags] = await Promise.all([store.listImages(), store.listTags()]);
    const view = buildViews(images, tags).find((v) => v.image.id === id);
    const createdBy = await this.#createdBy(store, id, image.layers.length);
    return {
      ...history,
      id,
      name: view?.tags[0]?.familiar ?? view?.digests[0]?.familiarName ?? id.slice(7, 19),
      layers: image.layers.map((l, i) => ({
        index: i,
        digest: l.digest,
        diffId: l.diffId,
        createdBy: createdBy[i] ?? '',
      })),
    };
  }

  /** Each layer's history line: the config's non-empty history entries, in order. */
  async #createdBy(store: Store, id: Digest, n: number): Promise<string[]> {
    try {
      const config = JSON.parse(new TextDecoder().decode(await store.readBlobBytes(id, 8 << 20))) as {
        history?: { created_by?: unknown; empty_layer?: unknown }[];
      };
      const out: string[] = [];
      for (const h of Array.isArray(config.history) ? config.history : [])
        if (h.empty_layer !== true) out.push(typeof h.created_by === 'string' ? h.created_by : '');
      return out.slice(0, n);
    } catch {
      return [];
    }
  }

  /** An SBOM of the image's packages. `now` and `uuid` come from the caller (worker clock
   * and crypto.randomUUID). */
  async sbom(id: Digest, format: SbomFormat, now: number, uuid: string, version: string): Promise<SbomFile> {
    const p = await this.packages(id);
    const store = await this.store();
    const image = await store.getImage(id);
    const input: SbomInput = {
      image: { name: p.name, id, manifestDigest: image?.manifestDigest, layers: p.layers },
      packages: p.packages,
      distro: p.distro,
      created: new Date(now).toISOString(),
      uuid,
      tool: { name: 'layerscope', version },
    };
    const base = p.name.replace(/[^A-Za-z0-9._-]+/g, '_');
    return format === 'spdx'
      ? {
          fileName: `${base}.spdx.json`,
          mediaType: 'application/spdx+json',
          text: JSON.stringify(spdxDocument(input), null, 2) + '\n',
        }
      : {
          fileName: `${base}.cdx.json`,
          mediaType: 'application/vnd.cyclonedx+json',
          text: JSON.stringify(cyclonedxDocument(input), null, 2) + '\n',
        };
  }

  /** Packages that differ between two stored images. */
  async compare(a: Digest, b: Digest): Promise<PackageDiff> {
    const [pa, pb] = await Promise.all([this.packages(a), this.packages(b)]);
    return comparePackages(pa.packages, pb.packages);
  }

  forget(id?: Digest): void {
    if (id) this.#cache.delete(id);
    else this.#cache.clear();
  }
}
