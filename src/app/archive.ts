/**
 * `docker save` / `docker load` and OCI image layouts over the store (issue 5 §1–2).
 *
 * Export streams a tar (optionally gzip'd) whose members are pulled from the store's chunk
 * streams as the consumer reads: never the whole archive in memory.
 *
 * Import reads the archive in ONE streaming pass. Members that may be blobs go straight into
 * the store while they are hashed (a `blobs/sha256/<hex>` member must hash to its name);
 * metadata (JSON, small members) is kept in memory within bounds. Members whose digest is not
 * known before they end (`<id>/layer.tar` of old `docker save`) are staged under a random key
 * and copied to their digest afterwards. Then manifest.json / index.json are interpreted, every
 * referenced digest and diff_id verified (each layer is ingested from the store, which also
 * builds its file index and Docker's size), and each image committed with its tags. Any error
 * leaves the store as it was: open writers aborted, nothing committed, gc under our released
 * leases removes what the load wrote.
 */
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  ANNOTATION_REPO_DIGESTS,
  ArchiveError,
  blobPath,
  digestOfBlobPath,
  dockerManifestJson,
  INDEX_FILE,
  MANIFEST_FILE,
  normalizeMemberPath,
  normalizeTagName,
  OCI_LAYOUT_CONTENT,
  OCI_LAYOUT_FILE,
  ociIndexJson,
  ociLayerMediaType,
  ociManifestJson,
  parseDockerManifest,
  parseImageConfig,
  repositoriesJson,
  REPOSITORIES_FILE,
  resolveLinkTarget,
  tagForms,
  utf8Bytes,
  type DescriptorOut,
  type DockerManifestItem,
} from '../core/archive/index.ts';
import type { LoadedImage } from '../core/commands/context.ts';
import { CompressionError, decompress, sniffSource, type Compression } from '../core/compression.ts';
import type { Digest } from '../core/digest.ts';
import { LayerError } from '../core/layer/errors.ts';
import { ingestLayer } from '../core/layer/ingest.ts';
import { isIndex, isManifest, layerCompression, OCI_CONFIG, OCI_LAYER_TAR } from '../core/media-types.ts';
import type { ImageRecord, LayerRecord, Platform } from '../core/model.ts';
import { parseManifest, type Descriptor, type ImageManifest } from '../core/registry/manifests.ts';
import { createSha256, sha256Digest } from '../core/sha256.ts';
import { iteratorOf } from '../core/tar/bytes.ts';
import { TarError } from '../core/tar/errors.ts';
import { readTar, type TarEntry } from '../core/tar/reader.ts';
import { tarStream, type TarWriteEntry } from '../core/tar/writer.ts';
import type { BlobWriter, Lease, Store } from '../store/index.ts';
import { storePort, type StoredLayer } from './store-port.ts';

// ── export ───────────────────────────────────────────────────────────────────────────────────

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

const MAX_CONFIG_BYTES = 16 << 20;

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
    const config = await store.readBlobBytes(rec.id, MAX_CONFIG_BYTES);
    const platform: Platform | undefined = rec.platform.os || rec.platform.architecture ? rec.platform : undefined;
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
      const bytes = utf8Bytes(
        ociManifestJson(
          { mediaType: OCI_CONFIG, digest: rec.id, size: config.length, ...(platform ? { platform } : {}) },
          rec.layers.map((l) => ({ mediaType: OCI_LAYER_TAR, digest: l.diffId, size: l.uncompressedSize })),
        ),
      );
      manifest = { bytes, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(bytes) };
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
        const bytes = utf8Bytes(
          ociManifestJson(
            { mediaType: OCI_CONFIG, digest: rec.id, size: config.length, ...(platform ? { platform } : {}) },
            rec.layers.map((l) => ({
              mediaType: ociLayerMediaType(layerCompression(l.mediaType) ?? 'gzip'),
              digest: l.digest,
              size: l.compressedSize,
            })),
          ),
        );
        manifest = { bytes, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(bytes) };
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

// ── import ───────────────────────────────────────────────────────────────────────────────────

export interface LoadArchiveOptions {
  signal?: AbortSignal;
  /** Archive bytes read so far (compressed, as the source gives them). */
  onProgress?(bytesRead: number): void;
  /** Platform to choose from a nested image index (default linux/amd64). */
  platform?: string;
}

