/**
 * `docker pull`, as a pure orchestration over two ports: a registry (resolve a reference,
 * stream blobs) and a store (content-addressed blobs, manifests, layer indexes, images, tags).
 * The engine worker binds them to the registry client and IndexedDB; tests bind them to a real
 * registry and fake-indexeddb.
 *
 * Order of writes: blobs first — immutable, harmless if orphaned, written chunk by
 * chunk and marked complete only once their digest is verified — then the image and its tags
 * in one transaction. A pull cut anywhere leaves no half image; the next one resumes.
 */
import { parseImageConfig, type ConfigSummary } from './image-config.ts';
import type { ImageRecord, LayerRecord } from './model.ts';
import { knownLayer, pullLayer, shortId } from './pull-layer.ts';
import {
  PullError,
  type IngestFn,
  type PullOptions,
  type PullResult,
  type RegistryPort,
  type ResolvedImage,
  type StorePort,
} from './pull-ports.ts';
import { canonicalString, dockerRef, familiarString, referenceString, type Reference } from './reference.ts';
import { sha256Digest } from './sha256.ts';
import type { Digest } from './digest.ts';
import { imageLayerSizes } from './layer/size.ts';
import { LayerscopeError } from './errors.ts';
import { humanSize } from './docker/format.ts';

export {
  PullError,
  type IngestFn,
  type LayerSummary,
  type PullOptions,
  type PullResult,
  type RegistryPort,
  type StorePort,
} from './pull-ports.ts';

export async function pull(
  ref: Reference,
  deps: { registry: RegistryPort; store: StorePort; ingest: IngestFn },
  opts: PullOptions = {},
): Promise<PullResult> {
  const { registry, store } = deps;
  const emit = opts.onEvent ?? (() => {});
  const signal = opts.signal;
  ref = dockerRef(ref); // `name:tag@digest` pulls the digest and records no tag, as Docker does

  emit({ type: 'start', tagOrDigest: ref.tag ?? ref.digest ?? 'latest', repository: ref.repository });
  const resolved = await registry.resolve(ref, opts.platform, signal);
  for (const text of resolved.warnings) emit({ type: 'warning', text });

  const config = resolved.config;
  let configJson: ConfigJson | undefined;
  if (config) {
    const actual = sha256Digest(config.bytes);
    if (actual !== config.digest)
      throw new PullError('CONFIG_DIGEST_MISMATCH', `config digest mismatch: expected ${config.digest}, got ${actual}`);
    configJson = parseConfig(config.bytes);
    if (configJson.diffIds.length !== resolved.layers.length) {
      throw new PullError(
        'CONFIG_LAYER_MISMATCH',
        `the manifest lists ${resolved.layers.length} layers but the config has ${configJson.diffIds.length} diff_ids`,
      );
    }
  }

  const lease = await store.lease([
    resolved.manifestDigest,
    ...(resolved.index ? [resolved.index.digest] : []),
    ...(config ? [config.digest] : []),
    ...resolved.layers.map((l) => l.digest),
    ...(configJson?.diffIds ?? []),
  ]);
  try {
    return await pullResolved(ref, resolved, config, configJson, deps, opts);
  } finally {
    lease.release();
  }
}

