/**
 * `docker load` and OCI image layouts into the store. The archive is read in ONE streaming
 * pass (session.ts); then manifest.json / index.json are interpreted (candidates.ts), every
 * referenced digest and diff_id verified (each layer is ingested from the store, which also
 * builds its file index and Docker's size), and each image committed with its tags. Any error
 * leaves the store as it was: open writers aborted, nothing committed, gc under our released
 * leases removes what the load wrote.
 */
import {
  ArchiveError,
  buildImageManifest,
  INDEX_FILE,
  MANIFEST_FILE,
  normalizeMemberPath,
  OCI_LAYOUT_FILE,
  ociLayerMediaType,
  parseDockerManifest,
  parseImageConfig,
  tagForms,
} from '../../core/archive/index.ts';
import type { LoadedImage } from '../../core/commands/context.ts';
import { loadOutputLines } from '../../core/commands/load-output.ts';
import type { Compression } from '../../core/compression.ts';
import type { Digest } from '../../core/digest.ts';
import { LayerError } from '../../core/layer/errors.ts';
import { ingestLayer } from '../../core/layer/ingest.ts';
import { LIMITS } from '../../core/limits.ts';
import { OCI_CONFIG, OCI_LAYER_TAR } from '../../core/media-types.ts';
import type { ImageRecord, LayerRecord } from '../../core/model.ts';
import { formatPlatform, platformMatches } from '../../core/platform.ts';
import { parseManifest, type ImageManifest } from '../../core/registry/manifests.ts';
import { sha256Digest } from '../../core/sha256.ts';
import { tarStream, type TarWriteEntry } from '../../core/tar/writer.ts';
import type { Store } from '../../store/index.ts';
import { layerEntries, storePort, type StoredLayer } from '../store-port.ts';
import { imageLayerSizes } from '../../core/layer/size.ts';
import { dockerCandidates, ociCandidates, type Candidate } from './candidates.ts';
import { archiveErrorOf, LoadSession, type LoadArchiveOptions } from './session.ts';

export interface LoadResult {
  images: LoadedImage[];
  /** What `docker load` prints, in order. */
  lines: string[];
}

interface Prepared {
  image: ImageRecord;
  names: string[];
}