export interface LoadResult {
  images: LoadedImage[];
  /** What `docker load` prints, in order. */
  lines: string[];
}

/** Bounds on hostile input. */
export const LOAD_LIMITS = {
  /** One metadata member (manifest.json, index.json, a config, …). */
  maxJsonMember: 4 << 20,
  /** All members kept in memory together. */
  maxInMemory: 64 << 20,
  /** `blobs/sha256/*` members up to this size are kept in memory (configs, manifests). */
  inlineBlob: 1 << 20,
  /** Other members up to this size are kept in memory (VERSION, `<id>/json`). */
  inlineOther: 64 << 10,
  maxMembers: 100_000,
  maxLinkHops: 8,
};

type Member =
  | { kind: 'inline'; bytes: Uint8Array; digest: Digest }
  | { kind: 'stored'; digest: Digest; size: number; staged?: Digest }
  | { kind: 'link'; target: string }
  | { kind: 'dir' };

const META_RE = /(?:^|\/)(?:manifest\.json|index\.json|repositories|oci-layout|VERSION|json|[^/]*\.json)$/;
const HEX_NAME_RE = /(?:^|\/)([a-f0-9]{64})(?:\.tar(?:\.gz)?)?$/;
const STAGING_TYPE = 'application/octet-stream';

function randomKey(): Digest {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return `sha256:${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

function archiveErrorOf(e: unknown): unknown {
  if (e instanceof ArchiveError) return e;
  if (e instanceof TarError) {
    const code =
      e.code === 'TAR_PATH_ESCAPE' ? 'ARCHIVE_UNSAFE' : e.code === 'TAR_LIMIT' ? 'ARCHIVE_LIMIT' : 'ARCHIVE_CORRUPT';
    const what = e.code === 'TAR_TRUNCATED' ? 'the archive is truncated' : 'the archive is not a valid tar';
    return new ArchiveError(code, `${what}: ${e.message}`, e.path);
  }
  if (e instanceof CompressionError)
    return new ArchiveError('ARCHIVE_CORRUPT', `the archive's compression is damaged: ${e.message}`);
  return e;
}

/** Sniffs gzip/zstd on the first bytes and gives the plain tar stream. */
async function* plainTar(source: ReadableStream<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  const it = iteratorOf(source);
  async function* counted(): AsyncGenerator<Uint8Array> {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      onBytes(r.value.length);
      yield r.value;
    }
  }
  try {
    const { compression, source: raw } = await sniffSource(counted());
    yield* decompress(raw, compression);
  } finally {
    await it.return?.();
  }
}

class LoadSession {
  readonly members = new Map<string, Member>();
  /** Stored member by content digest (for blobs referenced by digest). */
  readonly byDigest = new Map<Digest, Member & { kind: 'stored' | 'inline' }>();
  private readonly leases: Lease[] = [];
  private readonly writers = new Set<BlobWriter>();
  private inMemory = 0;

  constructor(
    readonly store: Store,
    readonly opts: LoadArchiveOptions,
  ) {}

  async lease(digests: Digest[]): Promise<void> {
    this.leases.push(await this.store.lease(digests));
  }

  /** Releases every lease; resolves once the lock manager has let them go (a lease's release
   * settles the lock's callback, which frees it a few microtasks later). */
  async releaseLeases(): Promise<void> {
    for (const l of this.leases.splice(0)) l.release();
    await new Promise((r) => setTimeout(r, 0));
  }

  async abortWriters(): Promise<void> {
    for (const w of [...this.writers]) await w.abort().catch(() => {});
    this.writers.clear();
  }

  private keep(bytes: number, path: string): void {
    this.inMemory += bytes;
    if (this.inMemory > LOAD_LIMITS.maxInMemory) {
      throw new ArchiveError(
        'ARCHIVE_LIMIT',
        `metadata members exceed ${LOAD_LIMITS.maxInMemory} bytes in total (at ${path})`,
        path,
      );
    }
  }

