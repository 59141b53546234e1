/**
 * The command bar's edges, with expected text from docker/cli v29's source and tests:
 * cli/command/image/list.go (printAmbiguousHint), cli/cobra.go (usage template), pflag's
 * FlagUsagesWrapped (checked against e2e/stack/testdata/stack-deploy-help.golden), and moby's
 * daemon/images/image_list.go (a bad `reference` pattern is path.Match's ErrBadPattern).
 */
import { describe, expect, it } from 'vitest';
import type { Digest } from '../digest.ts';
import type { ImageRecord } from '../model.ts';
import { flagUsagesWrapped } from '../docker/flag-usage.ts';
import { FakeDockerContext } from './fake-context.ts';
import { runCommand } from './run.ts';

const d = (c: string): Digest => `sha256:${c.repeat(64 / c.length)}`;
const img: ImageRecord = {
  id: d('a'),
  manifestDigest: d('a0'),
  manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
  repoDigests: [],
  platform: { os: 'linux', architecture: 'amd64' },
  layers: [],
  created: '2024-01-02T15:04:05Z',
  size: 1000,
  downloadSize: 500,
  configMediaType: 'application/vnd.oci.image.config.v1+json',
  storedAt: Date.parse('2024-03-10T10:00:00Z'),
};
const ctx = (): FakeDockerContext =>
  new FakeDockerContext(
    {
      images: [img],
      tags: [{ name: 'docker.io/library/alpine:3.20', imageId: img.id }],
      configs: new Map([[img.id, { os: 'linux', architecture: 'amd64', config: {} }]]),
    },
    Date.parse('2024-03-15T00:00:00Z'),
  );

async function run(line: string, c = ctx()): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const code = await runCommand(line, c, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { out, err, code };
}

describe('help', () => {
  it('bare `help` is `docker help`; `help images` is `docker images --help`', async () => {
    const a = await run('help');
    const b = await run('docker help');
    expect([a.code, a.out]).toEqual([0, b.out]);
    expect((await run('help images')).out).toBe((await run('docker images --help')).out);
  });
  it("docker images --help follows cli/cobra.go usageTemplate with list.go's Use, Short and aliases", async () => {
    const r = await run('docker images --help');
    expect(r.code).toBe(0);
    expect(
      r.out.startsWith(
        'Usage:  docker images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\nAliases:\n  docker image ls, docker image list, docker images\n\nOptions:\n  -a, --all             Show all images (default hides intermediate images)\n',
      ),
    ).toBe(true);
    expect(r.out).toContain(
      '      --digests         Show digests\n  -f, --filter filter   Filter output based on conditions provided\n',
    );
    expect(r.out.endsWith('      --tree            List multi-platform images as a tree (EXPERIMENTAL)\n')).toBe(true);
    // pull's deprecated --disable-content-trust is hidden, as pflag hides deprecated flags.
    expect((await run('docker pull --help')).out).not.toContain('content-trust');
  });
  it('docker image --help: the template for a command with subcommands, sorted by name', async () => {
    const r = await run('docker image --help');
    expect(r.out.startsWith('Usage:  docker image COMMAND\n\nManage images\n\nCommands:\n  history     ')).toBe(true);
    expect(r.out.endsWith("\n\nRun 'docker image COMMAND --help' for more information on a command.\n")).toBe(true);
    const names = r.out
      .split('\n')
      .filter((l) => /^ {2}[a-z]/.test(l))
      .map((l) => l.trim().split(' ')[0]!);
    expect(names).toEqual([...names].sort());
  });
  it("pflag's wrapping matches docker/cli's stack-deploy-help.golden", () => {
    const golden =
      '  -c, --compose-file strings   Path to a Compose file, or "-" to read\n' +
      '                               from stdin\n' +
      '  -d, --detach                 Exit immediately instead of waiting for\n' +
      '                               the stack services to converge (default true)\n' +
      '      --prune                  Prune services that are no longer referenced\n' +
      '  -q, --quiet                  Suppress progress output\n' +
      '      --resolve-image string   Query the registry to resolve image digest\n' +
      '                               and supported platforms ("always",\n' +
      '                               "changed", "never") (default "always")\n' +
      '      --with-registry-auth     Send registry authentication details to\n' +
      '                               Swarm agents\n';
    expect(
      flagUsagesWrapped([
        {
          name: 'compose-file',
          shorthand: 'c',
          type: 'list',
          usage: 'Path to a Compose file, or "-" to read from stdin',
        },
        { name: 'with-registry-auth', type: 'bool', usage: 'Send registry authentication details to Swarm agents' },
        { name: 'prune', type: 'bool', usage: 'Prune services that are no longer referenced' },
        {
          name: 'resolve-image',
          type: 'string',
          usage: 'Query the registry to resolve image digest and supported platforms ("always", "changed", "never")',
          defaultValue: 'always',
        },
        {
          name: 'detach',
          shorthand: 'd',
          type: 'bool',
          usage: 'Exit immediately instead of waiting for the stack services to converge',
          defaultValue: true,
        },
        { name: 'quiet', shorthand: 'q', type: 'bool', usage: 'Suppress progress output' },
      ]),
    ).toBe(golden);
  });
});

