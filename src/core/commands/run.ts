/**
 * `runCommand`: one command-bar line, run as the Docker CLI would run it with its output piped
 * (non-TTY mode: no progress bars, no colours, an 80-column width for `--tree`), against a
 * DockerContext. Output goes to `out` as Docker writes it: results on stdout, errors on
 * stderr, and the exit status is returned (0 ok, 1 error, 125 flag error, 127 not a docker
 * command, 130 cancelled).
 */
import type { Digest } from '../digest.ts';
import { errorCode, type ErrorCode } from '../errors.ts';
import type { PullEvent } from '../pull-events.ts';
import {
  familiarString,
  InvalidReferenceError,
  parseReference,
  referenceString,
  type Reference,
} from '../reference.ts';
import { flagBool, flagList, flagString, parseCommandLine, ROOT_HELP, type ParsedCommand } from '../docker/argv.ts';
import { FormatError } from '../docker/formatter.ts';
import { parseTemplate, TemplateError, type Template } from '../docker/template.ts';
import { goJson } from '../docker/format.ts';
import type { CommandOutput, DockerContext, PullFailure, SaveRequest } from './context.ts';
import { renderDf } from './df.ts';
import {
  DaemonError,
  filterImages,
  parseFilters,
  parseTimestamp,
  renderImages,
  renderTree,
  treeImages,
} from './images.ts';
import {
  historyItems,
  inspectObject,
  inspectTyped,
  labelsOf,
  renderHistory,
  renderInspectCompact,
  renderInspectJson,
} from './inspect.ts';
import { planPrune, planRmi, pruneReport, PRUNE_ALL_WARNING, PRUNE_DANGLING_WARNING } from './remove.ts';
import { loadOutputLines } from './load-output.ts';
import { platformMismatch, platformsOrRefuse } from './platform-flags.ts';
import { buildViews, resolveImage, type ImageView } from './store-view.ts';

const DAEMON = 'Error response from daemon: ';

