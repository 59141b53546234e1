/**
 * Test images made with real tools: `umoci` builds them into OCI layouts in temp dirs, `skopeo`
 * pushes them to a test registry (OCI, Docker v2 schema 2 or schema 1; gzip or zstd; single
 * images or multi-platform indexes). What a test asserts against comes from `skopeo inspect
 * --raw` / `--config`, never from Layerscope's code.
 *
 * Note: skopeo reuses a layer blob already in the registry, whatever its compression; give a
 * zstd test image content of its own (the default file names the image, so it differs).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { TestRegistry } from './registry.ts';

const exec = promisify(execFile);

/** path inside the image → content. */
export type Files = Record<string, string | Uint8Array>;
export type ManifestFormat = 'oci' | 'v2s2' | 'v2s1';
export type LayerCompression = 'gzip' | 'zstd';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageSpec {
  /** Tag inside the layout. */
  tag: string;
  /** Layout tag to build on: the new image shares its layers. */
  from?: string;
  /** One entry per layer, bottom first. */
  layers: Files[];
  os?: string;
  architecture?: string;
  cmd?: string[];
}

export interface PushedLayer {
  digest: string;
  size: number;
  mediaType: string;
}

/** What skopeo reports for a pushed image. */
export interface PushedImage {
  /** `127.0.0.1:PORT/name:tag` */
  reference: string;
  name: string;
  tag: string;
  /** Digest of the manifest (schema 1: `skopeo inspect`'s Digest, over the unsigned payload). */
  manifestDigest: string;
  /** `skopeo inspect --raw`: exact manifest bytes as the registry serves them. */
  manifestRaw: Buffer;
  mediaType: string;
  /** Absent for schema 1. */
  configDigest?: string;
  /** `skopeo inspect --config --raw`. */
  configRaw?: Buffer;
  /** Bottom first, from the manifest (schema 1: fsLayers reversed, size -1). */
  layers: PushedLayer[];
}

export interface PushedIndex {
  reference: string;
  name: string;
  tag: string;
  indexDigest: string;
  indexRaw: Buffer;
  mediaType: string;
  manifests: { digest: string; mediaType: string; size: number; platform?: PlatformSpec }[];
}

function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

