/**
 * pflag's parsing of one command's flags and cobra's argument-count rules (cli/required.go).
 */
import type { CommandSpec, FlagSpec } from './command-specs.ts';

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
  /** The name typed for the command (cobra's CalledAs): `images`, `ls`, `list`… */
  calledAs?: string;
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

export class FlagError extends Error {}

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

export function usageLine(spec: CommandSpec): string {
  return `${spec.path} ${spec.use}`;
}

/** cli/required.go, message for message. */
export function checkArgs(spec: CommandSpec, args: string[]): string | null {
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