  async readPass(source: ReadableStream<Uint8Array>): Promise<void> {
    let read = 0;
    const tar = plainTar(source, (n) => {
      read += n;
      this.opts.onProgress?.(read);
    });
    const tarOpts: Parameters<typeof readTar>[1] = { maxEntries: LOAD_LIMITS.maxMembers };
    if (this.opts.signal) tarOpts.signal = this.opts.signal;
    for await (const entry of readTar(tar, tarOpts)) {
      const { path, type } = entry.header;
      if (path === '') continue; // the root entry `./`
      const prev = this.members.get(path);
      if (prev && !(prev.kind === 'dir' && type === 'dir')) {
        throw new ArchiveError('ARCHIVE_UNSAFE', `member ${path} appears twice in the archive`, path);
      }
      if (type === 'dir') this.members.set(path, { kind: 'dir' });
      else if (type === 'symlink' || type === 'hardlink')
        this.members.set(path, {
          kind: 'link',
          target: type === 'hardlink' ? `/${entry.header.linkname!}` : entry.header.linkname!,
        });
      else if (type === 'file') this.members.set(path, await this.readFile(entry));
      else
        throw new ArchiveError(
          'ARCHIVE_UNSAFE',
          `member ${path} is a ${type}, which an image archive never holds`,
          path,
        );
    }
  }

  private async readFile(entry: TarEntry): Promise<Member> {
    const { path, size } = entry.header;
    const named = digestOfBlobPath(path);
    if (named) {
      if (size <= LOAD_LIMITS.inlineBlob) return this.inline(entry, named);
      return this.storeMember(entry, named);
    }
    if (META_RE.test(path)) {
      if (size > LOAD_LIMITS.maxJsonMember) {
        throw new ArchiveError(
          'ARCHIVE_LIMIT',
          `member ${path} is ${size} bytes, more than the ${LOAD_LIMITS.maxJsonMember} allowed for metadata`,
          path,
        );
      }
      return this.inline(entry, undefined);
    }
    const hex = HEX_NAME_RE.exec(path);
    // skopeo names docker-archive layers `<digest hex>.tar`; a mismatch is an error like any
    // other member named by its digest.
    if (hex) return this.storeMember(entry, `sha256:${hex[1]}` as Digest);
    if (size <= LOAD_LIMITS.inlineOther) return this.inline(entry, undefined);
    return this.storeMember(entry, undefined);
  }

  private async inline(entry: TarEntry, named: Digest | undefined): Promise<Member> {
    const { path, size } = entry.header;
    this.keep(size, path);
    const bytes = (await entry.bytes(Math.max(LOAD_LIMITS.maxJsonMember, LOAD_LIMITS.inlineBlob))).slice();
    const digest = sha256Digest(bytes);
    if (named && digest !== named) {
      throw new ArchiveError(
        'ARCHIVE_DIGEST_MISMATCH',
        `member ${path} hashes to ${digest}, not the digest it is named by`,
        path,
        named,
      );
    }
    const m: Member = { kind: 'inline', bytes, digest };
    if (!this.byDigest.has(digest)) this.byDigest.set(digest, m);
    return m;
  }

  /** Streams a member into the store, hashing it; `expected` is the digest its name gives. */
  private async storeMember(entry: TarEntry, expected: Digest | undefined): Promise<Member> {
    const { path, size } = entry.header;
    const store = this.store;
    let key = expected;
    // A partial blob of an interrupted pull stays untouched: stage ours beside it.
    if (key && typeof (await store.hasBlob(key)) === 'object') key = undefined;
    key ??= randomKey();
    await this.lease([key]);
    const w = await store.beginBlob(key, { size, mediaType: STAGING_TYPE });
    if (!w.alreadyComplete) this.writers.add(w);
    const h = createSha256();
    for await (const piece of entry.body()) {
      this.opts.signal?.throwIfAborted();
      h.update(piece);
      if (!w.alreadyComplete) await w.write(piece);
    }
    const digest = h.digest();
    if (expected && digest !== expected) {
      await w.abort();
      this.writers.delete(w);
      throw new ArchiveError(
        'ARCHIVE_DIGEST_MISMATCH',
        `member ${path} hashes to ${digest}, not the digest it is named by (${expected})`,
        path,
        expected,
      );
    }
    await w.complete();
    this.writers.delete(w);
    const m: Member = key === digest ? { kind: 'stored', digest, size } : { kind: 'stored', digest, size, staged: key };
    const known = this.byDigest.get(digest);
    if (!known || (known.kind === 'stored' && known.staged && !m.staged)) this.byDigest.set(digest, m);
    return m;
  }

