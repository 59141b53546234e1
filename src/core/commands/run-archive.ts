/** `docker save`, `docker load`, `docker version`. */
import type { Digest } from '../digest.ts';
import { parseReference, referenceString } from '../reference.ts';
import { flagList, flagString, type ParsedCommand } from '../docker/argv.ts';
import type { CommandOutput, DockerContext, SaveRequest } from './context.ts';
import { loadOutputLines } from './load-output.ts';
import { platformMismatch, platformsOrRefuse } from './platform-flags.ts';
import { resolveImage } from './store-view.ts';
import { DAEMON, isNameOnly, loadViews } from './run-shared.ts';

// ---------------------------------------------------------------------------------------------
// save, load, version

/** A download name from an image argument: `ghcr.io/o/x:1` → `ghcr.io_o_x_1.tar`. */
export function defaultArchiveName(arg: string): string {
  return (
    arg
      .replace(/^sha256:/, '')
      .replace(/[/:@]+/g, '_')
      .replace(/[^A-Za-z0-9._-]/g, '') + '.tar'
  );
}

export async function save(
  p: ParsedCommand,
  ctx: DockerContext,
  out: CommandOutput,
  signal?: AbortSignal,
): Promise<number> {
  const platforms = platformsOrRefuse(flagList(p, 'platform'), { slice: true, wrapped: true }, out);
  if (!platforms) return 1;
  const views = await loadViews(ctx);
  const byImage = new Map<Digest, Set<string>>();
  const errors: string[] = [];
  for (const arg of p.args) {
    // A repository name alone saves every tag of that repository (docker save busybox).
    if (isNameOnly(arg) && !/^(sha256:)?[a-f0-9]{6,64}$/.test(arg)) {
      let repo = '';
      try {
        const ref = parseReference(arg);
        repo = `${ref.registry}/${ref.repository}`;
      } catch {
        repo = '';
      }
      const tagged = views
        .filter((v) => !platformMismatch(arg, platforms, v.image.platform))
        .flatMap((v) => v.tags.filter((t) => t.repo === repo).map((t) => [v.image.id, t.name] as const));
      if (tagged.length > 0) {
        for (const [id, name] of tagged) byImage.set(id, (byImage.get(id) ?? new Set()).add(name));
        continue;
      }
    }
    const r = resolveImage(arg, views);
    if (!r.ok) {
      errors.push(`${DAEMON}${r.error}`);
      continue;
    }
    const mismatch = platformMismatch(arg, platforms, r.view.image.platform);
    if (mismatch) {
      errors.push(DAEMON + mismatch);
      continue;
    }
    const names = byImage.get(r.view.image.id) ?? new Set<string>();
    if (!r.byId) {
      const ref = parseReference(arg);
      if (ref.digest === undefined) names.add(referenceString(ref));
    }
    byImage.set(r.view.image.id, names);
  }
  if (errors.length > 0) {
    out.stderr(errors.join('\n') + '\n');
    return 1;
  }
  const output = flagString(p, 'output');
  if (output === '') {
    out.stderr('layerscope: -o needs a file name\n');
    return 1;
  }
  const fileName = output !== undefined ? output.split(/[\\/]/).pop() || output : defaultArchiveName(p.args[0]!);
  const request: SaveRequest = {
    images: [...byImage].map(([imageId, names]) => ({ imageId, repoTags: [...names] })),
    fileName,
    format: 'docker-archive',
  };
  await ctx.save(request, signal);
  if (output === undefined) {
    out.stderr(
      `Layerscope: there is no terminal to stream the archive to, so it was saved as the download ${fileName} (use -o to name it)\n`,
    );
  }
  return 0;
}

export async function load(
  p: ParsedCommand,
  ctx: DockerContext,
  out: CommandOutput,
  signal?: AbortSignal,
): Promise<number> {
  const platforms = platformsOrRefuse(flagList(p, 'platform'), { slice: true, wrapped: true }, out);
  if (!platforms) return 1;
  const input = flagString(p, 'input');
  const result = await ctx.load(
    {
      ...(input !== undefined ? { fileName: input } : {}),
      ...(platforms.length ? { platforms } : {}),
    },
    signal,
  );
  // `-q` changes nothing here: docker/cli asks the daemon for quiet output whenever stdout
  // is not a terminal (image/load.go), and the command bar is not one; quiet only drops
  // progress bars, never the `Loaded image` lines.
  out.stdout(
    loadOutputLines(result.images)
      .map((l) => l + '\n')
      .join(''),
  );
  return 0;
}

export function version(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): number {
  const v = ctx.version ?? 'dev';
  if (p.flags.bools.get('short')) {
    out.stdout(`Layerscope version ${v} (Docker's image commands in the browser; not Docker)\n`);
    return 0;
  }
  out.stdout(
    [
      'Client:',
      ` Layerscope:        ${v}`,
      ' About:             Docker image commands in the browser (pull, images, inspect, history,',
      '                    tag, rmi, image prune, system df, save, load); not the Docker CLI',
      ' Output:            as the Docker CLI prints when piped (non-TTY)',
      '',
      'Server:',
      ' None:              no Docker daemon; images live in this browser (IndexedDB)',
      '',
    ].join('\n'),
  );
  return 0;
}
