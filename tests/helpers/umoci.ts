/**
 * Real images made with `umoci` (a reference implementation of the OCI image spec) for
 * differential tests: build layers by editing an unpacked bundle and repacking it, read the
 * layout's blobs with our ingest, and walk an `umoci unpack`ed rootfs with lstat.
 *
 * Ownership: as root, umoci runs without --rootless so files keep the uid/gid we chown them to,
 * and the unpacked rootfs shows the tar's uid/gid as they are. Not root: --rootless, where umoci
 * records every file as 0:0 and unpacks it owned by the current user — `hostId` maps that.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { Digest } from '../../src/core/digest.ts';
import { ingestLayer, type LayerIngest } from '../../src/core/layer/ingest.ts';

const run = promisify(execFile);

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
/** --rootless only when we cannot chown for real. */
const rootless = isRoot ? [] : ['--rootless'];

export async function umoci(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('umoci', args, { maxBuffer: 16 << 20 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`umoci ${args.join(' ')} failed: ${err.stderr || err.message}`, { cause: e });
  }
}

/** A fresh layout at `layout` with an empty image tagged `tag`, unpacked to `bundle`. */
export async function newImage(layout: string, tag: string, bundle: string): Promise<void> {
  await umoci(['init', '--layout', layout]);
  await umoci(['new', '--image', `${layout}:${tag}`]);
  await umoci(['unpack', ...rootless, '--image', `${layout}:${tag}`, bundle]);
}

/** One new layer from the bundle's changes since it was last packed. */
export async function repack(layout: string, tag: string, bundle: string, createdBy: string): Promise<void> {
  await umoci(['repack', '--refresh-bundle', '--history.created_by', createdBy, '--image', `${layout}:${tag}`, bundle]);
}

export async function unpack(layout: string, tag: string, bundle: string): Promise<void> {
  await umoci(['unpack', ...rootless, '--image', `${layout}:${tag}`, bundle]);
}

/** uid/gid as the unpacked rootfs shows an image's id (rootless maps 0 to us). */
export function hostId(id: number, kind: 'uid' | 'gid'): number {
  if (isRoot) return id;
  return kind === 'uid' ? process.getuid!() : process.getgid!();
}

interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

export function blobPath(layout: string, digest: Digest): string {
  return join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

export interface UmociImage {
  manifest: { layers: Descriptor[]; config: Descriptor };
  config: { rootfs: { diff_ids: Digest[] }; history?: { created_by?: string; empty_layer?: boolean }[] };
  /** Each layer read with our ingest, digest and diff_id verified against manifest and config. */
  layers: LayerIngest[];
}

/** Reads the image tagged `tag` from an OCI layout, every layer through `ingestLayer`. */
export async function readImage(layout: string, tag: string): Promise<UmociImage> {
  const index = await readJson<{ manifests: Descriptor[] }>(join(layout, 'index.json'));
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!desc) throw new Error(`no manifest tagged ${tag} in ${layout}`);
  const manifest = await readJson<UmociImage['manifest']>(blobPath(layout, desc.digest));
  const config = await readJson<UmociImage['config']>(blobPath(layout, manifest.config.digest));
  const layers: LayerIngest[] = [];
  for (const [i, l] of manifest.layers.entries()) {
    const stream = Readable.toWeb(createReadStream(blobPath(layout, l.digest))) as ReadableStream<Uint8Array>;
    layers.push(
      await ingestLayer(stream, {
        expectedDigest: l.digest,
        expectedDiffId: config.rootfs.diff_ids[i]!,
        expectedSize: l.size,
      }),
    );
  }
  return { manifest, config, layers };
}

export interface ListingRow {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  /** Permission bits (& 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Regular files only; 0 otherwise. */
  size: number;
  linkname?: string;
  /** Inode, to compare hard-link groups. */
  ino: number;
}

/** Every path below `rootfs` (relative, sorted), with lstat's view of it. */
export async function walkRootfs(rootfs: string): Promise<ListingRow[]> {
  const rows: ListingRow[] = [];
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    for (const name of await readdir(join(rootfs, rel))) {
      const p = rel === '' ? name : `${rel}/${name}`;
      const abs = join(rootfs, p);
      const st = await lstat(abs);
      const type = st.isFile()
        ? 'file'
        : st.isDirectory()
          ? 'dir'
          : st.isSymbolicLink()
            ? 'symlink'
            : st.isCharacterDevice()
              ? 'char'
              : st.isBlockDevice()
                ? 'block'
                : st.isFIFO()
                  ? 'fifo'
                  : 'socket';
      const row: ListingRow = {
        path: p,
        type,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: type === 'file' ? st.size : 0,
        ino: st.ino,
      };
      if (type === 'symlink') row.linkname = await readlink(abs);
      rows.push(row);
      if (type === 'dir') stack.push(p);
    }
  }
  return rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
