/**
 * `docker save` over the store: a docker-archive (Docker 25+'s layout: `manifest.json`,
 * `repositories` and an OCI layout in one tar) or an OCI archive. The tar streams; its members
 * are pulled from the store's chunk streams as the consumer reads, never the whole archive in
 * memory. Layers are written uncompressed (as Docker does) or as pulled.
 */
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  ANNOTATION_REPO_DIGESTS,
  ArchiveError,
  blobPath,
  buildImageManifest,
  descriptorPlatform,
  dockerManifestJson,
  INDEX_FILE,
  MANIFEST_FILE,
  normalizeTagName,
  OCI_LAYOUT_CONTENT,
  OCI_LAYOUT_FILE,
  ociIndexJson,
  ociLayerMediaType,
  repositoriesJson,
  REPOSITORIES_FILE,
  tagForms,
  utf8Bytes,
  type DescriptorOut,
  type DockerManifestItem,
} from '../../core/archive/index.ts';
import { decompress, sniffSource } from '../../core/compression.ts';
import type { Digest } from '../../core/digest.ts';
import { LIMITS } from '../../core/limits.ts';
import { isManifest, layerCompression, OCI_LAYER_TAR } from '../../core/media-types.ts';
import { createSha256 } from '../../core/sha256.ts';
import { iteratorOf } from '../../core/tar/bytes.ts';
import { tarStream, type TarWriteEntry } from '../../core/tar/writer.ts';
import type { Store } from '../../store/index.ts';

export interface SaveArchiveRequest {
  images: { imageId: Digest; repoTags: string[] }[];
  format: 'docker-archive' | 'oci-archive';
  /** docker-archive only: 'uncompressed' (default, as Docker writes layers) or 'as-pulled'
   * (the registry's blobs and manifest bytes: manifest digests stay identical). oci-archive is
   * always as pulled. */
  layers?: 'uncompressed' | 'as-pulled';
  /** gzip the whole archive (`.tar.gz`). */
  gzip?: boolean;
}

export interface SaveArchiveOptions {
  signal?: AbortSignal;
  /** Tar bytes produced so far (before gzip) and the tar's exact total size. */
  onProgress?(bytesWritten: number, totalEstimate: number): void;
}

interface OutMember {
  path: string;
  size: number;
  bytes?: Uint8Array;
  /** A stored blob, as is or decompressed (then hashed against `digest`). */
  blob?: { stored: Digest; decompress: boolean };
}

function memberSize(size: number): number {
  return 512 + Math.ceil(size / 512) * 512;
}