describe('unknown commands and hints', () => {
  it("docker: 'imagse' is not a docker command.", async () => {
    expect(await run('docker imagse')).toEqual({
      out: '',
      err: "docker: 'imagse' is not a docker command.\nSee 'docker --help'\n",
      code: 1,
    });
  });
  it('docker images ls: an empty list, then printAmbiguousHint', async () => {
    const r = await run('docker images ls');
    expect(r.code).toBe(0);
    expect(r.err).toBe('\nNo images found matching "ls": did you mean "docker image ls"?\n');
    // Only when called as `images`, only for subcommand names, only when nothing matched.
    expect((await run('docker image ls ls')).err).toBe('');
    expect((await run('docker images nginx')).err).toBe('');
    expect((await run('docker images -q')).err).toBe('');
  });
  it("a malformed reference pattern is the daemon's path.Match error", async () => {
    const r = await run("docker images --filter 'reference=alp[ine'");
    expect([r.code, r.err]).toEqual([1, 'Error response from daemon: syntax error in pattern\n']);
    expect((await run("docker images -q --filter 'reference=alp[i-n]ne:*'")).out).toBe('aaaaaaaaaaaa\n');
  });
});

describe('docker history', () => {
  it('past the row cap, the newest rows are printed and the rest announced on stderr', async () => {
    const c = ctx();
    c.state.configs.set(img.id, {
      history: Array.from({ length: 10_005 }, (_, i) => ({ created_by: `step ${i}`, empty_layer: true })),
    });
    const r = await run("docker history --format '{{.CreatedBy}}' alpine:3.20", c);
    const lines = r.out.split('\n');
    expect(lines.length - 1).toBe(10_000);
    expect(lines[0]).toBe('step 10004');
    expect(r.err).toBe(
      "layerscope: this image's history has 10005 entries; the newest 10000 are shown (older entries omitted)\n",
    );
  });
});

describe('image inspect --format on the typed value (expected forms from Go: see template-docker.test.ts)', () => {
  it('printf, missing map keys, structs, nil slices, maps and pointers', async () => {
    const typed = await run(
      `docker image inspect -f '{{printf "%-10s|" .Os}}{{index .Config.Labels "missing"}}|{{.RootFS}}|{{.Config.Env}}|{{.Config.Labels}}|{{.Config.Healthcheck}}|{{.ID}}' alpine:3.20`,
    );
    expect([typed.code, typed.err]).toEqual([0, '']);
    expect(typed.out).toBe(`linux     ||{layers []}|[]|map[]|<nil>|${img.id}\n`);
  });
  it('a template the typed value cannot run goes to the raw JSON map with missingkey=error (inspector.go)', async () => {
    // .Id is no field of the typed value (its field is ID): the raw map has it. The error text
    // and position are Go 1.19's for the same template on a map without Labels (run here).
    expect((await run("docker image inspect -f '{{.Id}} {{.RootFS}}' alpine:3.20")).out).toBe(
      `${img.id} map[Layers:[] Type:layers]\n`,
    );
    const r = await run(`docker image inspect -f '{{.Id}} {{index .Config.Labels "x"}}' alpine:3.20`);
    expect([r.code, r.err]).toEqual([
      1,
      'template parsing error: template: :1:23: executing "" at <.Config.Labels>: map has no entry for key "Labels"\n',
    ]);
  });
});
