/**
 * The Docker commands the command bar knows: their cobra paths, `Use` lines, short texts,
 * argument rules and flags, as docker/cli v29 declares them.
 */
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
  /** Left out of `--help` (pflag hides deprecated flags). */
  hidden?: boolean;
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
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";
/** docker/cli flags.InspectFormatHelp (inspect and version). */
const INSPECT_FORMAT_HELP =
  "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

const F = {
  platform: {
    name: 'platform',
    type: 'string',
    usage: 'Set platform if server is multi-platform capable',
    valueName: 'string',
  },
  quiet: (usage: string): FlagSpec => ({ name: 'quiet', shorthand: 'q', type: 'bool', usage }),
  format: (shorthand?: string, usage = FORMAT_HELP): FlagSpec => ({
    name: 'format',
    ...(shorthand ? { shorthand } : {}),
    type: 'string',
    usage,
    valueName: 'string',
  }),
  noTrunc: { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
} satisfies Record<string, FlagSpec | ((...a: never[]) => FlagSpec)>;

const PULL_FLAGS: FlagSpec[] = [
  { name: 'all-tags', shorthand: 'a', type: 'bool', usage: 'Download all tagged images in the repository' },
  {
    name: 'disable-content-trust',
    type: 'bool',
    usage: 'Skip image verification (deprecated)',
    defaultValue: true,
    hidden: true,
  },
  F.platform,
  F.quiet('Suppress verbose output'),
];
const IMAGES_FLAGS: FlagSpec[] = [
  {
    name: 'all',
    shorthand: 'a',
    type: 'bool',
    usage: 'Show all images (default hides intermediate images)',
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
  F.format('f', INSPECT_FORMAT_HELP),
  { name: 'size', shorthand: 's', type: 'bool', usage: 'Display total file sizes if the type is container' },
  { name: 'type', type: 'string', usage: 'Only inspect objects of the given type', valueName: 'string' },
];
const IMAGE_INSPECT_FLAGS: FlagSpec[] = [F.format('f', INSPECT_FORMAT_HELP), F.platform];
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
const VERSION_FLAGS: FlagSpec[] = [F.format('f', INSPECT_FORMAT_HELP)];

const spec = (
  id: CommandId,
  path: string,
  use: string,
  short: string,
  args: ArgsRule,
  flags: FlagSpec[],
): CommandSpec => ({ id, path, use, short, args, flags });

/** Top-level `docker X` commands Layerscope implements. */
export const TOP: Record<string, CommandSpec> = {
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
export const IMAGE_SUB: Record<string, CommandSpec> = {
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
export const IMAGE_ALIASES: Record<string, string> = { list: 'ls', remove: 'rm', rmi: 'rm' };

export const SYSTEM_SUB: Record<string, CommandSpec> = {
  df: spec('system-df', 'docker system df', '[OPTIONS]', 'Show docker disk usage', { kind: 'none' }, DF_FLAGS),
};

/** Docker commands that exist but need a container engine or a registry push: not here. */
export const NOT_IN_LAYERSCOPE = new Set([
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