  /** The member at `path`, links followed (within the archive). */
  resolve(path: string, what: string): Member & { kind: 'stored' | 'inline' } {
    let p = path;
    for (let hops = 0; hops <= LOAD_LIMITS.maxLinkHops; hops++) {
      const m = this.members.get(p);
      if (!m) throw new ArchiveError('ARCHIVE_MISSING', `${what} names ${path}, which is not in the archive`, path);
      if (m.kind === 'dir')
        throw new ArchiveError('ARCHIVE_MALFORMED', `${what} names ${path}, which is a directory`, path);
      if (m.kind !== 'link') return m;
      const next = resolveLinkTarget(p, m.target);
      if (!next) throw new ArchiveError('ARCHIVE_UNSAFE', `link ${p} points outside the archive (${m.target})`, p);
      p = next;
    }
    throw new ArchiveError('ARCHIVE_UNSAFE', `${what}: too many links from ${path}`, path);
  }

  async bytesOf(m: Member & { kind: 'stored' | 'inline' }, max: number, member: string): Promise<Uint8Array> {
    if (m.kind === 'inline') {
      if (m.bytes.length > max)
        throw new ArchiveError('ARCHIVE_LIMIT', `${member} is ${m.bytes.length} bytes, more than ${max}`, member);
      return m.bytes;
    }
    if (m.size > max) throw new ArchiveError('ARCHIVE_LIMIT', `${member} is ${m.size} bytes, more than ${max}`, member);
    return this.store.readBlobBytes(m.staged ?? m.digest, max);
  }

  /** Makes sure `m`'s bytes are a complete blob under their digest in the store. */
  async ensureStored(m: Member & { kind: 'stored' | 'inline' }, mediaType: string): Promise<void> {
    const store = this.store;
    await this.lease([m.digest]);
    if ((await store.hasBlob(m.digest)) === 'complete') return;
    if (m.kind === 'inline') {
      await store.putBlob(m.digest, m.bytes, mediaType);
      return;
    }
    if (!m.staged) return;
    // Copy the staged bytes to their real digest (hashed again: the store is not trusted blindly).
    const w = await store.beginBlob(m.digest, { size: m.size, mediaType });
    if (w.alreadyComplete) return;
    this.writers.add(w);
    const h = createSha256();
    const it = iteratorOf(store.readBlob(m.staged));
    for (let r = await it.next(); !r.done; r = await it.next()) {
      this.opts.signal?.throwIfAborted();
      h.update(r.value);
      await w.write(r.value);
    }
    if (h.digest() !== m.digest)
      throw new ArchiveError('ARCHIVE_STORE', `staged copy of ${m.digest} changed in the store`, undefined, m.digest);
    await w.complete();
    this.writers.delete(w);
  }
}

interface Candidate {
  /** Where the image came from, for messages. */
  source: string;
  configMember: Member & { kind: 'stored' | 'inline' };
  configPath: string;
  layers: { member: Member & { kind: 'stored' | 'inline' }; path: string; mediaType?: string }[];
  manifest?: {
    bytes: Uint8Array;
    digest: Digest;
    mediaType: string;
    indexDigest?: Digest;
    indexBytes?: Uint8Array;
    indexMediaType?: string;
  };
  names: string[];
  repoDigests: string[];
}

function parseManifestMember(bytes: Uint8Array, member: string): ReturnType<typeof parseManifest> {
  try {
    return parseManifest(bytes);
  } catch (e) {
    throw new ArchiveError('ARCHIVE_MALFORMED', `${member}: ${(e as Error).message}`, member);
  }
}

function platformMatches(p: Platform | undefined, want: string): boolean {
  if (!p) return false;
  const [os, arch, variant] = want.split('/');
  return p.os === os && p.architecture === arch && (variant === undefined || p.variant === variant);
}

/** Names an index.json entry gives: io.containerd.image.name, else a ref.name that is a full
 * tagged reference (a bare tag such as umoci's or skopeo's names no repository). */
