/** `docker images`, `docker inspect` / `image inspect`, `docker history`. */
import { platformMismatch, platformsOrRefuse } from './platform-flags.ts';
import { flagBool, flagList, flagString, type ParsedCommand } from '../docker/argv.ts';
import { parseTemplate, TemplateError, type Template } from '../docker/template.ts';
import { goJson } from '../docker/format.ts';
import type { CommandOutput, DockerContext } from './context.ts';
import { DaemonError, filterImages, parseFilters, renderImages, renderTree, treeImages } from './images.ts';
import {
  historyItems,
  MAX_HISTORY_ROWS,
  inspectObject,
  inspectTyped,
  labelsOf,
  renderHistory,
  renderInspectCompact,
  renderInspectJson,
} from './inspect.ts';
import { resolveImage } from './store-view.ts';
import { DAEMON, loadViews } from './run-shared.ts';

// ---------------------------------------------------------------------------------------------
// images

export async function images(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
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
  const tree = shouldUseTree(p, format);
  if (typeof tree === 'string') {
    out.stderr(tree + '\n');
    return 1;
  }
  const hint = (): void => {
    // docker/cli printAmbiguousHint: `docker images ls` meant `docker image ls`.
    const m = p.args[0];
    if (filtered.length === 0 && m !== undefined && p.calledAs === 'images' && IMAGE_SUBCOMMAND_NAMES.has(m)) {
      out.stderr(`\nNo images found matching ${JSON.stringify(m)}: did you mean "docker image ${m}"?\n`);
    }
  };
  if (tree) {
    const rows = treeImages(filtered, flagBool(p, 'tree'));
    // Not a terminal: no legend, no width limit (tree.go printImageTree).
    out.stdout(renderTree(rows, 0));
    if (rows.length === 0) hint();
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
  hint();
  return 0;
}

/**
 * docker/cli v29 list.go shouldUseTree: the tree view is the default; `-q`, `--no-trunc`,
 * `--digests` and `--format` ask for the classic table, and combined with `--tree` are an error.
 */
function shouldUseTree(p: ParsedCommand, format: string): boolean | string {
  const tree = flagBool(p, 'tree');
  const classic: [boolean, string][] = [
    [flagBool(p, 'quiet'), '--quiet'],
    [flagBool(p, 'no-trunc'), '--no-trunc'],
    [flagBool(p, 'digests'), '--show-digest'],
    [format !== '', '--format'],
  ];
  for (const [set, name] of classic) {
    if (set) return tree ? `${name} is not yet supported with --tree` : false;
  }
  return true;
}

/** `docker image` subcommands and aliases (docker/cli image/list.go printAmbiguousHint). */
const IMAGE_SUBCOMMAND_NAMES = new Set([
  'build',
  'history',
  'import',
  'inspect',
  'list',
  'load',
  'ls',
  'prune',
  'pull',
  'push',
  'rm',
  'save',
  'tag',
]);

// ---------------------------------------------------------------------------------------------
// inspect, history

export async function inspect(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
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

export async function history(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
  const views = await loadViews(ctx);
  const platforms = platformsOrRefuse([flagString(p, 'platform')], { slice: false, wrapped: true }, out);
  if (!platforms) return 1;
  const r = resolveImage(p.args[0]!, views);
  if (!r.ok) throw new DaemonError(r.error);
  const mismatch = platformMismatch(p.args[0]!, platforms, r.view.image.platform);
  if (mismatch) throw new DaemonError(mismatch);
  const all = historyItems(r.view, await ctx.getConfig(r.view.image.id));
  // Newest first: a history too long to print keeps its newest entries and says so.
  const items = all.length > MAX_HISTORY_ROWS ? all.slice(0, MAX_HISTORY_ROWS) : all;
  out.stdout(
    renderHistory(items, {
      human: flagBool(p, 'human'),
      noTrunc: flagBool(p, 'no-trunc'),
      quiet: flagBool(p, 'quiet'),
      format: flagString(p, 'format') ?? '',
      nowMs: ctx.now(),
    }),
  );
  if (items.length < all.length) {
    out.stderr(
      `layerscope: this image's history has ${all.length} entries; the newest ${MAX_HISTORY_ROWS} are shown (older entries omitted)\n`,
    );
  }
  return 0;
}