async function pullResolved(
  ref: Reference,
  resolved: ResolvedImage,
  config: ResolvedImage['config'],
  configJson: ConfigJson | undefined,
  deps: { registry: RegistryPort; store: StorePort; ingest: IngestFn },
  opts: PullOptions,
): Promise<PullResult> {
  const { store, ingest } = deps;
  const emit = opts.onEvent ?? (() => {});
  const now = opts.now ?? Date.now;
  const signal = opts.signal;
  const pulledDigest = resolved.index?.digest ?? resolved.manifestDigest;
  const tagName = ref.tag !== undefined ? `${ref.registry}/${ref.repository}:${ref.tag}` : undefined;
  const displayRef = familiarString(ref);
  // The manifest this reference names (a tag, or the digest it was pulled by).
  const refKey = tagName ?? canonicalString(ref, pulledDigest);
  const refManifest = {
    manifestDigest: resolved.manifestDigest,
    manifestMediaType: resolved.manifestMediaType,
    ...(resolved.index ? { indexDigest: resolved.index.digest } : {}),
  };

  // Up to date: the tag (or digest) already names this image, and every part of it is stored.
  if (config) {
    const existing = await store.getImage(config.digest);
    if (
      existing &&
      (await imageComplete(store, existing)) &&
      (!tagName || (await store.tagTarget(tagName)) === existing.id)
    ) {
      const repoDigests = mergeRepoDigests(existing.repoDigests, canonicalString(ref, pulledDigest));
      const named = existing.refManifests?.[refKey];
      if (
        repoDigests.length !== existing.repoDigests.length ||
        named?.manifestDigest !== refManifest.manifestDigest ||
        named.indexDigest !== refManifest.indexDigest
      ) {
        await store.putManifest(resolved.manifestDigest, resolved.manifestBytes, resolved.manifestMediaType);
        if (resolved.index)
          await store.putManifest(resolved.index.digest, resolved.index.bytes, resolved.index.mediaType);
        await store.commitImage(
          { ...existing, repoDigests, refManifests: { ...existing.refManifests, [refKey]: refManifest } },
          tagName ? [tagName] : [],
        );
      }
      emit({ type: 'digest', digest: pulledDigest });
      emit({ type: 'status', text: `Image is up to date for ${displayRef}`, upToDate: true });
      emit({ type: 'done', reference: referenceString(ref), imageId: existing.id });
      return { image: { ...existing, repoDigests }, reference: referenceString(ref), upToDate: true };
    }
  }

  // Every layer: `Already exists`, or fetched (resuming a partial blob) and ingested in one pass.
  const layerRecords: LayerRecord[] = new Array(resolved.layers.length);
  const queue = resolved.layers.map((desc, i) => ({ desc, i, diffId: configJson?.diffIds[i] }));
  const seen = new Set<string>();
  let toFetch = 0;
  for (const { desc } of queue) {
    if (seen.has(desc.digest)) continue;
    seen.add(desc.digest);
    const known = await knownLayer(
      store,
      desc.digest,
      configJson ? configJson.diffIds[queue.findIndex((q) => q.desc.digest === desc.digest)] : undefined,
    );
    if (!known) toFetch += desc.size ?? 0;
    emit({ type: 'layer', id: shortId(desc.digest), status: known ? 'Already exists' : 'Pulling fs layer' });
  }
  // The quota check comes before the work: a pull that cannot fit fails now, not after
  // downloading (and discarding) gigabytes.
  const free = await opts.freeSpace?.();
  if (free !== undefined && toFetch > free) {
    throw new LayerscopeError(
      'QUOTA_EXCEEDED',
      `the layers to download take ${humanSize(toFetch)}, more than the ${humanSize(Math.max(0, free))} the browser's storage for this site has left`,
    );
  }
  const concurrency = Math.max(1, opts.concurrency ?? 3);
  let next = 0;
  // The first layer that fails stops the others (as Docker cancels its other downloads), and
  // the pull returns only once every layer settled: nothing keeps writing or reporting after
  // the pull has failed and its lease is gone.
  const layers = new AbortController();
  const forward = () => layers.abort(signal?.reason);
  if (signal?.aborted) forward();
  signal?.addEventListener('abort', forward, { once: true });
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < queue.length) {
      const job = queue[next++]!;
      try {
        layerRecords[job.i] = await pullLayer(job.desc, job.diffId, ref, deps, emit, layers.signal, ingest);
      } catch (e) {
        if (!failure) {
          failure = { error: e };
          layers.abort(new DOMException('another layer failed', 'AbortError'));
        }
      }
    }
  };
  if (queue.length > concurrency) {
    for (const { desc, diffId } of queue.slice(concurrency)) {
      if (!(await knownLayer(store, desc.digest, diffId)))
        emit({ type: 'layer', id: shortId(desc.digest), status: 'Waiting' });
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', forward);
  }
  if (failure) throw failure.error;

  // Schema 1: the config is made from the manifest once the diff_ids are known.
  if (!config) {
    if (!resolved.schema1Config) throw new PullError('CONFIG_MISSING', 'the manifest has no config');
    const made = await resolved.schema1Config(layerRecords.map((l) => l.diffId));
    config = { digest: made.digest, bytes: made.bytes, mediaType: 'application/vnd.docker.container.image.v1+json' };
    configJson = parseConfig(made.bytes);
  }
  if (!configJson) throw new PullError('CONFIG_MISSING', 'the manifest has no config');

  signal?.throwIfAborted();
  await store.putBlob(config.digest, config.bytes, config.mediaType);
  await store.putManifest(resolved.manifestDigest, resolved.manifestBytes, resolved.manifestMediaType);
  if (resolved.index) await store.putManifest(resolved.index.digest, resolved.index.bytes, resolved.index.mediaType);

  // Docker's size of each layer in this image: a hard link to a lower layer's file counts it.
  if (store.getLayerEntries) {
    const sizes = await imageLayerSizes(layerRecords, (d) => store.getLayerEntries!(d as Digest));
    sizes.forEach((size, i) => (layerRecords[i] = { ...layerRecords[i]!, size }));
  }
  const previous = await store.getImage(config.digest);
  const image: ImageRecord = {
    id: config.digest,
    manifestDigest: resolved.manifestDigest,
    manifestMediaType: resolved.manifestMediaType,
    ...(resolved.index ? { indexDigest: resolved.index.digest } : {}),
    repoDigests: mergeRepoDigests(previous?.repoDigests ?? [], canonicalString(ref, pulledDigest)),
    platform: configJson.platform,
    layers: layerRecords,
    created: configJson.created,
    size: layerRecords.reduce((n, l) => n + l.size, 0),
    downloadSize: layerRecords.reduce((n, l) => n + l.compressedSize, 0),
    configMediaType: config.mediaType,
    ...(resolved.config ? {} : { schema1: true }),
    refManifests: { ...previous?.refManifests, [refKey]: refManifest },
    storedAt: previous?.storedAt ?? now(),
  };
  signal?.throwIfAborted();
  await store.commitImage(image, tagName ? [tagName] : []);
  emit({ type: 'digest', digest: pulledDigest });
  emit({ type: 'status', text: `Downloaded newer image for ${displayRef}`, upToDate: false });
  emit({ type: 'done', reference: referenceString(ref), imageId: image.id });
  return { image, reference: referenceString(ref), upToDate: false };
}

async function imageComplete(store: StorePort, image: ImageRecord): Promise<boolean> {
  if ((await store.blobState(image.id)) !== 'complete') return false;
  for (const l of image.layers) if ((await store.blobState(l.digest)) !== 'complete') return false;
  return true;
}

function mergeRepoDigests(existing: readonly string[], added: string): string[] {
  // Digest references accumulate (moby distribution `addDigestReference`); the store keeps a
  // reference another image already holds on that image (commitImage).
  return existing.includes(added) ? [...existing] : [...existing, added];
}

type ConfigJson = ConfigSummary;

function parseConfig(bytes: Uint8Array): ConfigJson {
  return parseImageConfig(
    bytes,
    (problem, text) =>
      new PullError(problem === 'too-large' ? 'CONFIG_TOO_LARGE' : 'CONFIG_INVALID', `image config ${text}`),
  );
}
