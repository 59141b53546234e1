/**
 * The command bar's view of the engine (core/commands/context.ts's DockerContext): the store's
 * images and tags, pulls through the engine, and `docker save` / `docker load` on the files
 * the person picked or the download the browser offers.
 */
import type { CommandOutput, DockerContext } from '../core/commands/context.ts';
import { LayerscopeError } from '../core/errors.ts';
import { LIMITS } from '../core/limits.ts';
import type { Platform, RemovalStep } from '../core/model.ts';
import type { PullEvent } from '../core/pull-events.ts';
import type { Reference } from '../core/reference.ts';
import type { Store } from '../store/index.ts';
import type { CommandSink } from './api.ts';
import { loadArchive, saveArchive } from './archive.ts';
import type { Comparer } from './compare.ts';
import type { PackageScanner } from './packages.ts';
import { peekPort, type Peeker } from './peek.ts';
import type { Digest } from '../core/digest.ts';

export interface DockerContextDeps {
  store: Store;
  now(): number;
  pull(
    ref: Reference,
    platform: string | undefined,
    onEvent: (e: PullEvent) => void,
    signal: AbortSignal,
  ): Promise<unknown>;
  /** Called after a load changed the store (cached explorer views are stale). */
  loaded(): void;
  /** The settings' default platform, as `docker load` chooses from an index without `--platform`. */
  defaultPlatform(): Platform;
  sink?: CommandSink & Partial<CommandOutput>;
  files: File[];
  /** The command bar's `container-diff diff` / `compare`. */
  comparer?: Comparer;
  /** The command bar's `packages`. */
  packages?: PackageScanner;
  /** The command bar's `peek`. */
  peeker?: Peeker;
}

export function engineDockerContext(d: DockerContextDeps): DockerContext {
  const { store, sink, files } = d;
  return {
    now: d.now,
    version: '0.1.0',
    ...(d.comparer ? { compare: compareText(d.comparer) } : {}),
    ...(d.packages ? { packages: (id: Digest) => d.packages!.packages(id) } : {}),
    ...(d.peeker ? { peek: peekPort(d.peeker) } : {}),
    listImages: () => store.listImages(),
    listTags: () => store.listTags(),
    getConfig: async (id) => {
      if ((await store.hasBlob(id)) !== 'complete') return undefined;
      return JSON.parse(new TextDecoder().decode(await store.readBlobBytes(id, LIMITS.configBytes)));
    },
    pull: async (ref, opts, onEvent, signal) => {
      await d.pull(ref, opts.platform, onEvent, signal ?? new AbortController().signal);
    },
    tag: async (imageId, name) => {
      await store.tag(imageId, name);
    },
    remove: async (steps: readonly RemovalStep[]) => {
      await store.applyRemoval(steps);
      await store.gc();
    },
    save: async (request, signal) => {
      const stream = await saveArchive(
        store,
        { images: request.images, format: 'docker-archive' },
        signal ? { signal } : {},
      );
      const blob = await new Response(stream).blob();
      if (!sink?.download) throw new LayerscopeError('NO_DOWNLOAD', 'docker save: nowhere to save the archive');
      sink.download(request.fileName, blob);
    },
    load: async (request, signal) => {
      const file = files.find((f) => f.name === request.fileName) ?? files[0];
      if (!file) {
        throw new LayerscopeError(
          'NO_FILE',
          `docker load: no file was picked${request.fileName ? ` for ${request.fileName}` : ''}; run it again and choose the archive`,
        );
      }
      const r = await loadArchive(store, file.stream(), {
        ...(signal ? { signal } : {}),
        ...(request.platforms?.length ? { platforms: request.platforms } : {}),
        defaultPlatform: d.defaultPlatform(),
      });
      d.loaded();
      return { images: r.images };
    },
  };
}

/** `container-diff diff`: the sections, then with `--filename` that file's unified diff (as
 * container-diff prints its "Diff of FILE" section). */
function compareText(comparer: Comparer): NonNullable<DockerContext['compare']> {
  return async (req, signal) => {
    const { filename, types, json, orderBySize, ...images } = req;
    let text = await comparer.text(images, { types, json, orderBySize }, signal);
    if (filename !== undefined) {
      const path = filename.replace(/^\/+/, '');
      const d = await comparer.fileDiff(path);
      const description =
        !d.a || !d.b
          ? `${filename} exists in only one of the images`
          : d.diff?.kind === 'text'
            ? d.a.digest === d.b.digest
              ? 'Both files are the same'
              : ''
            : `The files differ (${d.diff?.kind ?? 'unknown'}): ${d.a.digest ?? d.a.type} and ${d.b.digest ?? d.b.type}`;
      const body = d.diff?.kind === 'text' && d.a?.digest !== d.b?.digest ? d.diff.patch : '';
      text += `\n-----Diff of ${path}-----\n${description}\n\n${body}\n`;
    }
    return text;
  };
}