async function tool(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Buffer> {
  try {
    const { stdout } = await exec(cmd, args, {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
      env: env ?? process.env,
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr?.toString() || err.message}`, { cause: e });
  }
}

/** An OCI image layout in a temp dir, built with umoci. */
export class TestLayout {
  readonly dir: string;
  readonly layout: string;
  #n = 0;

  private constructor(dir: string) {
    this.dir = dir;
    this.layout = join(dir, 'oci');
  }

  static async create(): Promise<TestLayout> {
    const dir = await mkdtemp(join(tmpdir(), 'layerscope-layout-'));
    const l = new TestLayout(dir);
    await tool('umoci', ['init', '--layout', l.layout]);
    return l;
  }

  /** Build (or extend) an image: each `layers` entry is unpacked, written, repacked. */
  async build(spec: ImageSpec): Promise<void> {
    const image = `${this.layout}:${spec.tag}`;
    if (spec.from) {
      // Start from the base: the first repack below creates `tag` with the base's layers.
      await this.#addLayer(`${this.layout}:${spec.from}`, image, spec.layers[0] ?? {});
    } else {
      await tool('umoci', ['new', '--image', image]);
      if (spec.layers.length > 0) await this.#addLayer(image, image, spec.layers[0]!);
    }
    for (const files of spec.layers.slice(1)) await this.#addLayer(image, image, files);
    const cfg = [
      'config',
      '--image',
      image,
      '--os',
      spec.os ?? 'linux',
      '--architecture',
      spec.architecture ?? 'amd64',
    ];
    for (const c of spec.cmd ?? ['/bin/sh']) cfg.push('--config.cmd', c);
    await tool('umoci', cfg);
  }

  async #addLayer(from: string, to: string, files: Files): Promise<void> {
    const bundle = join(this.dir, `bundle-${this.#n++}`);
    await tool('umoci', ['unpack', '--rootless', '--image', from, bundle]);
    for (const [path, content] of Object.entries(files)) {
      const p = join(bundle, 'rootfs', path);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content);
    }
    await tool('umoci', ['repack', '--image', to, bundle]);
    await rm(bundle, { recursive: true, force: true });
  }

  /** Descriptor of a tag in index.json. */
  async descriptor(tag: string): Promise<{ mediaType: string; digest: string; size: number }> {
    const idx = JSON.parse(await readFile(join(this.layout, 'index.json'), 'utf8')) as {
      manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
    };
    const d = idx.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
    if (!d) throw new Error(`no tag ${tag} in layout`);
    return { mediaType: d.mediaType, digest: d.digest, size: d.size };
  }

  /**
   * Write an OCI index over tags of this layout and name it `tag`. `attestationFor` adds an
   * entry with platform unknown/unknown (as BuildKit's attestation manifests) first.
   */
  async addIndex(
    tag: string,
    entries: { tag: string; platform: PlatformSpec }[],
    attestation?: { tag: string; refersTo: string },
  ): Promise<string> {
    const manifests: object[] = [];
    if (attestation) {
      const d = await this.descriptor(attestation.tag);
      const ref = await this.descriptor(attestation.refersTo);
      manifests.push({
        ...d,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: {
          'vnd.docker.reference.type': 'attestation-manifest',
          'vnd.docker.reference.digest': ref.digest,
        },
      });
    }
    for (const e of entries) manifests.push({ ...(await this.descriptor(e.tag)), platform: e.platform });
    const body = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
    );
    const digest = sha256(body);
    await writeFile(join(this.layout, 'blobs', 'sha256', digest.slice(7)), body);
    const indexPath = join(this.layout, 'index.json');
    const idx = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: object[] };
    idx.manifests.push({
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest,
      size: body.length,
      annotations: { 'org.opencontainers.image.ref.name': tag },
    });
    await writeFile(indexPath, JSON.stringify(idx));
    return digest;
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

function credsArgs(reg: TestRegistry, side: 'dest' | 'src' | 'inspect'): string[] {
  const prefix = side === 'inspect' ? '--' : `--${side}-`;
  return reg.username ? [`${prefix}creds`, `${reg.username}:${reg.password}`] : [`${prefix}no-creds`];
}

/** skopeo with its own HOME, so no auth file or config of the machine is read or written. */
async function skopeo(args: string[]): Promise<Buffer> {
  const home = await mkdtemp(join(tmpdir(), 'layerscope-skopeo-'));
  try {
    return await tool('skopeo', ['--insecure-policy', ...args], { ...process.env, HOME: home });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export function skopeoInspectRaw(reg: TestRegistry, ref: string): Promise<Buffer> {
  return skopeo(['inspect', '--tls-verify=false', ...credsArgs(reg, 'inspect'), '--raw', `docker://${ref}`]);
}

export function skopeoInspectConfig(reg: TestRegistry, ref: string): Promise<Buffer> {
  return skopeo([
    'inspect',
    '--tls-verify=false',
    ...credsArgs(reg, 'inspect'),
    '--config',
    '--raw',
    `docker://${ref}`,
  ]);
}

/** `skopeo inspect` (parsed JSON): Digest, Architecture, Os, Layers, … */
export async function skopeoInspect(reg: TestRegistry, ref: string): Promise<Record<string, unknown>> {
  const out = await skopeo(['inspect', '--tls-verify=false', ...credsArgs(reg, 'inspect'), `docker://${ref}`]);
  return JSON.parse(out.toString()) as Record<string, unknown>;
}

export interface PushOptions {
  format?: ManifestFormat;
  compression?: LayerCompression;
  /** Copy an index with all its images (`skopeo copy --all`). */
  all?: boolean;
}

async function skopeoCopy(reg: TestRegistry, layout: TestLayout, layoutTag: string, dest: string, opts: PushOptions) {
  const args = ['copy', '--quiet', '--dest-tls-verify=false', ...credsArgs(reg, 'dest')];
  if (opts.all) args.push('--all');
  if (opts.format) args.push('--format', opts.format);
  if (opts.compression) args.push('--dest-compress-format', opts.compression);
  args.push(`oci:${layout.layout}:${layoutTag}`, `docker://${dest}`);
  await skopeo(args);
}

/** Push one image of a layout and read back the truth with skopeo. */
export async function pushLayoutImage(
  reg: TestRegistry,
  layout: TestLayout,
  layoutTag: string,
  name: string,
  tag: string,
  opts: PushOptions = {},
): Promise<PushedImage> {
  const reference = `${reg.host}/${name}:${tag}`;
  await skopeoCopy(reg, layout, layoutTag, reference, opts);
  const manifestRaw = await skopeoInspectRaw(reg, reference);
  const m = JSON.parse(manifestRaw.toString()) as {
    schemaVersion: number;
    mediaType?: string;
    config?: { digest: string };
    layers?: PushedLayer[];
    fsLayers?: { blobSum: string }[];
    signatures?: unknown;
  };
  if (m.schemaVersion === 1) {
    const info = await skopeoInspect(reg, reference);
    return {
      reference,
      name,
      tag,
      manifestDigest: info.Digest as string,
      manifestRaw,
      mediaType: m.signatures
        ? 'application/vnd.docker.distribution.manifest.v1+prettyjws'
        : 'application/vnd.docker.distribution.manifest.v1+json',
      layers: [...(m.fsLayers ?? [])]
        .reverse()
        .map((l) => ({ digest: l.blobSum, size: -1, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' })),
    };
  }
  return {
    reference,
    name,
    tag,
    manifestDigest: sha256(manifestRaw),
    manifestRaw,
    mediaType: m.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
    configDigest: m.config!.digest,
    configRaw: await skopeoInspectConfig(reg, reference),
    layers: (m.layers ?? []).map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
  };
}

export interface TestImageOptions extends PushOptions {
  name: string;
  tag: string;
  /** Files of a single layer (shorthand for `layers: [files]`). */
  files?: Files;
  layers?: Files[];
  /** Build on top of an image in an existing layout: the pushed images share its layers. */
  base?: { layout: TestLayout; tag: string };
  os?: string;
  architecture?: string;
}

/** Build an image with umoci and push it with skopeo; returns skopeo's view of it. */
export async function pushTestImage(reg: TestRegistry, opts: TestImageOptions): Promise<PushedImage> {
  const layout = opts.base?.layout ?? (await TestLayout.create());
  const layoutTag = `img-${opts.name.replace(/[^a-z0-9]/g, '-')}-${opts.tag}`;
  try {
    const spec: ImageSpec = {
      tag: layoutTag,
      layers: opts.layers ?? [opts.files ?? { 'etc/layerscope-test': `${opts.name}:${opts.tag}\n` }],
    };
    if (opts.base) spec.from = opts.base.tag;
    if (opts.os) spec.os = opts.os;
    if (opts.architecture) spec.architecture = opts.architecture;
    await layout.build(spec);
    return await pushLayoutImage(reg, layout, layoutTag, opts.name, opts.tag, opts);
  } finally {
    if (!opts.base) await layout.cleanup();
  }
}

export interface TestIndexOptions {
  name: string;
  tag: string;
  /** `oci` keeps the OCI index; `v2s2` converts to a Docker manifest list. */
  format?: 'oci' | 'v2s2';
  platforms: { platform: PlatformSpec; files?: Files }[];
  /** Add an `unknown/unknown` attestation-like entry referring to the first image. */
  attestation?: boolean;
}

/** Build one image per platform, put them in an index and push it all (`skopeo copy --all`). */
export async function pushTestIndex(reg: TestRegistry, opts: TestIndexOptions): Promise<PushedIndex> {
  const layout = await TestLayout.create();
  try {
    const entries: { tag: string; platform: PlatformSpec }[] = [];
    for (const [i, p] of opts.platforms.entries()) {
      const tag = `p${i}`;
      await layout.build({
        tag,
        layers: [
          p.files ?? { 'etc/platform': `${p.platform.os}/${p.platform.architecture}/${p.platform.variant ?? ''}\n` },
        ],
        os: p.platform.os,
        architecture: p.platform.architecture,
      });
      entries.push({ tag, platform: p.platform });
    }
    let attestation: { tag: string; refersTo: string } | undefined;
    if (opts.attestation) {
      await layout.build({
        tag: 'att',
        layers: [{ 'attestation.json': '{"predicateType":"test"}\n' }],
        os: 'unknown',
        architecture: 'unknown',
      });
      attestation = { tag: 'att', refersTo: 'p0' };
    }
    await layout.addIndex('index', entries, attestation);
    const reference = `${reg.host}/${opts.name}:${opts.tag}`;
    const copyOpts: PushOptions = { all: true };
    if (opts.format === 'v2s2') copyOpts.format = 'v2s2';
    await skopeoCopy(reg, layout, 'index', reference, copyOpts);
    const indexRaw = await skopeoInspectRaw(reg, reference);
    const idx = JSON.parse(indexRaw.toString()) as { mediaType: string; manifests: PushedIndex['manifests'] };
    return {
      reference,
      name: opts.name,
      tag: opts.tag,
      indexDigest: sha256(indexRaw),
      indexRaw,
      mediaType: idx.mediaType,
      manifests: idx.manifests.map((m) => {
        const e: PushedIndex['manifests'][number] = { digest: m.digest, mediaType: m.mediaType, size: m.size };
        if (m.platform) e.platform = m.platform;
        return e;
      }),
    };
  } finally {
    await layout.cleanup();
  }
}
