/**
 * `--help` texts: the root usage, management commands' usage, and each command's usage.
 */
import { IMAGE_SUB, SYSTEM_SUB, type CommandSpec } from './command-specs.ts';
import { usageLine } from './flags.ts';

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

export function managementHelp(name: 'image' | 'system'): string {
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
