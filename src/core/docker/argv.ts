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
import { codedError } from '../errors.ts';

// ---------------------------------------------------------------------------------------------
// Word splitting

export class ShellSyntaxError extends codedError('SHELL_SYNTAX', 'ShellSyntaxError') {
  override name = 'ShellSyntaxError';
}

const MAX_LINE = 64 * 1024;
const MAX_WORDS = 4096;

/**
 * Split a line into words as a POSIX shell does for the common cases: single quotes keep
 * everything literal; double quotes keep everything but `\"`, `\\`, `\$`, `` \` `` escapes;
 * an unquoted backslash escapes the next character; `#` at the start of a word begins a
 * comment. No expansion happens (`$HOME` stays as typed); pipes, redirections and command
 * separators are refused because there is no shell behind the command bar.
 */
export function splitCommandLine(line: string): string[] {
  if (line.length > MAX_LINE) throw new ShellSyntaxError(`command line longer than ${MAX_LINE} characters`);
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const push = (): void => {
    if (inWord) {
      if (words.length >= MAX_WORDS) throw new ShellSyntaxError(`more than ${MAX_WORDS} arguments`);
      words.push(cur);
    }
    cur = '';
    inWord = false;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      push();
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      let closed = false;
      while (i < line.length) {
        const d = line[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) {
          if (line[i + 1] !== '\n') cur += line[i + 1];
          i += 2;
          continue;
        }
        cur += d;
        i++;
      }
      if (!closed) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
    } else if (c === '\\') {
      if (i + 1 < line.length) {
        if (line[i + 1] !== '\n') cur += line[i + 1];
        inWord = true;
        i += 2;
      } else {
        i++;
      }
    } else if (c === '#' && !inWord) {
      break;
    } else if ('|&;<>()`'.includes(c)) {
      throw new ShellSyntaxError(
        `'${c}' is shell syntax, and the command bar has no shell: pipes, redirections and command lists are not supported (quote it to pass it to docker)`,
      );
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  push();
  return words;
}

// ---------------------------------------------------------------------------------------------
// Commands and flags

export type FlagType = 'bool' | 'string' | 'list';

export interface FlagSpec {
  name: string;
  shorthand?: string;
  type: FlagType;
  usage: string;
  /** Default of a bool flag (history's `--human` defaults to true). */
  defaultValue?: boolean | string;
  /** Shown in help as the value's name (`string`, `filter`). */
  valueName?: string;
}

export type ArgsRule =
  { kind: 'none' } | { kind: 'exact'; n: number } | { kind: 'min'; n: number } | { kind: 'max'; n: number };

export interface CommandSpec {
  /** Canonical id for the implementation: `images`, `rmi`, `image inspect` → `inspect-image`… */
  id: CommandId;
  /** cobra CommandPath: `docker image ls` (aliases resolve to their command's path). */
  path: string;
  /** The part of cobra's `Use` after the name: `[OPTIONS] [REPOSITORY[:TAG]]`. */
  use: string;
  short: string;
  args: ArgsRule;
  flags: FlagSpec[];
}

export type CommandId =
  | 'pull'
  | 'images'
  | 'inspect'
  | 'image-inspect'
  | 'history'
  | 'tag'
  | 'rmi'
  | 'image-prune'
  | 'system-df'
  | 'save'
  | 'load'
  | 'version'
  | 'help';

const FORMAT_HELP =
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.";

const F = {
  platform: {
    name: 'platform',
    type: 'string',
    usage: 'Set platform if server is multi-platform capable',
    valueName: 'string',
  },
  quiet: (usage: string): FlagSpec => ({ name: 'quiet', shorthand: 'q', type: 'bool', usage }),
  format: (shorthand?: string): FlagSpec => ({
    name: 'format',
    ...(shorthand ? { shorthand } : {}),
    type: 'string',
    usage: FORMAT_HELP,
    valueName: 'string',
  }),
  noTrunc: { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
} satisfies Record<string, FlagSpec | ((...a: never[]) => FlagSpec)>;

const PULL_FLAGS: FlagSpec[] = [
  { name: 'all-tags', shorthand: 'a', type: 'bool', usage: 'Download all tagged images in the repository' },
  { name: 'disable-content-trust', type: 'bool', usage: 'Skip image verification', defaultValue: true },
  F.platform,
  F.quiet('Suppress verbose output'),
];
const IMAGES_FLAGS: FlagSpec[] = [
  {
    name: 'all',
    shorthand: 'a',
    type: 'bool',
    usage: 'Show all images (default hides intermediate and dangling images)',
  },
  { name: 'digests', type: 'bool', usage: 'Show digests' },
  {
    name: 'filter',
    shorthand: 'f',
    type: 'list',
    usage: 'Filter output based on conditions provided',
    valueName: 'filter',
  },
  F.format(),
  F.noTrunc,
  F.quiet('Only show image IDs'),
  { name: 'tree', type: 'bool', usage: 'List multi-platform images as a tree (EXPERIMENTAL)' },
];
const INSPECT_FLAGS: FlagSpec[] = [
  F.format('f'),
  { name: 'size', shorthand: 's', type: 'bool', usage: 'Display total file sizes if the type is container' },
  { name: 'type', type: 'string', usage: 'Only inspect objects of the given type', valueName: 'string' },
];
const IMAGE_INSPECT_FLAGS: FlagSpec[] = [F.format('f'), F.platform];
const HISTORY_FLAGS: FlagSpec[] = [
  F.format(),
  {
    name: 'human',
    shorthand: 'H',
    type: 'bool',
    usage: 'Print sizes and dates in human readable format',
    defaultValue: true,
  },
  F.noTrunc,
  F.platform,
  F.quiet('Only show image IDs'),
];
const RMI_FLAGS: FlagSpec[] = [
  { name: 'force', shorthand: 'f', type: 'bool', usage: 'Force removal of the image' },
  { name: 'no-prune', type: 'bool', usage: 'Do not delete untagged parents' },
  { name: 'platform', type: 'list', usage: 'Remove only the given platform variant', valueName: 'strings' },
];
const PRUNE_FLAGS: FlagSpec[] = [
  { name: 'all', shorthand: 'a', type: 'bool', usage: 'Remove all unused images, not just dangling ones' },
  { name: 'filter', type: 'list', usage: 'Provide filter values (e.g. "until=<timestamp>")', valueName: 'filter' },
  { name: 'force', shorthand: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
];
const DF_FLAGS: FlagSpec[] = [
  F.format(),
  { name: 'verbose', shorthand: 'v', type: 'bool', usage: 'Show detailed information on space usage' },
];
const SAVE_FLAGS: FlagSpec[] = [
  { name: 'output', shorthand: 'o', type: 'string', usage: 'Write to a file, instead of STDOUT', valueName: 'string' },
  { name: 'platform', type: 'list', usage: 'Save only the given platform(s)', valueName: 'strings' },
];
const LOAD_FLAGS: FlagSpec[] = [
  {
    name: 'input',
    shorthand: 'i',
    type: 'string',
    usage: 'Read from tar archive file, instead of STDIN',
    valueName: 'string',
  },
  { name: 'platform', type: 'list', usage: 'Load only the given platform(s)', valueName: 'strings' },
  F.quiet('Suppress the load output'),
];
const VERSION_FLAGS: FlagSpec[] = [F.format('f')];

const spec = (
  id: CommandId,
  path: string,
  use: string,
  short: string,
  args: ArgsRule,
  flags: FlagSpec[],
): CommandSpec => ({ id, path, use, short, args, flags });

/** Top-level `docker X` commands Layerscope implements. */
const TOP: Record<string, CommandSpec> = {
  pull: spec(
    'pull',
    'docker pull',
    '[OPTIONS] NAME[:TAG|@DIGEST]',
    'Download an image from a registry',
    { kind: 'exact', n: 1 },
    PULL_FLAGS,
  ),
  images: spec(
    'images',
    'docker images',
    '[OPTIONS] [REPOSITORY[:TAG]]',
    'List images',
    { kind: 'max', n: 1 },
    IMAGES_FLAGS,
  ),
  inspect: spec(
    'inspect',
    'docker inspect',
    '[OPTIONS] NAME|ID [NAME|ID...]',
    'Return low-level information on Docker objects',
    { kind: 'min', n: 1 },
    INSPECT_FLAGS,
  ),
  history: spec(
    'history',
    'docker history',
    '[OPTIONS] IMAGE',
    'Show the history of an image',
    { kind: 'exact', n: 1 },
    HISTORY_FLAGS,
  ),
  tag: spec(
    'tag',
    'docker tag',
    'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    { kind: 'exact', n: 2 },
    [],
  ),
  rmi: spec(
    'rmi',
    'docker rmi',
    '[OPTIONS] IMAGE [IMAGE...]',
    'Remove one or more images',
    { kind: 'min', n: 1 },
    RMI_FLAGS,
  ),
  save: spec(
    'save',
    'docker save',
    '[OPTIONS] IMAGE [IMAGE...]',
    'Save one or more images to a tar archive (streamed to STDOUT by default)',
    { kind: 'min', n: 1 },
    SAVE_FLAGS,
  ),
  load: spec(
    'load',
    'docker load',
    '[OPTIONS]',
    'Load an image from a tar archive or STDIN',
    { kind: 'none' },
    LOAD_FLAGS,
  ),
  version: spec(
    'version',
    'docker version',
    '[OPTIONS]',
    'Show the Docker version information',
    { kind: 'none' },
    VERSION_FLAGS,
  ),
};

/** `docker image X` subcommands (with cobra aliases). */
const IMAGE_SUB: Record<string, CommandSpec> = {
  pull: spec(
    'pull',
    'docker image pull',
    '[OPTIONS] NAME[:TAG|@DIGEST]',
    'Download an image from a registry',
    { kind: 'exact', n: 1 },
    PULL_FLAGS,
  ),
  ls: spec(
    'images',
    'docker image ls',
    '[OPTIONS] [REPOSITORY[:TAG]]',
    'List images',
    { kind: 'max', n: 1 },
    IMAGES_FLAGS,
  ),
  inspect: spec(
    'image-inspect',
    'docker image inspect',
    '[OPTIONS] IMAGE [IMAGE...]',
    'Display detailed information on one or more images',
    { kind: 'min', n: 1 },
    IMAGE_INSPECT_FLAGS,
  ),
  history: spec(
    'history',
    'docker image history',
    '[OPTIONS] IMAGE',
    'Show the history of an image',
    { kind: 'exact', n: 1 },
    HISTORY_FLAGS,
  ),
  tag: spec(
    'tag',
    'docker image tag',
    'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    { kind: 'exact', n: 2 },
    [],
  ),
  rm: spec(
    'rmi',
    'docker image rm',
    '[OPTIONS] IMAGE [IMAGE...]',
    'Remove one or more images',
    { kind: 'min', n: 1 },
    RMI_FLAGS,
  ),
  prune: spec('image-prune', 'docker image prune', '[OPTIONS]', 'Remove unused images', { kind: 'none' }, PRUNE_FLAGS),
  save: spec(
    'save',
    'docker image save',
    '[OPTIONS] IMAGE [IMAGE...]',
    'Save one or more images to a tar archive (streamed to STDOUT by default)',
    { kind: 'min', n: 1 },
    SAVE_FLAGS,
  ),
  load: spec(
    'load',
    'docker image load',
    '[OPTIONS]',
    'Load an image from a tar archive or STDIN',
    { kind: 'none' },
    LOAD_FLAGS,
  ),
};
const IMAGE_ALIASES: Record<string, string> = { list: 'ls', remove: 'rm', rmi: 'rm' };

const SYSTEM_SUB: Record<string, CommandSpec> = {
  df: spec('system-df', 'docker system df', '[OPTIONS]', 'Show docker disk usage', { kind: 'none' }, DF_FLAGS),
};

/** Docker commands that exist but need a container engine or a registry push: not here. */
const NOT_IN_LAYERSCOPE = new Set([
  'run',
  'exec',
  'ps',
  'build',
  'builder',
  'buildx',
  'push',
  'login',
  'logout',
  'search',
  'create',
  'start',
  'stop',
  'restart',
  'kill',
  'rm',
  'logs',
  'attach',
  'commit',
  'cp',
  'diff',
  'events',
  'export',
  'import',
  'info',
  'pause',
  'unpause',
  'port',
  'rename',
  'stats',
  'top',
  'update',
  'wait',
  'container',
  'network',
  'volume',
  'compose',
  'context',
  'manifest',
  'plugin',
  'swarm',
  'node',
  'service',
  'stack',
  'secret',
  'config',
  'trust',
  'checkpoint',
  'scout',
  'init',
  'debug',
  'sbom',
  'model',
  'ai',
  'mcp',
  'offload',
  'desktop',
  'extension',
]);

// ---------------------------------------------------------------------------------------------
// Parse results

export interface ParsedFlags {
  bools: Map<string, boolean>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
}

export interface ParsedCommand {
  kind: 'command';
  spec: CommandSpec;
  flags: ParsedFlags;
  args: string[];
}

export type ParseResult =
  | ParsedCommand
  | { kind: 'empty' }
  /** `--help`: print the command's help text. */
  | { kind: 'help'; text: string }
  /** stdout text and exit status without running anything (e.g. `docker image` alone). */
  | { kind: 'error'; stderr: string; status: number };

export function flagBool(p: ParsedCommand, name: string): boolean {
  const v = p.flags.bools.get(name);
  if (v !== undefined) return v;
  const d = p.spec.flags.find((f) => f.name === name)?.defaultValue;
  return d === true;
}
export function flagString(p: ParsedCommand, name: string): string | undefined {
  return p.flags.strings.get(name);
}
export function flagList(p: ParsedCommand, name: string): string[] {
  return p.flags.lists.get(name) ?? [];
}

class FlagError extends Error {}

/** strconv.ParseBool. */
function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

function flagTitle(f: FlagSpec): string {
  return f.shorthand ? `-${f.shorthand}, --${f.name}` : `--${f.name}`;
}

function setFlag(flags: ParsedFlags, f: FlagSpec, value: string | undefined): void {
  if (f.type === 'bool') {
    const b = value === undefined ? true : parseBool(value);
    if (b === undefined) {
      throw new FlagError(
        `invalid argument "${value}" for "${flagTitle(f)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
      );
    }
    flags.bools.set(f.name, b);
  } else if (f.type === 'string') {
    flags.strings.set(f.name, value ?? '');
  } else {
    const v = value ?? '';
    if (f.name === 'filter' && !v.includes('=')) {
      throw new FlagError(
        `invalid argument "${v}" for "${flagTitle(f)}" flag: bad format of filter (expected name=value)`,
      );
    }
    const list = flags.lists.get(f.name) ?? [];
    list.push(v);
    flags.lists.set(f.name, list);
  }
}

/** pflag's parsing of one command's arguments (interspersed flags allowed). */
export function parseFlags(
  spec: CommandSpec,
  argv: readonly string[],
): { flags: ParsedFlags; args: string[]; help: boolean } {
  const flags: ParsedFlags = { bools: new Map(), strings: new Map(), lists: new Map() };
  const args: string[] = [];
  let help = false;
  const byName = new Map(spec.flags.map((f) => [f.name, f]));
  const byShort = new Map(spec.flags.filter((f) => f.shorthand).map((f) => [f.shorthand!, f]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (name === 'help') {
        help = true;
        continue;
      }
      const f = byName.get(name);
      if (!f) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) setFlag(flags, f, a.slice(eq + 1));
      else if (f.type === 'bool') setFlag(flags, f, undefined);
      else if (i + 1 < argv.length) setFlag(flags, f, argv[++i]);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const shorthands = a.slice(1);
      for (let j = 0; j < shorthands.length; j++) {
        const c = shorthands[j]!;
        if (c === 'h') {
          help = true;
          continue;
        }
        const f = byShort.get(c);
        if (!f) throw new FlagError(`unknown shorthand flag: '${c}' in -${shorthands}`);
        if (shorthands[j + 1] === '=') {
          setFlag(flags, f, shorthands.slice(j + 2));
          break;
        }
        if (f.type === 'bool') {
          setFlag(flags, f, undefined);
          continue;
        }
        if (j + 1 < shorthands.length) {
          setFlag(flags, f, shorthands.slice(j + 1));
        } else if (i + 1 < argv.length) {
          setFlag(flags, f, argv[++i]);
        } else {
          throw new FlagError(`flag needs an argument: '${c}' in -${shorthands}`);
        }
        break;
      }
      continue;
    }
    args.push(a);
  }
  return { flags, args, help };
}

function usageLine(spec: CommandSpec): string {
  return `${spec.path} ${spec.use}`;
}

/** cli/required.go, message for message. */
function checkArgs(spec: CommandSpec, args: string[]): string | null {
  const r = spec.args;
  const usage = usageLine(spec);
  const plural = (n: number): string => (n === 1 ? 'argument' : 'arguments');
  switch (r.kind) {
    case 'none':
      return args.length === 0
        ? null
        : `docker: '${spec.path}' accepts no arguments\n\nUsage:  ${usage}\n\nRun '${spec.path} --help' for more information`;
    case 'exact':
      return args.length === r.n
        ? null
        : `docker: '${spec.path}' requires ${r.n} ${plural(r.n)}\n\nUsage:  ${usage}\n\nRun '${spec.path} --help' for more information`;
    case 'min':
      return args.length >= r.n
        ? null
        : `docker: '${spec.path}' requires at least ${r.n} ${plural(r.n)}\n\nUsage:  ${usage}\n\nSee '${spec.path} --help' for more information`;
    case 'max':
      return args.length <= r.n
        ? null
        : `docker: '${spec.path}' requires at most ${r.n} ${plural(r.n)}\n\nUsage:  ${usage}\n\nRun '${spec.path} --help' for more information`;
  }
}

/** A short `--help` text: usage, description, options (Docker's layout, fewer words). */
export function helpText(spec: CommandSpec): string {
  const lines = [`\nUsage:  ${usageLine(spec)}`, '', spec.short];
  if (spec.flags.length > 0) {
    lines.push('', 'Options:');
    const left = spec.flags.map((f) => {
      const head = f.shorthand ? `  -${f.shorthand}, --${f.name}` : `      --${f.name}`;
      return f.type === 'bool' ? head : `${head} ${f.valueName ?? 'string'}`;
    });
    const w = Math.max(...left.map((l) => l.length)) + 3;
    spec.flags.forEach((f, i) => {
      const first = f.usage.split('\n')[0]!;
      const def = f.type === 'bool' && f.defaultValue === true ? ' (default true)' : '';
      lines.push(left[i]!.padEnd(w) + first + def);
    });
  }
  return lines.join('\n') + '\n';
}

export const ROOT_HELP = `
Usage:  docker [OPTIONS] COMMAND

Layerscope's command bar: the image commands of the Docker CLI, run against the images stored
in this browser. There is no Docker daemon and no container runtime here.

Common Commands:
  pull        Download an image from a registry
  images      List images

Image Commands:
  history     Show the history of an image
  inspect     Return low-level information on Docker objects
  load        Load an image from a tar archive file
  rmi         Remove one or more images
  save        Save one or more images to a tar archive file
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE

Management Commands:
  image       Manage images (ls, inspect, history, tag, rm, prune, pull, save, load)
  system      Manage Docker (df)

Other:
  help        Show this help
  version     Show version information

Run 'docker COMMAND --help' for more information on a command.
`;

function managementHelp(name: 'image' | 'system'): string {
  const subs = name === 'image' ? IMAGE_SUB : SYSTEM_SUB;
  const lines = [
    `\nUsage:  docker ${name} COMMAND`,
    '',
    name === 'image' ? 'Manage images' : 'Manage Docker',
    '',
    'Commands:',
  ];
  for (const [k, s] of Object.entries(subs)) lines.push(`  ${k.padEnd(10)}  ${s.short}`);
  lines.push('', `Run 'docker ${name} COMMAND --help' for more information on a command.`);
  return lines.join('\n') + '\n';
}

/** Parse one command line. Never throws: errors come back as Docker prints them. */
export function parseCommandLine(line: string): ParseResult {
  let words: string[];
  try {
    words = splitCommandLine(line);
  } catch (e) {
    return { kind: 'error', stderr: `layerscope: ${(e as Error).message}`, status: 2 };
  }
  if (words.length === 0) return { kind: 'empty' };
  if (words[0] !== 'docker') {
    return {
      kind: 'error',
      stderr: `layerscope: ${words[0]}: command not found (the command bar runs docker image commands: try 'docker help')`,
      status: 127,
    };
  }
  let rest = words.slice(1);
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
  return { kind: 'command', spec, flags: parsed.flags, args: parsed.args };
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