function namesOf(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  const full = a[ANNOTATION_IMAGE_NAME];
  if (full) {
    const n = normalizeTagName(full);
    return n ? [n] : [];
  }
  const ref = a[ANNOTATION_REF_NAME];
  if (ref && (ref.includes('/') || ref.includes(':'))) {
    const n = normalizeTagName(ref);
    return n ? [n] : [];
  }
  return [];
}

async function ociCandidates(s: LoadSession, indexBytes: Uint8Array): Promise<Candidate[]> {
  const { manifest: idx } = parseManifestMember(indexBytes, INDEX_FILE);
  if (idx.kind !== 'index')
    throw new ArchiveError('ARCHIVE_MALFORMED', `${INDEX_FILE} is not an image index`, INDEX_FILE);
  const byManifest = new Map<Digest, Candidate>();
  const out: Candidate[] = [];
  for (const [i, top] of idx.manifests.entries()) {
    const what = `${INDEX_FILE} manifests[${i}]`;
    let desc = top;
    let parent: { digest: Digest; bytes: Uint8Array; mediaType: string } | undefined;
    if (isIndex(top.mediaType)) {
      const m = s.byDigest.get(top.digest);
      if (!m)
        throw new ArchiveError(
          'ARCHIVE_MISSING',
          `${what}: index ${top.digest} is not in the archive`,
          blobPath(top.digest),
          top.digest,
        );
      const bytes = await s.bytesOf(m, LOAD_LIMITS.maxJsonMember, blobPath(top.digest));
      const { manifest: nested, mediaType } = parseManifestMember(bytes, blobPath(top.digest));
      if (nested.kind !== 'index')
        throw new ArchiveError('ARCHIVE_MALFORMED', `${what}: ${top.digest} is not an index`, blobPath(top.digest));
      const want = s.opts.platform ?? 'linux/amd64';
      const pick =
        nested.manifests.find((d) => isManifest(d.mediaType) && platformMatches(d.platform, want)) ??
        nested.manifests.find((d) => isManifest(d.mediaType) && d.platform?.os !== 'unknown');
      if (!pick)
        throw new ArchiveError(
          'ARCHIVE_MISSING',
          `${what}: index ${top.digest} has no image for ${want}`,
          blobPath(top.digest),
        );
      desc = { ...pick, ...(top.annotations ? { annotations: top.annotations } : {}) };
      parent = { digest: top.digest, bytes, mediaType };
    } else if (!isManifest(top.mediaType)) {
      continue; // artifacts and other descriptors: not images
    }
    const names = namesOf(desc);
    const repoDigests = (desc.annotations?.[ANNOTATION_REPO_DIGESTS] ?? '')
      .split(',')
      .filter((r) => r.endsWith(`@${desc.digest}`) && r.length < 512);
    const known = byManifest.get(desc.digest);
    if (known) {
      known.names.push(...names.filter((n) => !known.names.includes(n)));
      known.repoDigests.push(...repoDigests.filter((n) => !known.repoDigests.includes(n)));
      continue;
    }
    const mm = s.byDigest.get(desc.digest);
    const mpath = blobPath(desc.digest);
    if (!mm)
      throw new ArchiveError(
        'ARCHIVE_MISSING',
        `${what}: manifest ${desc.digest} is not in the archive`,
        mpath,
        desc.digest,
      );
    const bytes = await s.bytesOf(mm, LOAD_LIMITS.maxJsonMember, mpath);
    if (bytes.length !== desc.size)
      throw new ArchiveError(
        'ARCHIVE_MALFORMED',
        `${what}: manifest ${desc.digest} is ${bytes.length} bytes, the index says ${desc.size}`,
        mpath,
        desc.digest,
      );
    const { manifest, mediaType } = parseManifestMember(bytes, mpath);
    if (manifest.kind !== 'manifest')
      throw new ArchiveError('ARCHIVE_MALFORMED', `${mpath} is not an image manifest`, mpath);
    const c = candidateFromManifest(s, manifest, mpath);
    c.manifest = {
      bytes,
      digest: desc.digest,
      mediaType,
      ...(parent ? { indexDigest: parent.digest, indexBytes: parent.bytes, indexMediaType: parent.mediaType } : {}),
    };
    c.names = names;
    c.repoDigests = repoDigests;
    byManifest.set(desc.digest, c);
    out.push(c);
  }
  return out;
}