export async function saveArchive(
  store: Store,
  req: SaveArchiveRequest,
  opts: SaveArchiveOptions = {},
): Promise<ReadableStream<Uint8Array>> {
  if (req.images.length === 0) throw new ArchiveError('ARCHIVE_STORE', 'nothing to save: no image given');
  const docker = req.format === 'docker-archive';
  const uncompressed = docker && (req.layers ?? 'uncompressed') === 'uncompressed';
  const members = new Map<string, OutMember>();
  const add = (m: OutMember) => {
    if (!members.has(m.path)) members.set(m.path, m);
  };
  const index: DescriptorOut[] = [];
  const items: DockerManifestItem[] = [];
  const repositories = new Map<string, Map<string, string>>();

  for (const { imageId, repoTags } of req.images) {
    const rec = await store.getImage(imageId);
    if (!rec) throw new ArchiveError('ARCHIVE_STORE', `No such image: ${imageId}`, undefined, imageId);
    const config = await store.readBlobBytes(rec.id, LIMITS.configBytes);
    const platform = descriptorPlatform(rec.platform);
    const configDesc = { digest: rec.id, size: config.length, platform: rec.platform };
    const names = repoTags.map((t) => {
      const n = normalizeTagName(t);
      if (!n) throw new ArchiveError('ARCHIVE_STORE', `not a tagged image name: ${JSON.stringify(t.slice(0, 200))}`);
      return n;
    });

    let manifest: { bytes: Uint8Array; mediaType: string; digest: Digest };
    const layerPaths: string[] = [];
    if (uncompressed) {
      // Docker: uncompressed tars named by diff_id, an OCI manifest describing them.
      for (const l of rec.layers) {
        add({
          path: blobPath(l.diffId),
          size: l.uncompressedSize,
          blob: { stored: l.digest, decompress: l.digest !== l.diffId },
        });
        layerPaths.push(blobPath(l.diffId));
      }
      manifest = buildImageManifest(
        configDesc,
        rec.layers.map((l) => ({ mediaType: OCI_LAYER_TAR, digest: l.diffId, size: l.uncompressedSize })),
      );
    } else {
      for (const l of rec.layers) {
        add({ path: blobPath(l.digest), size: l.compressedSize, blob: { stored: l.digest, decompress: false } });
        layerPaths.push(blobPath(l.digest));
      }
      const stored = await store.getManifest(rec.manifestDigest);
      if (stored && isManifest(stored.mediaType)) {
        manifest = { bytes: stored.bytes, mediaType: stored.mediaType, digest: rec.manifestDigest };
      } else {
        // Schema 1 (or a missing manifest): describe the stored blobs in an OCI manifest.
        manifest = buildImageManifest(
          configDesc,
          rec.layers.map((l) => ({
            mediaType: ociLayerMediaType(layerCompression(l.mediaType) ?? 'gzip'),
            digest: l.digest,
            size: l.compressedSize,
          })),
        );
      }
    }
    add({ path: blobPath(rec.id), size: config.length, bytes: config });
    add({ path: blobPath(manifest.digest), size: manifest.bytes.length, bytes: manifest.bytes });

    const repoDigests = rec.repoDigests.filter((d) => d.endsWith(`@${manifest.digest}`));
    const extra: Record<string, string> = repoDigests.length
      ? { [ANNOTATION_REPO_DIGESTS]: repoDigests.join(',') }
      : {};
    const desc = {
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.bytes.length,
      ...(platform ? { platform } : {}),
    };
    const familiar: string[] = [];
    for (const name of names) {
      const f = tagForms(name);
      familiar.push(f.familiar);
      index.push({ ...desc, annotations: { [ANNOTATION_IMAGE_NAME]: name, [ANNOTATION_REF_NAME]: f.tag, ...extra } });
      // moby save.go: the top layer's diff_id, hex.
      const top = rec.layers.at(-1);
      if (top) {
        let r = repositories.get(f.familiarName);
        if (!r) repositories.set(f.familiarName, (r = new Map()));
        r.set(f.tag, top.diffId.slice('sha256:'.length));
      }
    }
    if (names.length === 0) index.push({ ...desc, ...(Object.keys(extra).length ? { annotations: extra } : {}) });
    items.push({ Config: blobPath(rec.id), RepoTags: familiar, Layers: layerPaths });
  }

  // Sorted as Docker's and skopeo's tars of a directory walk are.
  const files: OutMember[] = [...members.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  const indexBytes = utf8Bytes(ociIndexJson(index));
  files.push({ path: INDEX_FILE, size: indexBytes.length, bytes: indexBytes });
  if (docker) {
    const m = utf8Bytes(dockerManifestJson(items));
    files.push({ path: MANIFEST_FILE, size: m.length, bytes: m });
  }
  const layout = utf8Bytes(OCI_LAYOUT_CONTENT);
  files.push({ path: OCI_LAYOUT_FILE, size: layout.length, bytes: layout });
  if (docker && repositories.size) {
    const r = utf8Bytes(repositoriesJson(repositories));
    files.push({ path: REPOSITORIES_FILE, size: r.length, bytes: r });
  }

  const total = 2 * 512 + 1024 + files.reduce((n, f) => n + memberSize(f.size), 0);
  const signal = opts.signal;
  async function* entries(): AsyncGenerator<TarWriteEntry> {
    for (const dir of ['blobs', 'blobs/sha256']) yield { path: dir, type: 'dir', mode: 0o755, mtime: 0 };
    for (const f of files) {
      signal?.throwIfAborted();
      const body = f.bytes ?? memberBody(store, f, signal);
      yield { path: f.path, type: 'file', mode: 0o644, mtime: 0, size: f.size, body };
    }
  }
  let written = 0;
  let out = tarStream(entries()).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        signal?.throwIfAborted();
        written += chunk.length;
        opts.onProgress?.(written, total);
        controller.enqueue(chunk);
      },
    }),
  );
  if (req.gzip)
    out = out.pipeThrough(new CompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return out;
}

/** A stored blob as a member body; decompressed ones are hashed against their diff_id. */
function memberBody(store: Store, f: OutMember, signal: AbortSignal | undefined): AsyncIterable<Uint8Array> {
  const { stored, decompress: inflate } = f.blob!;
  if (!inflate) return { [Symbol.asyncIterator]: () => iteratorOf(store.readBlob(stored)) };
  const want = `sha256:${f.path.slice('blobs/sha256/'.length)}`;
  return (async function* () {
    const { compression, source } = await sniffSource(iteratorOf(store.readBlob(stored)));
    const h = createSha256();
    for await (const c of decompress(source, compression)) {
      signal?.throwIfAborted();
      h.update(c);
      yield c;
    }
    if (h.digest() !== want) {
      throw new ArchiveError(
        'ARCHIVE_DIFFID_MISMATCH',
        `stored layer ${stored} decompresses to ${h.digest()}, not its diff_id ${want}`,
        f.path,
        stored,
      );
    }
  })();
}
