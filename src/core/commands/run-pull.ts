/** `docker pull`: progress lines and registry errors as Docker prints them. */
import type { PullEvent } from '../pull-events.ts';
import {
  familiarString,
  InvalidReferenceError,
  parseReference,
  referenceString,
  type Reference,
} from '../reference.ts';
import { flagBool, flagString, type ParsedCommand } from '../docker/argv.ts';
import type { CommandOutput, DockerContext, PullFailure } from './context.ts';
import { platformsOrRefuse } from './platform-flags.ts';
import { DAEMON, errorText, isNameOnly } from './run-shared.ts';

// ---------------------------------------------------------------------------------------------
// pull

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

export async function pull(
  p: ParsedCommand,
  ctx: DockerContext,
  out: CommandOutput,
  signal?: AbortSignal,
): Promise<number> {
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