async function loadViews(ctx: DockerContext): Promise<ImageView[]> {
  const [images, tags] = await Promise.all([ctx.listImages(), ctx.listTags()]);
  return buildViews(images, tags);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Run one command line. Never throws for a command's own failure; returns the exit status. */
export async function runCommand(
  line: string,
  ctx: DockerContext,
  out: CommandOutput,
  signal?: AbortSignal,
): Promise<number> {
  const parsed = parseCommandLine(line);
  switch (parsed.kind) {
    case 'empty':
      return 0;
    case 'help':
      out.stdout(parsed.text);
      return 0;
    case 'error':
      out.stderr(parsed.stderr + '\n');
      return parsed.status;
  }
  try {
    return await dispatch(parsed, ctx, out, signal);
  } catch (e) {
    if (signal?.aborted || (e instanceof Error && e.name === 'AbortError')) {
      out.stderr('context canceled\n');
      return 130;
    }
    if (e instanceof FormatError) out.stderr(e.message + '\n');
    else if (e instanceof DaemonError) out.stderr(DAEMON + e.message + '\n');
    else out.stderr(DAEMON + errorText(e) + '\n');
    return 1;
  }
}

async function dispatch(
  p: ParsedCommand,
  ctx: DockerContext,
  out: CommandOutput,
  signal?: AbortSignal,
): Promise<number> {
  switch (p.spec.id) {
    case 'pull':
      return pull(p, ctx, out, signal);
    case 'images':
      return images(p, ctx, out);
    case 'inspect':
    case 'image-inspect':
      return inspect(p, ctx, out);
    case 'history':
      return history(p, ctx, out);
    case 'tag':
      return tag(p, ctx, out);
    case 'rmi':
      return rmi(p, ctx, out);
    case 'image-prune':
      return prune(p, ctx, out);
    case 'system-df':
      out.stdout(
        renderDf(await loadViews(ctx), {
          verbose: flagBool(p, 'verbose'),
          format: flagString(p, 'format') ?? '',
          nowMs: ctx.now(),
        }),
      );
      return 0;
    case 'save':
      return save(p, ctx, out, signal);
    case 'load':
      return load(p, ctx, out, signal);
    case 'version':
      return version(p, ctx, out);
    case 'help':
      out.stdout(ROOT_HELP);
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// pull

/** True when the typed reference named neither tag nor digest (Docker then says so). */
function isNameOnly(arg: string): boolean {
  if (arg.includes('@')) return false;
  return !arg.slice(arg.lastIndexOf('/') + 1).includes(':');
}

/** The line Docker prints for a pull that failed at the registry. */
export function pullErrorText(e: unknown, ref: Reference): string {
  const f = (e ?? {}) as Partial<PullFailure>;
  const code = typeof f.code === 'string' ? f.code.toUpperCase() : '';
  const name = familiarString({ registry: ref.registry, repository: ref.repository });
  const shown = familiarString(ref);
  switch (code) {
    case 'MANIFEST_UNKNOWN':
      return `${DAEMON}manifest for ${shown} not found: manifest unknown: manifest unknown`;
    case 'NAME_UNKNOWN':
    case 'UNAUTHORIZED':
    case 'DENIED':
      return `${DAEMON}pull access denied for ${name}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`;
    case 'TOOMANYREQUESTS':
      return `${DAEMON}toomanyrequests: ${f.message ?? 'You have reached your pull rate limit.'}`;
    default:
      return DAEMON + (typeof f.message === 'string' ? f.message : errorText(e));
  }
}

/** A pull event as jsonmessage prints it to a non-terminal; progress messages are skipped. */
export function pullEventLine(e: PullEvent): string | null {
  switch (e.type) {
    case 'start':
      return `${e.tagOrDigest}: Pulling from ${e.repository}`;
    case 'layer':
      if (
        (e.status === 'Downloading' || e.status === 'Extracting') &&
        (e.current !== undefined || e.total !== undefined)
      )
        return null;
      return `${e.id}: ${e.status}`;
    case 'warning':
      return e.text;
    case 'digest':
      return `Digest: ${e.digest}`;
    case 'status':
      return `Status: ${e.text}`;
    case 'done':
      return null;
  }
}

async function pull(p: ParsedCommand, ctx: DockerContext, out: CommandOutput, signal?: AbortSignal): Promise<number> {
  const arg = p.args[0]!;
  if (flagBool(p, 'all-tags')) {
    out.stderr('layerscope: --all-tags is not supported: pull one tag or digest at a time\n');
    return 1;
  }
  let ref: Reference;
  try {
    ref = parseReference(arg);
  } catch (e) {
    out.stderr((e instanceof InvalidReferenceError ? e.message : errorText(e)) + '\n');
    return 1;
  }
  const quiet = flagBool(p, 'quiet');
  if (isNameOnly(arg) && !quiet) out.stdout(`Using default tag: ${ref.tag}\n`);
  const platform = flagString(p, 'platform');
  // image/pull.go: platforms.Parse on the client, its error as is.
  if (!platformsOrRefuse([platform], { slice: false, wrapped: false }, out)) return 1;
  try {
    await ctx.pull(
      ref,
      platform ? { platform } : {},
      (e) => {
        if (quiet) return;
        const line = pullEventLine(e);
        if (line !== null) out.stdout(line + '\n');
      },
      signal,
    );
  } catch (e) {
    if (signal?.aborted || (e instanceof Error && e.name === 'AbortError')) {
      out.stderr('context canceled\n');
      return 130;
    }
    out.stderr(pullErrorText(e, ref) + '\n');
    return 1;
  }
  out.stdout(referenceString(ref) + '\n');
  return 0;
}

// ---------------------------------------------------------------------------------------------
// images

async function images(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
  const filters = parseFilters(flagList(p, 'filter'));
  if (p.args[0] !== undefined) filters.set('reference', [...(filters.get('reference') ?? []), p.args[0]]);
  const views = await loadViews(ctx);
  const nowMs = ctx.now();
  const filtered = await filterImages(views, filters, {
    all: flagBool(p, 'all'),
    nowMs,
    labelsOf: async (v) => labelsOf(await ctx.getConfig(v.image.id)),
  });
  const format = flagString(p, 'format') ?? '';
  if (flagBool(p, 'tree')) {
    if (format || flagBool(p, 'quiet') || flagBool(p, 'digests')) {
      out.stderr('--tree is not supported with --format, --quiet or --digests\n');
      return 1;
    }
    out.stdout(renderTree(treeImages(filtered)));
    return 0;
  }
  out.stdout(
    renderImages(filtered, {
      quiet: flagBool(p, 'quiet'),
      digests: flagBool(p, 'digests'),
      noTrunc: flagBool(p, 'no-trunc'),
      format,
      nowMs,
    }),
  );
  return 0;
}

// ---------------------------------------------------------------------------------------------
// inspect, history

async function inspect(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
  const generic = p.spec.id === 'inspect';
  const type = flagString(p, 'type');
  if (
    generic &&
    type !== undefined &&
    !['', 'image', 'container', 'network', 'volume', 'node', 'service', 'task', 'plugin', 'secret', 'config'].includes(
      type,
    )
  ) {
    out.stderr(`"${type}" is not a valid value for --type\n`);
    return 1;
  }
  const format = flagString(p, 'format') ?? '';
  let tmpl: Template | null = null;
  if (format !== '' && format !== 'json') {
    try {
      tmpl = parseTemplate(format);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      // inspect.Inspect: a template that does not parse is status 64.
      out.stderr(`template parsing error: ${e.message}\n`);
      return 64;
    }
  }
  // image/inspect.go: platforms.Parse's error, as is.
  const platforms = platformsOrRefuse([flagString(p, 'platform')], { slice: false, wrapped: false }, out);
  if (!platforms) return 1;
  const views = await loadViews(ctx);
  const objects: Record<string, unknown>[] = [];
  const errors: string[] = [];
  let text = '';
  for (const arg of p.args) {
    if (generic && type && type !== 'image') {
      errors.push(`Error: No such ${type}: ${arg}`);
      continue;
    }
    const r = resolveImage(arg, views);
    if (!r.ok) {
      errors.push(generic ? `Error: No such object: ${arg}` : `${DAEMON}${r.error}`);
      continue;
    }
    const mismatch = platformMismatch(arg, platforms, r.view.image.platform);
    if (mismatch) {
      errors.push(DAEMON + mismatch);
      continue;
    }
    // system/inspect.go: sizes are for containers only.
    if (generic && flagBool(p, 'size')) out.stderr('WARNING: --size ignored for image\n');
    const o = inspectObject(r.view, await ctx.getConfig(r.view.image.id));
    if (!tmpl) {
      objects.push(o);
      continue;
    }
    // The typed struct first; on failure the raw JSON map with missingkey=error.
    try {
      text += tmpl.execute(inspectTyped(o)) + '\n';
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      try {
        text += tmpl.execute(JSON.parse(goJson(o)), undefined, { missingKeyError: true }) + '\n';
      } catch (e2) {
        if (!(e2 instanceof TemplateError)) throw e2;
        errors.push(`template parsing error: ${e2.message}`);
      }
    }
  }
  if (tmpl) out.stdout(text === '' ? '\n' : text);
  else out.stdout(format === 'json' ? renderInspectCompact(objects) : renderInspectJson(objects));
  if (errors.length > 0) {
    out.stderr(errors.join('\n') + '\n');
    return 1;
  }
  return 0;
}

async function history(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
  const views = await loadViews(ctx);
  const platforms = platformsOrRefuse([flagString(p, 'platform')], { slice: false, wrapped: true }, out);
  if (!platforms) return 1;
  const r = resolveImage(p.args[0]!, views);
  if (!r.ok) throw new DaemonError(r.error);
  const mismatch = platformMismatch(p.args[0]!, platforms, r.view.image.platform);
  if (mismatch) throw new DaemonError(mismatch);
  const items = historyItems(r.view, await ctx.getConfig(r.view.image.id));
  out.stdout(
    renderHistory(items, {
      human: flagBool(p, 'human'),
      noTrunc: flagBool(p, 'no-trunc'),
      quiet: flagBool(p, 'quiet'),
      format: flagString(p, 'format') ?? '',
      nowMs: ctx.now(),
    }),
  );
  return 0;
}

// ---------------------------------------------------------------------------------------------
// tag, rmi, prune

async function tag(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
  const [source, target] = p.args as [string, string];
  const invalid = (s: string, e: unknown): number => {
    out.stderr(`Error parsing reference: "${s}" is not a valid repository/tag: ${errorText(e)}\n`);
    return 1;
  };
  if (!/^(sha256:)?[a-f0-9]{64}$/.test(source)) {
    try {
      parseReference(source);
    } catch (e) {
      return invalid(source, e);
    }
  }
  let targetRef: Reference;
  try {
    targetRef = parseReference(target);
  } catch (e) {
    return invalid(target, e);
  }
  if (targetRef.digest !== undefined) {
    out.stderr('refusing to create a tag with a digest reference\n');
    return 1;
  }
  const views = await loadViews(ctx);
  const r = resolveImage(source, views);
  if (!r.ok) throw new DaemonError(r.error);
  await ctx.tag(r.view.image.id, referenceString(targetRef));
  return 0;
}

async function rmi(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
  const views = await loadViews(ctx);
  const results = planRmi(p.args, views, { force: flagBool(p, 'force') });
  const errors: { text: string; code: ErrorCode }[] = [];
  for (const r of results) {
    if (r.error) {
      errors.push({ text: r.error, code: r.errorCode ?? 'ERROR' });
      continue;
    }
    try {
      await ctx.remove(r.steps);
    } catch (e) {
      errors.push({ text: DAEMON + errorText(e), code: errorCode(e) });
      continue;
    }
    out.stdout(r.lines.map((l) => l + '\n').join(''));
  }
  if (errors.length > 0) {
    out.stderr(errors.map((e) => e.text).join('\n') + '\n');
    // image/remove.go: with -f, "not found" alone is reported but not a failure.
    const fatal = errors.some((e) => e.code !== 'NOT_FOUND');
    return flagBool(p, 'force') && !fatal ? 0 : 1;
  }
  return 0;
}

async function prune(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
  const all = flagBool(p, 'all');
  const filters = parseFilters(flagList(p, 'filter'));
  for (const k of filters.keys()) {
    if (k !== 'until' && k !== 'label' && k !== 'label!') throw new DaemonError(`invalid filter '${k}'`);
  }
  if (!flagBool(p, 'force')) {
    const warning = all ? PRUNE_ALL_WARNING : PRUNE_DANGLING_WARNING;
    out.stdout(warning + ' [y/N] ');
    // Piped, Docker echoes nothing after the prompt (prune-command-success.all.golden).
    const yes = ctx.confirm ? await ctx.confirm(warning) : false;
    if (!yes) {
      out.stdout('\n');
      out.stderr('image prune has been cancelled\n');
      return 1;
    }
  }
  const views = await loadViews(ctx);
  const nowMs = ctx.now();
  const candidates: ImageView[] = [];
  for (const v of views) {
    let ok = true;
    for (const u of filters.get('until') ?? []) {
      if (v.created * 1000 >= parseTimestamp(u, nowMs)) ok = false;
    }
    const wantLabels = [
      ...(filters.get('label') ?? []).map((l) => [l, true] as const),
      ...(filters.get('label!') ?? []).map((l) => [l, false] as const),
    ];
    if (ok && wantLabels.length > 0) {
      const labels = labelsOf(await ctx.getConfig(v.image.id));
      for (const [l, want] of wantLabels) {
        const i = l.indexOf('=');
        const has = i < 0 ? Object.prototype.hasOwnProperty.call(labels, l) : labels[l.slice(0, i)] === l.slice(i + 1);
        if (has !== want) ok = false;
      }
    }
    if (ok) candidates.push(v);
  }
  const plan = planPrune(views, candidates, { all });
  if (plan.steps.length > 0) await ctx.remove(plan.steps);
  out.stdout(pruneReport(plan));
  return 0;
}

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

async function save(p: ParsedCommand, ctx: DockerContext, out: CommandOutput, signal?: AbortSignal): Promise<number> {
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

async function load(p: ParsedCommand, ctx: DockerContext, out: CommandOutput, signal?: AbortSignal): Promise<number> {
  const platforms = platformsOrRefuse(flagList(p, 'platform'), { slice: true, wrapped: true }, out);
  if (!platforms) return 1;
  const input = flagString(p, 'input');
  const result = await ctx.load(
    {
      ...(input !== undefined ? { fileName: input } : {}),
      ...(platforms.length ? { platforms: platforms } : {}),
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

function version(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): number {
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