async function prepare(
  s: LoadSession,
  c: Candidate,
  layerIndexReady: Map<Digest, StoredLayer['summary']>,
): Promise<Prepared> {
  const store = s.store;
  const configBytes = await s.bytesOf(c.configMember, LIMITS.configBytes, c.configPath);
  const id = sha256Digest(configBytes);
  const config = parseImageConfig(configBytes, c.configPath);
  const asked = s.opts.platforms ?? [];
  if (asked.length && !asked.some((p) => platformMatches(p, config.platform))) {
    // moby verifyImagesProvidePlatform's words; here nothing is loaded.
    const name = c.names[0] ? tagForms(c.names[0]).familiar : id;
    throw new ArchiveError(
      'ARCHIVE_MISSING',
      `image ${name} doesn't provide the requested platform ([${asked.map(formatPlatform).join(' ')}]): it is ${formatPlatform(config.platform)}`,
      c.configPath,
      id,
    );
  }
  if (config.diffIds.length !== c.layers.length) {
    throw new ArchiveError(
      'ARCHIVE_MALFORMED',
      `${c.source}: ${c.layers.length} layers, but config ${id} lists ${config.diffIds.length} diff_ids`,
      c.configPath,
      id,
    );
  }
  await s.lease([id, ...config.diffIds, ...(c.manifest ? [c.manifest.digest] : [])]);
  const configMediaType = c.manifest
    ? (parseManifest(c.manifest.bytes).manifest as ImageManifest).config.mediaType
    : OCI_CONFIG;
  await s.ensureStored({ kind: 'inline', bytes: configBytes, digest: id }, configMediaType);

  const port = storePort(store);
  const layers: LayerRecord[] = [];
  for (const [i, l] of c.layers.entries()) {
    s.opts.signal?.throwIfAborted();
    const diffId = config.diffIds[i]!;
    const digest = l.member.digest;
    await s.ensureStored(l.member, l.mediaType ?? OCI_LAYER_TAR);
    let summary = layerIndexReady.get(diffId);
    if (!summary || summary.digest !== digest) {
      const known = (await store.getLayerIndex<StoredLayer>(diffId))?.summary;
      if (known && known.digest === digest) summary = known;
    }
    if (!summary || summary.digest !== digest) {
      try {
        const r = await ingestLayer(store.readBlob(digest), {
          expectedDigest: digest,
          expectedDiffId: diffId,
          ...(s.opts.signal ? { signal: s.opts.signal } : {}),
        });
        summary = {
          diffId: r.diffId,
          digest,
          compression: r.compression,
          compressedSize: r.compressedSize,
          uncompressedSize: r.uncompressedSize,
          size: r.size,
        };
        await port.putLayer(summary, r.entries, r.captured);
      } catch (e) {
        if (e instanceof LayerError) {
          const code =
            e.code === 'LAYER_DIFFID_MISMATCH'
              ? 'ARCHIVE_DIFFID_MISMATCH'
              : e.code === 'LAYER_DIGEST_MISMATCH'
                ? 'ARCHIVE_DIGEST_MISMATCH'
                : e.code === 'TAR_PATH_ESCAPE'
                  ? 'ARCHIVE_UNSAFE'
                  : 'ARCHIVE_CORRUPT';
          throw new ArchiveError(code, `${c.source}: layer ${i} (${l.path}): ${e.message}`, l.path, digest);
        }
        throw e;
      }
      layerIndexReady.set(diffId, summary);
    }
    layers.push({
      digest,
      diffId,
      mediaType: l.mediaType ?? ociLayerMediaType(summary.compression as Compression),
      compressedSize: summary.compressedSize,
      uncompressedSize: summary.uncompressedSize,
      size: summary.size,
    });
  }

  // Docker's size of each layer in this image: a hard link to a lower layer's file counts it.
  const sizes = await imageLayerSizes(layers, (d) => layerEntries(store, d as Digest));
  sizes.forEach((size, i) => (layers[i] = { ...layers[i]!, size }));

  let manifest = c.manifest;
  if (!manifest) {
    // docker-archive without an OCI layout: describe the layers as Docker 25+ would.
    manifest = buildImageManifest(
      { digest: id, size: configBytes.length, platform: config.platform },
      layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.compressedSize })),
    );
    await s.lease([manifest.digest]);
  }
  await store.putManifest(manifest.digest, manifest.bytes, manifest.mediaType);
  if (manifest.indexDigest && manifest.indexBytes) {
    await s.lease([manifest.indexDigest]);
    await store.putManifest(manifest.indexDigest, manifest.indexBytes, manifest.indexMediaType!);
  }
  const image: ImageRecord = {
    id,
    manifestDigest: manifest.digest,
    manifestMediaType: manifest.mediaType,
    ...(manifest.indexDigest ? { indexDigest: manifest.indexDigest } : {}),
    repoDigests: c.repoDigests,
    platform: config.platform,
    layers,
    created: config.created,
    size: layers.reduce((n, l) => n + l.size, 0),
    downloadSize: layers.reduce((n, l) => n + l.compressedSize, 0),
    configMediaType,
    // Each loaded tag names the archive's manifest (the containerd image store's image target).
    ...(c.names.length > 0
      ? {
          refManifests: Object.fromEntries(
            c.names.map((n) => [
              n,
              {
                manifestDigest: manifest.digest,
                manifestMediaType: manifest.mediaType,
                ...(manifest.indexDigest ? { indexDigest: manifest.indexDigest } : {}),
              },
            ]),
          ),
        }
      : {}),
    storedAt: Date.now(),
  };
  return { image, names: c.names };
}

