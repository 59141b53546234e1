import { describe, expect, it } from 'vitest';
import { parseCommandLine, splitCommandLine, flagBool, flagList, flagString, type ParsedCommand } from './argv.ts';

const cmd = (line: string): ParsedCommand => {
  const r = parseCommandLine(line);
  if (r.kind !== 'command') throw new Error(`expected a command, got ${JSON.stringify(r)}`);
  return r;
};
const err = (line: string): { stderr: string; status: number } => {
  const r = parseCommandLine(line);
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.kind}`);
  return { stderr: r.stderr, status: r.status };
};

describe('splitCommandLine', () => {
  it('splits like a POSIX shell', () => {
    expect(splitCommandLine(`docker images --format '{{.ID}}\\t{{.Size}}'`)).toEqual([
      'docker',
      'images',
      '--format',
      '{{.ID}}\\t{{.Size}}',
    ]);
    expect(splitCommandLine(`a "b c" 'd e' f\\ g "h\\"i" "j\\k" ''`)).toEqual([
      'a',
      'b c',
      'd e',
      'f g',
      'h"i',
      'j\\k',
      '',
    ]);
    expect(splitCommandLine('x"y"\'z\' # comment')).toEqual(['xyz']);
    expect(splitCommandLine('   ')).toEqual([]);
  });
  it('refuses unterminated quotes and shell operators', () => {
    expect(() => splitCommandLine("docker 'x")).toThrow("unexpected EOF while looking for matching `''");
    expect(() => splitCommandLine('docker images | grep x')).toThrow(/no shell/);
    expect(splitCommandLine("docker images --filter 'reference=a|b'")).toEqual([
      'docker',
      'images',
      '--filter',
      'reference=a|b',
    ]);
  });
});

describe('commands and aliases', () => {
  it.each([
    ['docker images', 'images', 'docker images'],
    ['docker image ls', 'images', 'docker image ls'],
    ['docker image list', 'images', 'docker image ls'],
    ['docker rmi x', 'rmi', 'docker rmi'],
    ['docker image rm x', 'rmi', 'docker image rm'],
    ['docker inspect x', 'inspect', 'docker inspect'],
    ['docker image inspect x', 'image-inspect', 'docker image inspect'],
    ['docker history x', 'history', 'docker history'],
    ['docker image history x', 'history', 'docker image history'],
    ['docker tag a b', 'tag', 'docker tag'],
    ['docker save -o f x', 'save', 'docker save'],
    ['docker image load -i f', 'load', 'docker image load'],
    ['docker image prune', 'image-prune', 'docker image prune'],
    ['docker system df', 'system-df', 'docker system df'],
    ['docker image pull x', 'pull', 'docker image pull'],
  ])('%s', (line, id, path) => {
    const c = cmd(line);
    expect(c.spec.id).toBe(id);
    expect(c.spec.path).toBe(path);
  });
  it("answers an unknown command with Docker's text", () => {
    expect(err('docker foo')).toEqual({
      stderr: "docker: 'foo' is not a docker command.\nSee 'docker --help'",
      status: 1,
    });
    expect(err('docker image foo').stderr).toBe(
      "docker: unknown command: docker image foo\n\nUsage:  docker image COMMAND\n\nRun 'docker image --help' for more information",
    );
    expect(err('docker run ubuntu').stderr).toMatch(/not available here/);
    expect(err('ls -l').status).toBe(127);
  });
});

describe('flags (pflag rules)', () => {
  it('parses long, =value, short, groups, repeated and bool=false', () => {
    const c = cmd('docker images -aq --filter dangling=true -f reference=ub* --format={{.ID}} ubuntu');
    expect(flagBool(c, 'all')).toBe(true);
    expect(flagBool(c, 'quiet')).toBe(true);
    expect(flagList(c, 'filter')).toEqual(['dangling=true', 'reference=ub*']);
    expect(flagString(c, 'format')).toBe('{{.ID}}');
    expect(c.args).toEqual(['ubuntu']);
    expect(flagBool(cmd('docker history -H=false x'), 'human')).toBe(false);
    expect(flagBool(cmd('docker history x'), 'human')).toBe(true);
    expect(flagBool(cmd('docker history --human=false x'), 'human')).toBe(false);
    expect(flagString(cmd('docker inspect -f{{.Id}} x'), 'format')).toBe('{{.Id}}');
    expect(cmd('docker rmi -- -x').args).toEqual(['-x']);
  });
  it("unknown flags: pflag text, then See '… --help'. (status 125)", () => {
    expect(err('docker images --x')).toEqual({ stderr: "unknown flag: --x\nSee 'docker images --help'.", status: 125 });
    expect(err('docker images -x')).toEqual({
      stderr: "unknown shorthand flag: 'x' in -x\nSee 'docker images --help'.",
      status: 125,
    });
    expect(err('docker image ls -ax').stderr).toBe("unknown shorthand flag: 'x' in -ax\nSee 'docker image ls --help'.");
    expect(err('docker images --format').stderr).toBe("flag needs an argument: --format\nSee 'docker images --help'.");
    expect(err('docker history -H=maybe x').stderr).toBe(
      'invalid argument "maybe" for "-H, --human" flag: strconv.ParseBool: parsing "maybe": invalid syntax\nSee \'docker history --help\'.',
    );
    expect(err('docker images --filter dangling').stderr).toBe(
      'invalid argument "dangling" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee \'docker images --help\'.',
    );
  });
  it('argument counts: cli/required.go texts', () => {
    expect(err('docker pull').stderr).toBe(
      "docker: 'docker pull' requires 1 argument\n\nUsage:  docker pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nRun 'docker pull --help' for more information",
    );
    expect(err('docker rmi').stderr).toBe(
      "docker: 'docker rmi' requires at least 1 argument\n\nUsage:  docker rmi [OPTIONS] IMAGE [IMAGE...]\n\nSee 'docker rmi --help' for more information",
    );
    expect(err('docker image prune x').stderr).toBe(
      "docker: 'docker image prune' accepts no arguments\n\nUsage:  docker image prune [OPTIONS]\n\nRun 'docker image prune --help' for more information",
    );
    expect(err('docker tag a').stderr).toMatch(/^docker: 'docker tag' requires 2 arguments\n/);
  });
  it('help', () => {
    const r = parseCommandLine('docker images --help');
    expect(r.kind).toBe('help');
    if (r.kind === 'help') expect(r.text).toContain('Usage:  docker images [OPTIONS] [REPOSITORY[:TAG]]');
    expect(parseCommandLine('docker').kind).toBe('help');
    expect(parseCommandLine('docker help').kind).toBe('help');
  });
});
