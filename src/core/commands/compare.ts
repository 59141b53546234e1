/**
 * The command bar's comparison: `container-diff diff IMAGE1 IMAGE2 [--type=T]… [--json]
 * [--order] [--filename=PATH]`, with container-diff's flags, defaults (`--type=size` when
 * none is given) and messages, and `compare IMAGE1 IMAGE2 [...]`, the same with every
 * analyzer Layerscope has (file, history, metadata, size) unless `--type` says otherwise.
 * `--format json` is `--json`. The output itself is container-diff's (src/core/compare).
 */
import { DIFF_TYPES, type DiffType } from '../compare/index.ts';
import { splitCommandLine } from '../docker/shell-words.ts';
import type { Digest } from '../digest.ts';
import type { CommandOutput, DockerContext } from './context.ts';
import { loadViews } from './run-shared.ts';
import { resolveImage } from './store-view.ts';

/** container-diff's analyzers that read package databases or per-layer trees; not here. */
const OTHER_ANALYZERS = ['apt', 'aptlayer', 'emerge', 'layer', 'node', 'pip', 'rpm', 'rpmlayer', 'sizelayer'];

export interface CompareCommand {
  a: string;
  b: string;
  types: DiffType[];
  json: boolean;
  orderBySize: boolean;
  filename?: string;
}

/** True when the line is a comparison, not a docker command. */
export function isCompareLine(line: string): boolean {
  return /^\s*(container-diff(\s|$)|compare(\s|$))/.test(line);
}

type Parsed = { ok: true; cmd: CompareCommand } | { ok: false; stderr: string };

export function parseCompare(line: string): Parsed {
  const words = splitCommandLine(line);
  const tool = words.shift();
  if (tool === 'container-diff') {
    const sub = words.shift();
    if (sub !== 'diff') {
      return {
        ok: false,
        stderr:
          sub === undefined
            ? 'Error: container-diff needs a command here: container-diff diff [image1] [image2]'
            : `Error: unknown command "${sub}" for "container-diff" (Layerscope runs only "container-diff diff")`,
      };
    }
  }
  const args: string[] = [];
  const types: string[] = [];
  let json = false;
  let orderBySize = false;
  let filename: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const [name, inline] =
      w.startsWith('--') && w.includes('=')
        ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]
        : [w, undefined];
    const value = (): string | undefined => inline ?? words[++i];
    if (name === '--type' || name === '-t') {
      const v = value();
      if (v === undefined) return { ok: false, stderr: `Error: flag needs an argument: ${name}` };
      types.push(...v.split(',').filter(Boolean));
    } else if (name === '--json' || name === '-j') json = true;
    else if (name === '--order' || name === '-o') orderBySize = true;
    else if (name === '--format') {
      const v = value();
      if (v !== 'json')
        return { ok: false, stderr: `Error: --format takes "json" here (got ${JSON.stringify(v ?? '')})` };
      json = true;
    } else if (name === '--filename' || name === '-f') {
      filename = value();
      if (filename === undefined) return { ok: false, stderr: `Error: flag needs an argument: ${name}` };
    } else if (w.startsWith('-') && w !== '-') return { ok: false, stderr: `Error: unknown flag: ${name}` };
    else args.push(w);
  }
  if (args.length !== 2) {
    return {
      ok: false,
      stderr: "Error: 'diff' requires two images as arguments: container-diff diff [image1] [image2]",
    };
  }
  for (const t of types) {
    if (OTHER_ANALYZERS.includes(t)) {
      return {
        ok: false,
        stderr: `Error: the ${t} analyzer is not available in Layerscope (it has: ${DIFF_TYPES.join(', ')})`,
      };
    }
    if (!(DIFF_TYPES as readonly string[]).includes(t))
      return { ok: false, stderr: `Error: Argument ${t} is not a valid analyzer` };
  }
  const chosen = types.length > 0 ? types : tool === 'compare' ? [...DIFF_TYPES] : ['size'];
  if (filename !== undefined && !chosen.includes('file')) {
    return { ok: false, stderr: 'Error: please include --type=file with the --filename flag' };
  }
  const cmd: CompareCommand = {
    a: args[0]!,
    b: args[1]!,
    types: [...new Set(chosen)] as DiffType[],
    json,
    orderBySize,
  };
  if (filename !== undefined) cmd.filename = filename;
  return { ok: true, cmd };
}

export async function runCompare(
  line: string,
  ctx: DockerContext,
  out: CommandOutput,
  signal?: AbortSignal,
): Promise<number> {
  const parsed = parseCompare(line);
  if (!parsed.ok) {
    out.stderr(parsed.stderr + '\n');
    return 1;
  }
  const { cmd } = parsed;
  if (!ctx.compare) {
    out.stderr('Error: comparing images is not available here\n');
    return 1;
  }
  const views = await loadViews(ctx);
  const ids: Digest[] = [];
  for (const arg of [cmd.a, cmd.b]) {
    const r = resolveImage(arg, views);
    if (!r.ok) {
      // container-diff: "error retrieving image X: …"
      out.stderr(`Error: error retrieving image ${arg}: ${r.error}\n`);
      return 1;
    }
    ids.push(r.view.image.id);
  }
  const request = {
    a: ids[0]!,
    b: ids[1]!,
    aName: cmd.a,
    bName: cmd.b,
    types: cmd.types,
    json: cmd.json,
    orderBySize: cmd.orderBySize,
    ...(cmd.filename !== undefined ? { filename: cmd.filename } : {}),
  };
  out.stdout(await ctx.compare(request, signal));
  return 0;
}