/** `docker load`: reads an archive (tar, tar.gz; docker-archive, OCI layout) into the store. */
export async function loadArchive(
  store: Store,
  source: ReadableStream<Uint8Array>,
  opts: LoadArchiveOptions = {},
): Promise<LoadResult> {
  const s = new LoadSession(store, opts);
  try {
    await s.readPass(source);
    const json = (path: string) => {
      const m = s.members.get(path);
      return m?.kind === 'inline' ? m.bytes : undefined;
    };
    const manifestJson = json(MANIFEST_FILE);
    const indexJson = json(INDEX_FILE);
    let candidates: Candidate[];
    if (manifestJson) {
      candidates = dockerCandidates(s, parseDockerManifest(manifestJson));
      // Docker 25+ hybrid: keep the OCI manifest of the same image (its digest) when it
      // describes exactly these layers.
      if (indexJson) {
        const oci = await ociCandidates(s, indexJson).catch(() => []);
        for (const c of candidates) {
          const twin = oci.find(
            (o) =>
              o.configMember.digest === c.configMember.digest &&
              o.layers.length === c.layers.length &&
              o.layers.every((l, i) => l.member.digest === c.layers[i]!.member.digest),
          );
          if (twin?.manifest) {
            c.manifest = twin.manifest;
            c.layers = c.layers.map((l, i) => ({ ...l, mediaType: twin.layers[i]!.mediaType! }));
            c.repoDigests = twin.repoDigests;
          }
        }
      }
    } else if (indexJson) {
      candidates = await ociCandidates(s, indexJson);
    } else {
      throw new ArchiveError(
        'ARCHIVE_EMPTY',
        `neither ${MANIFEST_FILE} nor ${INDEX_FILE} in the archive: not a docker save or OCI layout archive`,
      );
    }
    if (candidates.length === 0) throw new ArchiveError('ARCHIVE_EMPTY', 'the archive lists no image');

    const ready = new Map<Digest, StoredLayer['summary']>();
    const prepared: Prepared[] = [];
    for (const c of candidates) prepared.push(await prepare(s, c, ready));
    opts.signal?.throwIfAborted();

    const images: LoadedImage[] = [];
    for (const p of prepared) {
      const existing = await store.getImage(p.image.id);
      // An image already stored keeps its record (its blobs as pulled); only tags are added.
      const record = existing
        ? {
            ...existing,
            repoDigests: [...new Set([...existing.repoDigests, ...p.image.repoDigests])],
            ...(p.image.refManifests ? { refManifests: { ...existing.refManifests, ...p.image.refManifests } } : {}),
          }
        : p.image;
      const r = await store.commitImage(record, p.names);
      const loaded: LoadedImage = { imageId: p.image.id, repoTags: p.names };
      if (r.moved.length) loaded.replaced = r.moved.map((m) => ({ name: m.name, previousImageId: m.from }));
      images.push(loaded);
    }
    const lines = loadOutputLines(images);
    await s.releaseLeases();
    await store.gc(); // staged copies and what an already-stored image did not need
    return { images, lines };
  } catch (e) {
    await s.abortWriters();
    await s.releaseLeases();
    await store.gc().catch(() => {});
    throw archiveErrorOf(e);
  }
}

/**
 * A folder picked in the browser (an OCI image layout, or an extracted docker save): the files
 * are read as one tar stream through loadArchive, so every check applies. A single top folder
 * (`webkitRelativePath`'s first part) is stripped when the layout lies inside it.
 */
export async function loadOciLayoutFiles(
  store: Store,
  files: { path: string; file: Blob }[],
  opts: LoadArchiveOptions = {},
): Promise<LoadResult> {
  const paths = files.map((f) => f.path.replace(/^\.?\/+/, ''));
  const root = paths
    .filter((p) => /(?:^|\/)(?:oci-layout|index\.json|manifest\.json)$/.test(p))
    .map((p) => p.slice(0, p.lastIndexOf('/') + 1))
    .sort((a, b) => a.length - b.length)[0];
  if (root === undefined) {
    throw new ArchiveError(
      'ARCHIVE_EMPTY',
      `no ${OCI_LAYOUT_FILE}, ${INDEX_FILE} or ${MANIFEST_FILE} among the ${files.length} files picked`,
    );
  }
  const chosen = files
    .map((f, i) => ({ path: paths[i]!, file: f.file }))
    .filter((f) => f.path.startsWith(root))
    .map((f) => ({ path: normalizeMemberPath(f.path.slice(root.length), f.path), file: f.file }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const entries = chosen.map((f): TarWriteEntry => ({
    path: f.path,
    size: f.file.size,
    body: f.file.stream() as ReadableStream<Uint8Array>,
  }));
  return loadArchive(store, tarStream(entries), opts);
}
