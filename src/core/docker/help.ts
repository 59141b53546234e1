/**
 * `--help` texts: the root usage, management commands' usage, and each command's usage.
 */
import { IMAGE_SUB, SYSTEM_SUB, type CommandSpec } from './command-specs.ts';
import { flagUsagesWrapped } from './flag-usage.ts';
import { usageLine } from './flags.ts';

/** cobra's `aliases` annotations in docker/cli v29 (cli/command/image/*.go). */
const ALIASES: Partial<Record<CommandSpec['id'], string>> = {
  pull: 'docker image pull, docker pull',
  images: 'docker image ls, docker image list, docker images',
  history: 'docker image history, docker history',
  tag: 'docker image tag, docker tag',
  rmi: 'docker image rm, docker image remove, docker rmi',
  save: 'docker image save, docker save',
  load: 'docker image load, docker load',
};

/**
 * `docker <command> --help`: docker/cli v29's usage template (cli/cobra.go usageTemplate) for a
 * command without subcommands: the use line, the short description, the aliases, the options.
 */
export function helpText(spec: CommandSpec): string {
  let out = `Usage:  ${usageLine(spec)}\n\n${spec.short}`;
  const aliases = ALIASES[spec.id];
  if (aliases) out += `\n\nAliases:\n  ${aliases}`;
  if (spec.flags.length > 0) out += '\n\nOptions:\n' + flagUsagesWrapped(spec.flags).trimEnd();
  return out + '\n';
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

/** `docker image --help`: the usage template for a command with subcommands (sorted, as cobra lists them). */
export function managementHelp(name: 'image' | 'system'): string {
  const subs = name === 'image' ? IMAGE_SUB : SYSTEM_SUB;
  const lines = [
    `Usage:  docker ${name} COMMAND`,
    '',
    name === 'image' ? 'Manage images' : 'Manage Docker',
    '',
    'Commands:',
  ];
  // cobra: rpad(name, NamePadding = 11) and a space.
  for (const k of Object.keys(subs).sort()) lines.push(`  ${k.padEnd(11)} ${subs[k]!.short}`);
  lines.push('', `Run 'docker ${name} COMMAND --help' for more information on a command.`);
  return lines.join('\n') + '\n';
}