function candidateFromManifest(s: LoadSession, m: ImageManifest, mpath: string): Candidate {
  const find = (d: Descriptor, what: string) => {
    const member = s.byDigest.get(d.digest);
    if (!member)
      throw new ArchiveError(
        'ARCHIVE_MISSING',
        `${mpath}: ${what} ${d.digest} is not in the archive`,
        blobPath(d.digest),
        d.digest,
      );
    const size = member.kind === 'inline' ? member.bytes.length : member.size;
    if (size !== d.size)
      throw new ArchiveError(
        'ARCHIVE_MALFORMED',
        `${mpath}: ${what} ${d.digest} is ${size} bytes, the manifest says ${d.size}`,
        blobPath(d.digest),
        d.digest,
      );
    return member;
  };
  return {
    source: mpath,
    configMember: find(m.config, 'config'),
    configPath: blobPath(m.config.digest),
    layers: m.layers.map((l, i) => ({
      member: find(l, `layer ${i}`),
      path: blobPath(l.digest),
      mediaType: l.mediaType,
    })),
    names: [],
    repoDigests: [],
  };
}

function dockerCandidates(s: LoadSession, items: DockerManifestItem[]): Candidate[] {
  return items.map((item, i) => {
    const what = `${MANIFEST_FILE} item ${i}`;
    const configPath = normalizeMemberPath(item.Config, MANIFEST_FILE);
    const names = item.RepoTags.map((t) => {
      const n = normalizeTagName(t);
      if (!n)
        throw new ArchiveError(
          'ARCHIVE_MALFORMED',
          `${what}: invalid RepoTags entry ${JSON.stringify(t.slice(0, 200))}`,
          MANIFEST_FILE,
        );
      return n;
    });
    return {
      source: what,
      configMember: s.resolve(configPath, `${what} Config`),
      configPath,
      layers: item.Layers.map((l, j) => {
        const path = normalizeMemberPath(l, MANIFEST_FILE);
        return { member: s.resolve(path, `${what} layer ${j}`), path };
      }),
      names: [...new Set(names)],
      repoDigests: [],
    };
  });
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
  const configBytes = await s.bytesOf(c.configMember, LOAD_LIMITS.maxJsonMember, c.configPath);
  const id = sha256Digest(configBytes);
  const config = parseImageConfig(configBytes, c.configPath);
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
        await port.putLayer(summary, r.entries);
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

  let manifest = c.manifest;
  if (!manifest) {
    // docker-archive without an OCI layout: describe the layers as Docker 25+ would.
    const platform = config.platform.os || config.platform.architecture ? config.platform : undefined;
    const bytes = utf8Bytes(
      ociManifestJson(
        { mediaType: OCI_CONFIG, digest: id, size: configBytes.length, ...(platform ? { platform } : {}) },
        layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.compressedSize })),
      ),
    );
    manifest = { bytes, digest: sha256Digest(bytes), mediaType: 'application/vnd.oci.image.manifest.v1+json' };
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
    const lines: string[] = [];
    for (const p of prepared) {
      const existing = await store.getImage(p.image.id);
      // An image already stored keeps its record (its blobs as pulled); only tags are added.
      const record = existing
        ? { ...existing, repoDigests: [...new Set([...existing.repoDigests, ...p.image.repoDigests])] }
        : p.image;
      const r = await store.commitImage(record, p.names);
      const loaded: LoadedImage = { imageId: p.image.id, repoTags: p.names };
      if (r.moved.length) loaded.replaced = r.moved.map((m) => ({ name: m.name, previousImageId: m.from }));
      images.push(loaded);
      for (const name of p.names) {
        const familiar = tagForms(name).familiar;
        const moved = r.moved.find((m) => m.name === name);
        if (moved)
          lines.push(
            `The image ${familiar} already exists, renaming the old one with ID ${moved.from} to empty string`,
          );
        lines.push(`Loaded image: ${familiar}`);
      }
      if (p.names.length === 0) lines.push(`Loaded image ID: ${p.image.id}`);
    }
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
