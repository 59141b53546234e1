/**
 * Builds public/sample/layerscope-sample.tar: a `docker save` archive (Docker 25+ layout:
 * manifest.json, repositories, oci-layout, index.json, blobs/sha256/…) of a two-layer image
 * tagged `layerscope/sample:1.0`, from the files in samples/hello/ (see its README).
 *
 *   npx tsx scripts/make-sample.ts [output]
 *
 * Reproducible: fixed mtimes, owners and modes, entries sorted; the same sources give the same
 * bytes. Written with Layerscope's own tar writer and archive format code.
 */
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  blobPath,
  dockerManifestJson,
  INDEX_FILE,
  MANIFEST_FILE,
  OCI_CONFIG,
  OCI_LAYOUT_CONTENT,
  OCI_LAYOUT_FILE,
  ociIndexJson,
  ociManifestJson,
  repositoriesJson,
  REPOSITORIES_FILE,
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
} from '../src/core/archive/index.ts';
import { OCI_LAYER_TAR } from '../src/core/media-types.ts';
import { sha256Digest } from '../src/core/sha256.ts';
import { writeTar, type TarWriteEntry } from '../src/core/tar/writer.ts';
import { concatBytes } from '../src/core/tar/bytes.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SAMPLE_SOURCE = join(ROOT, 'samples/hello');
export const SAMPLE_OUTPUT = join(ROOT, 'public/sample/layerscope-sample.tar');
export const SAMPLE_NAME = 'docker.io/layerscope/sample:1.0';
/** 2025-01-01T00:00:00Z: every mtime in the archive and the image's `created`. */
const EPOCH = 1_735_689_600;
const CREATED = '2025-01-01T00:00:00Z';

async function collect(entries: TarWriteEntry[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of writeTar(entries)) parts.push(c);
  return concatBytes(parts);
}

/** Files under `dir`, relative, sorted (byte order, as Go's archive writers walk). */
function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    if (statSync(join(dir, p)).isDirectory()) out.push(...listFiles(dir, p));
    else out.push(p);
  }
  return out;
}

/** One layer tar: parent directories first, then files; whiteouts for `deleted`. */
function layerEntries(dir: string, deleted: string[]): TarWriteEntry[] {
  const files = listFiles(dir);
  const whiteouts = deleted.map((p) => {
    const i = p.lastIndexOf('/');
    return i < 0 ? `.wh.${p}` : `${p.slice(0, i)}/.wh.${p.slice(i + 1)}`;
  });
  const paths = [...files, ...whiteouts].sort();
  const entries: TarWriteEntry[] = [];
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d)) continue;
      dirs.add(d);
      entries.push({ path: d, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: EPOCH });
    }
    const body = whiteouts.includes(p) ? new Uint8Array(0) : new Uint8Array(readFileSync(join(dir, p)));
    const mode = /(^|\/)bin\//.test(p) && body.length ? 0o755 : 0o644;
    entries.push({ path: p, type: 'file', mode, uid: 0, gid: 0, mtime: EPOCH, body });
  }
  return entries;
}

export async function buildSample(source = SAMPLE_SOURCE): Promise<Uint8Array> {
  const deleted = readFileSync(join(source, 'update.delete'), 'utf8')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  const layers = [
    await collect(layerEntries(join(source, 'base'), [])),
    await collect(layerEntries(join(source, 'update'), deleted)),
  ];
  const diffIds = layers.map((l) => sha256Digest(l));
  const platform = { architecture: 'amd64', os: 'linux' };
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: CREATED,
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['/usr/local/bin/hello'],
        WorkingDir: '/',
      },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: [
        { created: CREATED, created_by: 'COPY samples/hello/base / # buildkit', comment: 'scripts/make-sample.ts' },
        {
          created: CREATED,
          created_by: `COPY samples/hello/update / && rm ${deleted.map((d) => `/${d}`).join(' ')} # buildkit`,
          comment: 'scripts/make-sample.ts',
        },
      ],
    }),
  );
  const configDigest = sha256Digest(config);
  const manifest = new TextEncoder().encode(
    ociManifestJson(
      { mediaType: OCI_CONFIG, digest: configDigest, size: config.length, platform },
      layers.map((l, i) => ({ mediaType: OCI_LAYER_TAR, digest: diffIds[i]!, size: l.length })),
    ),
  );
  const manifestDigest = sha256Digest(manifest);
  const enc = (s: string) => new TextEncoder().encode(s);
  const blobs = new Map<string, Uint8Array>([
    [blobPath(configDigest), config],
    [blobPath(manifestDigest), manifest],
    ...layers.map((l, i) => [blobPath(diffIds[i]!), l] as const),
  ]);
  const files: TarWriteEntry[] = [...blobs.keys()].sort().map((path) => ({ path, body: blobs.get(path)! }));
  files.push({
    path: INDEX_FILE,
    body: enc(
      ociIndexJson([
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifestDigest,
          size: manifest.length,
          platform,
          annotations: { [ANNOTATION_IMAGE_NAME]: SAMPLE_NAME, [ANNOTATION_REF_NAME]: '1.0' },
        },
      ]),
    ),
  });
  files.push({
    path: MANIFEST_FILE,
    body: enc(
      dockerManifestJson([
        { Config: blobPath(configDigest), RepoTags: ['layerscope/sample:1.0'], Layers: diffIds.map(blobPath) },
      ]),
    ),
  });
  files.push({ path: OCI_LAYOUT_FILE, body: enc(OCI_LAYOUT_CONTENT) });
  files.push({
    path: REPOSITORIES_FILE,
    body: enc(repositoriesJson(new Map([['layerscope/sample', new Map([['1.0', diffIds.at(-1)!.slice(7)]])]]))),
  });
  return collect([
    { path: 'blobs', type: 'dir', mode: 0o755, mtime: EPOCH },
    { path: 'blobs/sha256', type: 'dir', mode: 0o755, mtime: EPOCH },
    ...files.map((f) => ({ ...f, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtime: EPOCH })),
  ]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = resolve(process.argv[2] ?? SAMPLE_OUTPUT);
  const bytes = await buildSample();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  console.log(`${out}: ${bytes.length} bytes, ${sha256Digest(bytes)}`);
}
