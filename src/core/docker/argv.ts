/**
 * From a command line to a Docker command: shell-like word splitting, then command lookup and
 * flag parsing with the rules of spf13/pflag and cobra as docker/cli configures them
 * (interspersed flags, `--` ends flags, `-abc` groups, `-H=false`, `--flag=value`, repeated
 * list flags), and Docker's error texts:
 *
 * - unknown flag: `unknown flag: --x` / `unknown shorthand flag: 'x' in -x`, then
 *   `See 'docker images --help'.` (cli/cobra.go FlagErrorFunc; exit status 125);
 * - argument counts: cli/required.go (`docker: 'docker pull' requires 1 argument`, usage, …);
 * - unknown command: `docker: 'foo' is not a docker command.` / `See 'docker --help'`.
 */
import { IMAGE_ALIASES, IMAGE_SUB, NOT_IN_LAYERSCOPE, SYSTEM_SUB, TOP, type CommandSpec } from './command-specs.ts';
import { checkArgs, FlagError, parseFlags, type ParseResult } from './flags.ts';
import { helpText, managementHelp, ROOT_HELP } from './help.ts';
import { splitCommandLine } from './shell-words.ts';

export { splitCommandLine } from './shell-words.ts';

export { flagBool, flagList, flagString } from './flags.ts';
export type { ParsedCommand, ParseResult } from './flags.ts';
export { ROOT_HELP } from './help.ts';

/** Parse one command line. Never throws: errors come back as Docker prints them. */
export function parseCommandLine(line: string): ParseResult {
  let words: string[];
  try {
    words = splitCommandLine(line);
  } catch (e) {
    return { kind: 'error', stderr: `layerscope: ${(e as Error).message}`, status: 2 };
  }
  if (words.length === 0) return { kind: 'empty' };
  // The command bar's own `help` (the input's placeholder advertises it) is `docker help`.
  if (words[0] === 'help') words = ['docker', ...words];
  if (words[0] !== 'docker') {
    return {
      kind: 'error',
      stderr: `layerscope: ${words[0]}: command not found (the command bar runs docker image commands: try 'docker help')`,
      status: 127,
    };
  }
  const rest = words.slice(1);
  // Global options before the command.
  while (rest[0]?.startsWith('-')) {
    const g = rest[0];
    if (g === '--help' || g === '-h') return { kind: 'help', text: ROOT_HELP };
    if (g === '--version' || g === '-v') {
      return {
        kind: 'command',
        spec: TOP.version!,
        flags: { bools: new Map([['short', true]]), strings: new Map(), lists: new Map() },
        args: [],
      };
    }
    const name = g.startsWith('--') ? g.split('=')[0]! : `'${g[1]}' in ${g}`;
    const msg = g.startsWith('--') ? `unknown flag: ${name}` : `unknown shorthand flag: ${name}`;
    return { kind: 'error', stderr: `${msg}\nSee 'docker --help'.`, status: 125 };
  }
  if (rest.length === 0) return { kind: 'help', text: ROOT_HELP };
  const name = rest[0]!;
  let spec: CommandSpec | undefined;
  let argv = rest.slice(1);
  if (name === 'help') {
    if (argv.length === 0) return { kind: 'help', text: ROOT_HELP };
    return parseCommandLine(['docker', ...argv, '--help'].map(quote).join(' '));
  }
  if (name === 'image' || name === 'system') {
    const subs = name === 'image' ? IMAGE_SUB : SYSTEM_SUB;
    const sub = argv[0];
    if (sub === undefined || sub === '--help' || sub === '-h') return { kind: 'help', text: managementHelp(name) };
    const key = name === 'image' ? (IMAGE_ALIASES[sub] ?? sub) : sub;
    spec = subs[key];
    if (!spec) {
      if (name === 'system' && ['prune', 'info', 'events', 'dial-stdio'].includes(sub)) {
        return notHere(`docker system ${sub}`);
      }
      if (name === 'image' && ['build', 'import', 'push'].includes(sub)) return notHere(`docker image ${sub}`);
      return {
        kind: 'error',
        stderr: `docker: unknown command: docker ${name} ${sub}\n\nUsage:  docker ${name} COMMAND\n\nRun 'docker ${name} --help' for more information`,
        status: 1,
      };
    }
    argv = argv.slice(1);
  } else {
    spec = TOP[name];
    if (!spec) {
      if (NOT_IN_LAYERSCOPE.has(name)) return notHere(`docker ${name}`);
      return { kind: 'error', stderr: `docker: '${name}' is not a docker command.\nSee 'docker --help'`, status: 1 };
    }
  }
  let parsed;
  try {
    parsed = parseFlags(spec, argv);
  } catch (e) {
    if (e instanceof FlagError) {
      return { kind: 'error', stderr: `${e.message}\nSee '${spec.path} --help'.`, status: 125 };
    }
    throw e;
  }
  if (parsed.help) return { kind: 'help', text: helpText(spec) };
  const argError = checkArgs(spec, parsed.args);
  if (argError) return { kind: 'error', stderr: argError, status: 1 };
  const calledAs = name === 'image' || name === 'system' ? rest[1] : name;
  return { kind: 'command', spec, flags: parsed.flags, args: parsed.args, ...(calledAs ? { calledAs } : {}) };
}

function notHere(what: string): ParseResult {
  return {
    kind: 'error',
    stderr: `layerscope: '${what}' is not available here: Layerscope stores and explores images in the browser, with no Docker daemon or container runtime behind it (try 'docker help')`,
    status: 1,
  };
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
