/**
 * One `docker load`: the streaming pass over the archive and what it leaves behind. Members
 * that may be blobs go straight into the store while they are hashed (a `blobs/sha256/<hex>`
 * member must hash to its name); metadata (JSON, small members) is kept in memory within
 * LIMITS. Members whose digest is not known before they end (`<id>/layer.tar` of old
 * `docker save`) are staged under a random key and copied to their digest afterwards. Leases
 * and open writers are tracked so a failed load leaves the store as it was.
 */
import { ArchiveError, digestOfBlobPath, resolveLinkTarget } from '../../core/archive/index.ts';
import { CompressionError, decompress, sniffSource } from '../../core/compression.ts';
import type { Digest } from '../../core/digest.ts';
import { LIMITS } from '../../core/limits.ts';
import type { Platform } from '../../core/model.ts';
import { createSha256, sha256Digest } from '../../core/sha256.ts';
import { iteratorOf } from '../../core/tar/bytes.ts';
import { TarError } from '../../core/tar/errors.ts';
import { readTar, type TarEntry } from '../../core/tar/reader.ts';
import type { BlobWriter, Lease, Store } from '../../store/index.ts';

export interface LoadArchiveOptions {
  signal?: AbortSignal;
  /** Archive bytes read so far (compressed, as the source gives them). */
  onProgress?(bytesRead: number): void;
  /**
   * `docker load --platform`: only images for these platforms load (containerd's matching;
   * an archive image for none of them is an error naming them).
   */
  platforms?: readonly Platform[];
  /** The platform chosen from a nested image index when `platforms` is not given, as
   * `docker pull` chooses (default linux/amd64). */
  defaultPlatform?: Platform;
}

export type Member =
  | { kind: 'inline'; bytes: Uint8Array; digest: Digest }
  | { kind: 'stored'; digest: Digest; size: number; staged?: Digest }
  | { kind: 'link'; target: string }
  | { kind: 'dir' };

const META_RE = /(?:^|\/)(?:manifest\.json|index\.json|repositories|oci-layout|VERSION|json|[^/]*\.json)$/;
/** `manifest.json`, `index.json`, `repositories`, `oci-layout`: manifest-sized; other JSON
 * members (`<id>.json` configs of old `docker save`) config-sized. */
const MANIFEST_ROLE_RE = /(?:^|\/)(?:manifest\.json|index\.json|repositories|oci-layout)$/;
const HEX_NAME_RE = /(?:^|\/)([a-f0-9]{64})(?:\.tar(?:\.gz)?)?$/;
const STAGING_TYPE = 'application/octet-stream';

function randomKey(): Digest {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return `sha256:${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

export function archiveErrorOf(e: unknown): unknown {
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

export class LoadSession {
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
    if (this.inMemory > LIMITS.archive.inMemoryBytes) {
      throw new ArchiveError(
        'ARCHIVE_LIMIT',
        `metadata members exceed ${LIMITS.archive.inMemoryBytes} bytes in total (at ${path})`,
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
    const tarOpts: Parameters<typeof readTar>[1] = { maxEntries: LIMITS.archive.members };
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
      if (size <= LIMITS.archive.inlineBlobBytes) return this.inline(entry, named);
      return this.storeMember(entry, named);
    }
    if (META_RE.test(path)) {
      const cap = MANIFEST_ROLE_RE.test(path) ? LIMITS.manifestBytes : LIMITS.configBytes;
      if (size > cap) {
        throw new ArchiveError(
          'ARCHIVE_LIMIT',
          `member ${path} is ${size} bytes, more than the ${cap} allowed for metadata`,
          path,
        );
      }
      return this.inline(entry, undefined);
    }
    const hex = HEX_NAME_RE.exec(path);
    // skopeo names docker-archive layers `<digest hex>.tar`; a mismatch is an error like any
    // other member named by its digest.
    if (hex) return this.storeMember(entry, `sha256:${hex[1]}` as Digest);
    if (size <= LIMITS.archive.inlineOtherBytes) return this.inline(entry, undefined);
    return this.storeMember(entry, undefined);
  }

  private async inline(entry: TarEntry, named: Digest | undefined): Promise<Member> {
    const { path, size } = entry.header;
    this.keep(size, path);
    const bytes = (await entry.bytes(Math.max(LIMITS.configBytes, LIMITS.archive.inlineBlobBytes))).slice();
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
    for (let hops = 0; hops <= LIMITS.archive.linkHops; hops++) {
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
    // An import cut short while copying (a reload) left the first `w.offset` bytes under this
    // digest: they are these same bytes (the member hashed to it then too), so hash everything
    // and write only what is missing.
    const h = createSha256();
    const it = iteratorOf(store.readBlob(m.staged));
    let at = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      this.opts.signal?.throwIfAborted();
      h.update(r.value);
      const end = at + r.value.length;
      if (end > w.offset) await w.write(at >= w.offset ? r.value : r.value.subarray(w.offset - at));
      at = end;
    }
    if (h.digest() !== m.digest)
      throw new ArchiveError('ARCHIVE_STORE', `staged copy of ${m.digest} changed in the store`, undefined, m.digest);
    await w.complete();
    this.writers.delete(w);
  }
}
