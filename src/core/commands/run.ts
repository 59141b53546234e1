/**
 * `runCommand`: one command-bar line, run as the Docker CLI would run it with its output piped
 * (non-TTY mode: no progress bars, no colours, an 80-column width for `--tree`), against a
 * DockerContext. Output goes to `out` as Docker writes it: results on stdout, errors on
 * stderr, and the exit status is returned (0 ok, 1 error, 125 flag error, 127 not a docker
 * command, 130 cancelled).
 */
import { flagBool, flagString, parseCommandLine, ROOT_HELP, type ParsedCommand } from '../docker/argv.ts';
import { FormatError } from '../docker/formatter.ts';
import type { CommandOutput, DockerContext } from './context.ts';
import { renderDf } from './df.ts';
import { DaemonError } from './images.ts';
import { DAEMON, errorText, loadViews } from './run-shared.ts';
import { pull } from './run-pull.ts';
import { images, inspect, history } from './run-images.ts';
import { tag, rmi, prune } from './run-manage.ts';
import { save, load, version } from './run-archive.ts';
import { isCompareLine, runCompare } from './compare.ts';
import { runPackagesCommand } from './packages.ts';
import { runPeekCommand } from '../peek/command.ts';
import { splitCommandLine } from '../docker/shell-words.ts';

/** Run one command line. Never throws for a command's own failure; returns the exit status. */
export async function runCommand(
  line: string,
  ctx: DockerContext,
  out: CommandOutput,
  signal?: AbortSignal,
): Promise<number> {
  const words = /^\s*packages(\s|$)/.test(line) ? splitCommandLine(line) : undefined;
  if (words) {
    const { packages } = ctx;
    if (!packages) {
      out.stderr('packages: not available here\n');
      return 1;
    }
    return runPackagesCommand(words.slice(1), { ...ctx, packages: (id) => packages.call(ctx, id) }, out).catch(
      (e: unknown) => {
        out.stderr(`${errorText(e)}\n`);
        return 1;
      },
    );
  }
  const peekWords = /^\s*peek(\s|$)/.test(line) ? splitCommandLine(line) : undefined;
  if (peekWords) {
    if (!ctx.peek) {
      out.stderr('peek: not available here\n');
      return 1;
    }
    return runPeekCommand(peekWords.slice(1), ctx.peek, out).catch((e: unknown) => {
      out.stderr(`Error: ${errorText(e)}\n`);
      return 1;
    });
  }
  if (isCompareLine(line))
    return runCompare(line, ctx, out, signal).catch((e: unknown) => {
      out.stderr(`Error: ${errorText(e)}\n`);
      return 1;
    });
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
