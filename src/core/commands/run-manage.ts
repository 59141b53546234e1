/** `docker tag`, `docker rmi`, `docker image prune`. */
import { errorCode, type ErrorCode } from '../errors.ts';
import { parseReference, referenceString, type Reference } from '../reference.ts';
import { flagBool, flagList, type ParsedCommand } from '../docker/argv.ts';
import type { CommandOutput, DockerContext } from './context.ts';
import { DaemonError, parseFilters, parseTimestamp } from './images.ts';
import { labelsOf } from './inspect.ts';
import { planPrune, planRmi, pruneReport, PRUNE_ALL_WARNING, PRUNE_DANGLING_WARNING } from './remove.ts';
import { resolveImage, type ImageView } from './store-view.ts';
import { DAEMON, errorText, loadViews } from './run-shared.ts';

// ---------------------------------------------------------------------------------------------
// tag, rmi, prune

export async function tag(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
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

export async function rmi(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
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

export async function prune(p: ParsedCommand, ctx: DockerContext, out: CommandOutput): Promise<number> {
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
