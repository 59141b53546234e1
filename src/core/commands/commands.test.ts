import { describe, expect, it } from 'vitest';
import type { Digest } from '../digest.ts';
import type { ImageRecord, LayerRecord } from '../model.ts';
import { FakeDockerContext } from './fake-context.ts';
import { runCommand } from './run.ts';

const d = (c: string): Digest => `sha256:${c.repeat(64 / c.length)}`;
const layer = (c: string, size: number): LayerRecord => ({
  digest: d(c),
  diffId: d(c + 'f'),
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  compressedSize: Math.round(size / 3),
  uncompressedSize: size + 1024,
  size,
});
const L1 = layer('1', 77_860_000);
const L2 = layer('2', 5_000_000);
const L3 = layer('3', 1_000);
const image = (c: string, created: string, layers: LayerRecord[], repoDigests: string[] = []): ImageRecord => ({
  id: d(c),
  manifestDigest: d(c + '0'),
  manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
  repoDigests,
  platform: { os: 'linux', architecture: 'amd64' },
  layers,
  created,
  size: layers.reduce((a, l) => a + l.size, 0),
  downloadSize: layers.reduce((a, l) => a + l.compressedSize, 0),
  configMediaType: 'application/vnd.oci.image.config.v1+json',
  storedAt: Date.parse('2024-03-10T10:00:00.5Z'),
});

const NOW = Date.parse('2024-03-15T00:00:00Z');
const UBUNTU_DIGEST = d('d1');
const OLD_DIGEST = d('d0');

function fixture(): FakeDockerContext {
  const ubuntu = image('a', '2024-01-02T15:04:05Z', [L1], [`docker.io/library/ubuntu@${UBUNTU_DIGEST}`]);
  const app = image('b', '2024-03-01T00:00:00Z', [L1, L2]);
  // Pulled by digest (`docker pull ubuntu@sha256:d0…`): the digest reference is one of its names.
  const old: ImageRecord = {
    ...image('c', '2023-12-01T00:00:00Z', [L3], [`docker.io/library/ubuntu@${OLD_DIGEST}`]),
    refManifests: {
      [`docker.io/library/ubuntu@${OLD_DIGEST}`]: {
        manifestDigest: OLD_DIGEST,
        manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      },
    },
  };
  const bare = image('e', '', []);
  const configs = new Map<Digest, unknown>([
    [
      app.id,
      {
        architecture: 'amd64',
        os: 'linux',
        created: '2024-03-01T00:00:00.000000000Z',
        config: {
          Env: ['PATH=/usr/bin', 'X=a&b<c>'],
          Cmd: ['bash'],
          Labels: { maintainer: 'me', a: 'b' },
          ExposedPorts: { '80/tcp': {} },
        },
        rootfs: { type: 'layers', diff_ids: [L1.diffId, L2.diffId] },
        history: [
          {
            created: '2024-01-02T15:04:05Z',
            created_by: '/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / ',
          },
          { created: '2024-01-02T15:04:06Z', created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
          {
            created: '2024-03-01T00:00:00Z',
            created_by: 'RUN /bin/sh -c apt-get update\t# buildkit',
            comment: 'buildkit.dockerfile.v0',
          },
        ],
      },
    ],
    [
      ubuntu.id,
      {
        architecture: 'amd64',
        os: 'linux',
        config: {},
        history: [{ created_by: 'x' }, { created_by: 'y', empty_layer: true }],
      },
    ],
  ]);
  return new FakeDockerContext(
    {
      images: [bare, ubuntu, old, app],
      tags: [
        { name: 'docker.io/library/ubuntu:latest', imageId: ubuntu.id },
        { name: 'docker.io/library/ubuntu:24.04', imageId: ubuntu.id },
        { name: 'docker.io/user/app:1.0', imageId: app.id },
        { name: 'ghcr.io/o/app:dev', imageId: app.id },
      ],
      configs,
    },
    NOW,
  );
}

async function run(
  line: string,
  ctx = fixture(),
): Promise<{ out: string; err: string; code: number; ctx: FakeDockerContext }> {
  let out = '';
  let err = '';
  const code = await runCommand(line, ctx, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { out, err, code, ctx };
}

const A = 'aaaaaaaaaaaa',
  B = 'bbbbbbbbbbbb',
  C = 'cccccccccccc',
  E = 'eeeeeeeeeeee';

describe('docker images', () => {
  // docker/cli v29 prints the tree view unless -q, --no-trunc, --digests or --format asks for the
  // classic table (list.go shouldUseTree); `--format table` is the classic table.
  it('prints the classic table: one row per tag, newest first, dangling hidden', async () => {
    // An image known only by a digest reference is not dangling: `repo <none>` (docker/cli
    // formatter imageFormatTaggedAndDigest, its digest column empty without --digests).
    const r = await run('docker images --format table');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      'REPOSITORY      TAG       IMAGE ID       CREATED        SIZE\n' +
        `ghcr.io/o/app   dev       ${B}   2 weeks ago    82.9MB\n` +
        `user/app        1.0       ${B}   2 weeks ago    82.9MB\n` +
        `ubuntu          24.04     ${A}   2 months ago   77.9MB\n` +
        `ubuntu          latest    ${A}   2 months ago   77.9MB\n` +
        `ubuntu          <none>    ${C}   3 months ago   1kB\n`,
    );
    expect((await run('docker image ls --format table')).out).toBe(r.out);
    expect((await run('docker image list --format table')).out).toBe(r.out);
  });
  it('-a shows dangling images too', async () => {
    const r = await run('docker images -a --format table');
    expect(r.out.split('\n').slice(5)).toEqual([
      `ubuntu          <none>    ${C}   3 months ago   1kB`,
      // No `created` in its config: Go's zero time, which docker images shows as N/A.
      `<none>          <none>    ${E}   N/A            0B`,
      '',
    ]);
  });
  it('prints the header when nothing matches', async () => {
    expect((await run('docker images --format table nothing')).out).toBe(
      'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n',
    );
  });
  it('-q, --no-trunc, --digests', async () => {
    expect((await run('docker images -q')).out).toBe(`${B}\n${B}\n${A}\n${A}\n${C}\n`);
    expect((await run('docker images -q --no-trunc ubuntu:latest')).out).toBe(`${d('a')}\n`);
    const r = await run('docker images --digests ubuntu');
    expect(r.out).toBe(
      'REPOSITORY   TAG       DIGEST                                                                    IMAGE ID       CREATED        SIZE\n' +
        `ubuntu       24.04     ${UBUNTU_DIGEST}   ${A}   2 months ago   77.9MB\n` +
        `ubuntu       latest    ${UBUNTU_DIGEST}   ${A}   2 months ago   77.9MB\n` +
        `ubuntu       <none>    ${OLD_DIGEST}   ${C}   3 months ago   1kB\n`,
    );
  });
  it('filters: dangling, reference globs, before/since, label, until', async () => {
    const ids = async (line: string): Promise<string> => (await run(line)).out.trim().split('\n').join(',');
    // Dangling: neither tags nor digests (moby daemon/containerd isDanglingImage).
    expect(await ids('docker images -q -f dangling=true')).toBe(`${E}`);
    expect(await ids('docker images -q --filter dangling=false')).toBe(`${B},${B},${A},${A},${C}`);
    expect(await ids("docker images --format '{{.Repository}}:{{.Tag}}' --filter 'reference=*/app'")).toBe(
      'user/app:1.0',
    );
    expect(await ids("docker images --format '{{.Repository}}:{{.Tag}}' --filter reference=ubuntu:2*")).toBe(
      'ubuntu:24.04',
    );
    expect(await ids("docker images --format '{{.Repository}}:{{.Tag}}' --filter reference=ghcr.io/*/*")).toBe(
      'ghcr.io/o/app:dev',
    );
    expect(await ids('docker images -q -a --filter before=ubuntu:latest')).toBe(`${C},${E}`);
    expect(await ids('docker images -q --filter since=ubuntu')).toBe(`${B},${B}`);
    expect(await ids('docker images -q --filter label=maintainer')).toBe(`${B},${B}`);
    expect(await ids('docker images -q --filter label=maintainer=you')).toBe('');
    expect(await ids('docker images -q --filter until=2024-02-01')).toBe(`${A},${A},${C}`);
    expect(await ids('docker images -q --filter until=240h')).toBe(`${B},${B},${A},${A},${C}`);
  });
  it("filter errors in the daemon's words", async () => {
    const bad = await run('docker images --filter foo=bar');
    expect([bad.code, bad.err]).toEqual([1, "Error response from daemon: invalid filter 'foo'\n"]);
    expect((await run('docker images --filter dangling=maybe')).err).toBe(
      "Error response from daemon: invalid filter 'dangling=[maybe]'\n",
    );
    expect((await run('docker images --filter before=nope')).err).toBe(
      'Error response from daemon: No such image: nope:latest\n',
    );
    expect((await run("docker images --filter 'reference=[a'")).err).toBe(
      'Error response from daemon: syntax error in pattern\n',
    );
  });
  it('--format templates, json and table', async () => {
    expect((await run("docker images --format '{{.ID}}\\t{{.Size}}' user/app")).out).toBe(`${B}\t82.9MB\n`);
    expect((await run("docker images --format 'table {{.Repository}}\\t{{.CreatedAt}}' user/app")).out).toBe(
      'REPOSITORY   CREATED AT\nuser/app     2024-03-01 00:00:00 +0000 UTC\n',
    );
    expect((await run('docker images --format json user/app')).out).toBe(
      `{"Containers":"N/A","CreatedAt":"2024-03-01 00:00:00 +0000 UTC","CreatedSince":"2 weeks ago","Digest":"\\u003cnone\\u003e","ID":"${B}","Repository":"user/app","SharedSize":"N/A","Size":"82.9MB","Tag":"1.0","UniqueSize":"N/A","VirtualSize":"82.86MB"}\n`,
    );
    const bad = await run("docker images --format '{{.Nope}}'");
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(
      'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext\n',
    );
  });
  it('without flags, docker/cli v29 prints the collapsed tree: one row per tag, sorted by name', async () => {
    // list.go shouldUseTree + tree.go runTree (not expanded) and printImageTree for output that
    // is not a terminal: no legend, the first column as wide as the widest name. The image known
    // by digest only is named `ubuntu@sha256:…` (moby daemon/containerd image_list.go puts an
    // image's digest name in RepoTags), 78 bytes wide.
    const r = await run('docker images');
    expect([r.code, r.err]).toEqual([0, '']);
    const n = (s: string): string => s.padEnd(`ubuntu@${OLD_DIGEST}`.length);
    expect(r.out).toBe(
      `${n('IMAGE')}   ID             DISK USAGE   CONTENT SIZE   EXTRA\n` +
        `${n('ghcr.io/o/app:dev')}   ${B}       82.9MB         27.6MB        \n` +
        `${n('ubuntu:24.04')}   ${A}       77.9MB           26MB        \n` +
        `${n('ubuntu:latest')}   ${A}       77.9MB           26MB        \n` +
        `${n(`ubuntu@${OLD_DIGEST}`)}   ${C}          1kB           333B        \n` +
        `${n('user/app:1.0')}   ${B}       82.9MB         27.6MB        \n`,
    );
    expect((await run('docker image ls')).out).toBe(r.out);
    // -q, --no-trunc, --digests and --format choose the classic table; with --tree, an error.
    expect((await run('docker images -q')).out).toBe(`${B}\n${B}\n${A}\n${A}\n${C}\n`);
    for (const [flag, name] of [
      ['-q', '--quiet'],
      ['--no-trunc', '--no-trunc'],
      ['--digests', '--show-digest'],
      ["--format '{{.ID}}'", '--format'],
    ]) {
      const e = await run(`docker images --tree ${flag}`);
      expect([e.code, e.out, e.err]).toEqual([1, '', `${name} is not yet supported with --tree\n`]);
    }
  });
  it('--tree lists each image with its platform', async () => {
    const r = await run('docker images --tree');
    // The first column is as wide as its widest value in bytes (Go's len): `ubuntu@sha256:…`, 78
    // (`└─ linux/amd64` is 18).
    const n = (s: string): string => s.padEnd(`ubuntu@${OLD_DIGEST}`.length);
    expect(r.out).toBe(
      `${n('IMAGE')}   ID             DISK USAGE   CONTENT SIZE   EXTRA\n` +
        `${n('ghcr.io/o/app:dev')}\n` +
        `${n('user/app:1.0')}   ${B}       82.9MB         27.6MB        \n` +
        `${n('└─ linux/amd64')}   ${'b0'.repeat(6)}       82.9MB         27.6MB        \n` +
        '\n' +
        `${n('ubuntu:24.04')}\n` +
        `${n('ubuntu:latest')}   ${A}       77.9MB           26MB        \n` +
        `${n('└─ linux/amd64')}   ${'a0'.repeat(6)}       77.9MB           26MB        \n` +
        '\n' +
        `${n(`ubuntu@${OLD_DIGEST}`)}   ${C}          1kB           333B        \n` +
        `${n('└─ linux/amd64')}   ${'c0'.repeat(6)}          1kB           333B        \n` +
        '\n',
    );
  });
});

describe('docker images --tree layout (docker/cli tree-command-success goldens)', async () => {
  const { renderTree } = await import('./images.ts');
  const det = (id: string, disk: string, content: string, inUse: boolean) => ({
    id: `sha256:${id.repeat(64 / id.length)}`,
    diskUsage: disk,
    contentSize: content,
    inUse,
  });
  it('width-calculation-untagged', () => {
    expect(
      renderTree([
        { names: ['a:1'], details: det('1', '5.5 MB', '2.5 MB', false), children: [] },
        { names: [], details: det('2', '3.2 MB', '1.6 MB', false), children: [] },
        { names: ['short:v1'], details: det('3', '7.1 MB', '3.5 MB', true), children: [] },
      ]),
    ).toBe(
      'IMAGE        ID             DISK USAGE   CONTENT SIZE   EXTRA\na:1          111111111111       5.5 MB         2.5 MB        \n<untagged>   222222222222       3.2 MB         1.6 MB        \nshort:v1     333333333333       7.1 MB         3.5 MB   U    \n',
    );
  });
  it('mixed-tagged-untagged-with-children', () => {
    expect(
      renderTree([
        {
          names: ['app:v1', 'app:latest'],
          details: det('10', '30.5 MB', '25.2 MB', true),
          children: [{ platform: 'linux/amd64', details: det('20', '15.2 MB', '12.6 MB', true) }],
        },
        {
          names: [],
          details: det('30', '12.3 MB', '10.1 MB', false),
          children: [{ platform: 'linux/arm/v7', details: det('40', '6.1 MB', '5.0 MB', false) }],
        },
        { names: ['base:alpine'], details: det('50', '5.5 MB', '5.5 MB', false), children: [] },
      ]),
    ).toBe(
      'IMAGE                 ID             DISK USAGE   CONTENT SIZE   EXTRA\napp:v1             \napp:latest            101010101010      30.5 MB        25.2 MB   U    \n└─ linux/amd64        202020202020      15.2 MB        12.6 MB   U    \n\n<untagged>            303030303030      12.3 MB        10.1 MB        \n└─ linux/arm/v7       404040404040       6.1 MB         5.0 MB        \n\nbase:alpine           505050505050       5.5 MB         5.5 MB        \n\n',
    );
  });
  it('untagged-with-platforms and expanded-view-with-platforms', () => {
    expect(
      renderTree([
        {
          names: [],
          details: det('d', '18.5 MB', '15.2 MB', false),
          children: [
            { platform: 'linux/amd64', details: det('e', '9.2 MB', '7.6 MB', false) },
            { platform: 'linux/arm64', details: det('f', '9.3 MB', '7.6 MB', false) },
          ],
        },
      ]),
    ).toBe(
      'IMAGE                ID             DISK USAGE   CONTENT SIZE   EXTRA\n<untagged>           dddddddddddd      18.5 MB        15.2 MB        \n├─ linux/amd64       eeeeeeeeeeee       9.2 MB         7.6 MB        \n└─ linux/arm64       ffffffffffff       9.3 MB         7.6 MB        \n\n',
    );
    expect(
      renderTree([
        {
          names: ['multiplatform:latest'],
          details: det('a', '25.5 MB', '20.2 MB', true),
          children: [
            { platform: 'linux/amd64', details: det('b', '12.1 MB', '10.0 MB', false) },
            { platform: 'linux/arm64', details: det('c', '13.4 MB', '10.2 MB', true) },
          ],
        },
      ]),
    ).toBe(
      'IMAGE                  ID             DISK USAGE   CONTENT SIZE   EXTRA\nmultiplatform:latest   aaaaaaaaaaaa      25.5 MB        20.2 MB   U    \n├─ linux/amd64         bbbbbbbbbbbb      12.1 MB        10.0 MB        \n└─ linux/arm64         cccccccccccc      13.4 MB        10.2 MB   U    \n\n',
    );
  });
});

describe('docker rmi', () => {
  it('repo@digest untags that digest reference only; a manifest digest that is no reference is not found', async () => {
    // moby ImageDelete: a digest reference is one name; the image stays while others remain.
    const ctx = fixture();
    const r = await run(`docker rmi ubuntu:ignored@${UBUNTU_DIGEST}`, ctx);
    expect([r.code, r.out, r.err]).toEqual([0, `Untagged: ubuntu@${UBUNTU_DIGEST}\n`, '']);
    expect(ctx.state.images.find((i) => i.id === d('a'))?.repoDigests).toEqual([]);
    const m = await run(`docker rmi ubuntu@${d('a0')}`, ctx);
    expect([m.code, m.out, m.err]).toEqual([1, '', `Error response from daemon: No such image: ubuntu@${d('a0')}\n`]);
  });
  it('untags one tag; the last tag of a repository also untags its digests, then deletes', async () => {
    const ctx = fixture();
    const r1 = await run('docker rmi ubuntu:24.04', ctx);
    expect([r1.code, r1.out, r1.err]).toEqual([0, 'Untagged: ubuntu:24.04\n', '']);
    const r2 = await run('docker rmi ubuntu', ctx);
    expect(r2.out).toBe(`Untagged: ubuntu:latest\nUntagged: ubuntu@${UBUNTU_DIGEST}\nDeleted: ${d('a')}\n`);
    expect(ctx.state.images.map((i) => i.id)).not.toContain(d('a'));
    expect(ctx.removals[1]).toEqual([
      { kind: 'untag', name: 'docker.io/library/ubuntu:latest' },
      { kind: 'untagDigest', imageId: d('a'), reference: `docker.io/library/ubuntu@${UBUNTU_DIGEST}` },
      { kind: 'delete', imageId: d('a') },
    ]);
  });
  it('by ID with references in several repositories: conflict unless -f', async () => {
    const ctx = fixture();
    const r = await run('docker rmi bbbb', ctx);
    expect([r.code, r.out, r.err]).toEqual([
      1,
      '',
      `Error response from daemon: conflict: unable to delete ${B} (must be forced) - image is referenced in multiple repositories\n`,
    ]);
    expect(ctx.removals).toEqual([]);
    const f = await run('docker rmi -f bbbb', ctx);
    expect(f.out).toBe(`Untagged: user/app:1.0\nUntagged: ghcr.io/o/app:dev\nDeleted: ${d('b')}\n`);
    // Two tags of one repository are "multiple" references too (moby isSingleReference).
    expect((await run(`docker rmi ${A}`, ctx)).err).toMatch(/must be forced/);
  });
  it('by ID with one digest reference: untag and delete', async () => {
    const r = await run('docker rmi ccc');
    expect(r.out).toBe(`Untagged: ubuntu@${OLD_DIGEST}\nDeleted: ${d('c')}\n`);
  });
  it('several arguments: errors at the end, exit 1, the rest done', async () => {
    const r = await run('docker image rm nosuch ubuntu:24.04 eeee');
    expect(r.code).toBe(1);
    expect(r.out).toBe(`Untagged: ubuntu:24.04\nDeleted: ${d('e')}\n`);
    expect(r.err).toBe('Error response from daemon: No such image: nosuch:latest\n'); // With -f a missing image is reported but is not a failure (image/remove.go).
    const f = await run('docker rmi -f nosuch');
    expect([f.code, f.err]).toEqual([0, 'Error response from daemon: No such image: nosuch:latest\n']);
    expect((await run('docker rmi -f nosuch bbbb')).code).toBe(0);
  });
});

describe('docker image prune', () => {
  it('-f removes dangling images (neither tags nor digests) and reports', async () => {
    // moby daemon/containerd pruneUnused: only isDanglingImage; the image known by digest stays.
    const r = await run('docker image prune -f');
    expect(r.out).toBe(
      `Deleted Images:\ndeleted: ${d('e')}\n\nTotal images deleted/untagged: 1\nTotal reclaimed space: 0B\n`,
    );
    expect(r.ctx.state.images.length).toBe(3);
  });
  it('-a -f removes everything; shared layers are counted once', async () => {
    const r = await run('docker image prune -a -f');
    expect(r.out.endsWith('Total reclaimed space: 82.86MB\n')).toBe(true);
    expect(r.ctx.state.images).toEqual([]);
  });
  it('without -f asks; with no one to answer it is cancelled, nothing removed', async () => {
    const r = await run('docker image prune');
    expect(r.out).toBe('WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] \n');
    expect([r.code, r.err]).toEqual([1, 'image prune has been cancelled\n']);
    expect(r.ctx.removals).toEqual([]);
  });
  it('with a confirm that says yes (docker/cli prune-command-success.all golden)', async () => {
    const ctx = fixture();
    ctx.state.images = [];
    ctx.state.tags = [];
    ctx.confirmAnswer = true;
    const r = await run('docker image prune -a', ctx);
    expect(r.out).toBe(
      'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] Total images deleted/untagged: 0\nTotal reclaimed space: 0B\n',
    );
  });
});

describe('docker tag', () => {
  it("tags by name and by ID prefix, with Docker's defaults", async () => {
    const ctx = fixture();
    expect((await run('docker tag ubuntu myrepo:1', ctx)).code).toBe(0);
    expect((await run('docker image tag bbbb localhost:5000/x', ctx)).code).toBe(0);
    expect(ctx.state.tags).toContainEqual({ name: 'docker.io/library/myrepo:1', imageId: d('a') });
    expect(ctx.state.tags).toContainEqual({ name: 'localhost:5000/x:latest', imageId: d('b') });
  });
  it('errors', async () => {
    expect((await run('docker tag nosuch x')).err).toBe('Error response from daemon: No such image: nosuch:latest\n');
    expect((await run('docker tag ubuntu Bad')).err).toBe(
      'Error parsing reference: "Bad" is not a valid repository/tag: invalid reference format: repository name (library/Bad) must be lowercase\n',
    );
    expect((await run(`docker tag ubuntu x@${UBUNTU_DIGEST}`)).err).toBe(
      'refusing to create a tag with a digest reference\n',
    );
  });
});

describe('docker history', () => {
  it('newest first, <missing> below the top, sizes of non-empty layers, CREATED BY cut at 45', async () => {
    const r = await run('docker history user/app:1.0');
    expect(r.out).toBe(
      'IMAGE          CREATED        CREATED BY                                      SIZE      COMMENT\n' +
        `${B}   2 weeks ago    RUN /bin/sh -c apt-get update # buildkit        5MB       buildkit.dockerfile.v0\n` +
        '<missing>      2 months ago   /bin/sh -c #(nop)  CMD ["bash"]                 0B        \n' +
        '<missing>      2 months ago   /bin/sh -c #(nop) ADD file:0123456789abcdef0…   77.9MB    \n',
    );
  });
  it('-H=false prints RFC 3339 dates and byte counts; -q the IDs', async () => {
    const r = await run('docker history -H=false --no-trunc user/app:1.0');
    // 71-char ID + 3; the 65-char CREATED BY (trailing space kept) + 3; "77860000" + 3.
    expect(r.out.split('\n')[0]).toBe(
      'IMAGE'.padEnd(74) + 'CREATED AT'.padEnd(23) + 'CREATED BY'.padEnd(68) + 'SIZE'.padEnd(11) + 'COMMENT',
    );
    expect(r.out.split('\n')[3]).toContain(
      '2024-01-02T15:04:05Z   /bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in /    77860000',
    );
    expect((await run('docker history -q user/app:1.0')).out).toBe(`${B}\n<missing>\n<missing>\n`);
  });
  it('an entry without a date shows N/A in CREATED (docker 28.2.2 against a real daemon); No such image', async () => {
    const r = await run('docker history ubuntu');
    expect(r.out.split('\n')[1]).toBe(`${A}   N/A       y            0B        `);
    expect(r.out.split('\n')[2]).toBe('<missing>      N/A       x            77.9MB    ');
    expect((await run('docker history nope')).err).toBe('Error response from daemon: No such image: nope:latest\n');
    const ctx = fixture();
    ctx.state.configs.set(d('a'), { history: [{ created_by: 'x' }, { created_by: 'y' }] });
    expect((await run('docker history ubuntu', ctx)).err).toBe(
      'Error response from daemon: too many non-empty layers in History section\n',
    );
  });
});

describe('docker history formatting (docker/cli history-command-success goldens)', async () => {
  const { renderHistory } = await import('./inspect.ts');
  it('simple', () => {
    expect(
      renderHistory(
        [{ id: 'sha256:123456789012345', created: 1_700_000_000, createdBy: '', size: 0, comment: 'none' }],
        {
          human: true,
          noTrunc: false,
          quiet: false,
          format: '',
          nowMs: 1_700_000_000_000,
        },
      ),
    ).toBe(
      'IMAGE          CREATED                  CREATED BY   SIZE      COMMENT\n123456789012   Less than a second ago                0B        none\n',
    );
  });
  it('non-human', () => {
    expect(
      renderHistory(
        [
          {
            id: 'abcdef',
            created: Date.parse('2017-01-01T12:00:03Z') / 1000,
            createdBy: 'rose',
            size: 0,
            comment: 'new history item!',
          },
        ],
        {
          human: false,
          noTrunc: false,
          quiet: false,
          format: '',
          nowMs: 0,
        },
      ),
    ).toBe(
      'IMAGE     CREATED AT             CREATED BY   SIZE      COMMENT\nabcdef    2017-01-01T12:00:03Z   rose         0         new history item!\n',
    );
  });
});

describe('docker inspect', () => {
  it('prints the API shape, 4-space indented, HTML-escaped, empty fields omitted', async () => {
    const r = await run('docker image inspect user/app:1.0');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`[
    {
        "Id": "${d('b')}",
        "RepoTags": [
            "ghcr.io/o/app:dev",
            "user/app:1.0"
        ],
        "RepoDigests": [],
        "Created": "2024-03-01T00:00:00Z",
        "Config": {
            "ExposedPorts": {
                "80/tcp": {}
            },
            "Env": [
                "PATH=/usr/bin",
                "X=a\\u0026b\\u003cc\\u003e"
            ],
            "Cmd": [
                "bash"
            ],
            "Labels": {
                "a": "b",
                "maintainer": "me"
            }
        },
        "Architecture": "amd64",
        "Os": "linux",
        "Size": 82860000,
        "RootFS": {
            "Type": "layers",
            "Layers": [
                "${L1.diffId}",
                "${L2.diffId}"
            ]
        },
        "Metadata": {
            "LastTagTime": "2024-03-10T10:00:00.5Z"
        }
    }
]
`);
  });
  it('--format templates per image; errors after the output', async () => {
    const r = await run(
      "docker inspect --format '{{.Id}} {{index .RepoTags 0}} {{.Config.Env}} {{json .Config.Cmd}}' user/app:1.0 nosuch",
    );
    expect(r.out).toBe(`${d('b')} ghcr.io/o/app:dev [PATH=/usr/bin X=a&b<c>] ["bash"]\n`);
    expect([r.code, r.err]).toEqual([1, 'Error: No such object: nosuch\n']);
    const img = await run('docker image inspect nosuch');
    expect([img.out, img.err]).toEqual(['[]\n', 'Error response from daemon: No such image: nosuch:latest\n']);
    expect((await run("docker image inspect -f '{{.Id}}' nosuch")).out).toBe('\n');
  });
  it('templates see the typed struct first, then the raw map with missingkey=error (inspector.go)', async () => {
    expect(
      (
        await run(
          "docker image inspect -f '[{{.Comment}}|{{.Variant}}|{{.Config.Entrypoint}}|{{.RootFS.Type}}]' user/app:1.0",
        )
      ).out,
    ).toBe('[||[]|layers]\n');
    const missing = await run("docker image inspect -f '{{.Nope}}' user/app:1.0");
    expect([missing.code, missing.out, missing.err]).toEqual([
      1,
      '\n',
      'template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"\n',
    ]);
    const bad = await run("docker image inspect -f '{{.Id' user/app:1.0");
    expect([bad.code, bad.err]).toEqual([64, 'template parsing error: template: :1: unclosed action\n']);
    const json = await run('docker image inspect --format json user/app:1.0');
    expect(
      json.out.startsWith(
        `[{"Id":"${d('b')}","RepoTags":["ghcr.io/o/app:dev","user/app:1.0"],"RepoDigests":[],"Created":`,
      ),
    ).toBe(true);
    expect(json.out.endsWith('}]\n')).toBe(true);
    expect((await run("docker image inspect -f '{{json .Config.Env}}' user/app:1.0")).out).toBe(
      '["PATH=/usr/bin","X=a&b<c>"]\n',
    );
  });
});

describe('docker system df', () => {
  it('summarises with four significant digits, shared layers once', async () => {
    const r = await run('docker system df');
    expect(r.out).toBe(
      'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n' +
        'Images          4         0         82.86MB   82.86MB (100%)\n' +
        'Containers      0         0         0B        0B\n' +
        'Local Volumes   0         0         0B        0B\n' +
        'Build Cache     0         0         0B        0B\n',
    );
  });
  it('-v lists images with shared and unique sizes', async () => {
    const r = await run('docker system df -v');
    expect(r.out).toBe(
      'Images space usage:\n\n' +
        'REPOSITORY      TAG       IMAGE ID       CREATED        SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS\n' +
        `ghcr.io/o/app   dev       ${B}   2 weeks ago    82.9MB    77.86MB       5MB           0\n` +
        `ubuntu          24.04     ${A}   2 months ago   77.9MB    77.86MB       0B            0\n` +
        `<none>          <none>    ${C}   3 months ago   1kB       0B            1kB           0\n` +
        `<none>          <none>    ${E}                  0B        0B            0B            0\n` +
        '\nContainers space usage:\n\n' +
        'CONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES\n' +
        '\nLocal Volumes space usage:\n\n' +
        'VOLUME NAME   LINKS     SIZE\n' +
        '\nBuild cache usage: 0B\n\n' +
        'CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n',
    );
  });
  it('matches docker/cli disk_usage_test goldens on an empty store', async () => {
    const ctx = fixture();
    ctx.state.images = [];
    ctx.state.tags = [];
    expect((await run('docker system df', ctx)).out).toBe(
      'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\nImages          0         0         0B        0B\nContainers      0         0         0B        0B\nLocal Volumes   0         0         0B        0B\nBuild Cache     0         0         0B        0B\n',
    );
    expect((await run('docker system df -v', ctx)).out).toBe(
      'Images space usage:\n\nREPOSITORY   TAG       IMAGE ID   CREATED   SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS\n\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES\n\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n',
    );
    expect((await run("docker system df -v --format '{{json .}}'", ctx)).out).toBe(
      '{"Images":[],"Containers":[],"Volumes":[],"BuildCache":[]}',
    );
    expect((await run('docker system df -v --format raw', ctx)).out).toBe('');
  });
});

describe('docker pull', () => {
  it('prints what a non-terminal shows: no progress lines, then the full reference', async () => {
    const ctx = fixture();
    ctx.pullScript = {
      events: [
        { type: 'start', tagOrDigest: 'latest', repository: 'library/busybox' },
        { type: 'layer', id: '0123456789ab', status: 'Pulling fs layer' },
        { type: 'layer', id: '0123456789ab', status: 'Downloading', current: 10, total: 100 },
        { type: 'layer', id: '0123456789ab', status: 'Verifying Checksum' },
        { type: 'layer', id: '0123456789ab', status: 'Download complete' },
        { type: 'layer', id: '0123456789ab', status: 'Extracting', current: 10, total: 100 },
        { type: 'layer', id: '0123456789ab', status: 'Pull complete' },
        { type: 'digest', digest: UBUNTU_DIGEST },
        { type: 'status', text: 'Downloaded newer image for busybox:latest', upToDate: false },
        { type: 'done', reference: 'docker.io/library/busybox:latest', imageId: d('f') },
      ],
    };
    const r = await run('docker pull busybox', ctx);
    expect(r.out).toBe(
      'Using default tag: latest\nlatest: Pulling from library/busybox\n0123456789ab: Pulling fs layer\n0123456789ab: Verifying Checksum\n0123456789ab: Download complete\n0123456789ab: Pull complete\n' +
        `Digest: ${UBUNTU_DIGEST}\nStatus: Downloaded newer image for busybox:latest\ndocker.io/library/busybox:latest\n`,
    );
    expect((await run('docker pull -q busybox:1.36', ctx)).out).toBe('docker.io/library/busybox:1.36\n');
  });
  it("maps registry failures to Docker's messages", async () => {
    const fail = async (line: string, error: unknown): Promise<string> => {
      const ctx = fixture();
      ctx.pullScript = { events: [], error };
      const r = await run(line, ctx);
      expect(r.code).toBe(1);
      return r.err;
    };
    expect(await fail('docker pull busybox:nope', { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' })).toBe(
      'Error response from daemon: manifest for busybox:nope not found: manifest unknown: manifest unknown\n',
    );
    expect(await fail('docker pull nosuch/x', { code: 'UNAUTHORIZED', message: 'authentication required' })).toBe(
      "Error response from daemon: pull access denied for nosuch/x, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n",
    );
    expect(await fail('docker pull x', new Error('proxy unreachable'))).toBe(
      'Error response from daemon: proxy unreachable\n',
    );
    const bad = await run('docker pull Foo');
    expect([bad.code, bad.err]).toEqual([
      1,
      'invalid reference format: repository name (library/Foo) must be lowercase\n',
    ]);
  });
  it('cancelled', async () => {
    const ctx = fixture();
    ctx.pullScript = { events: [{ type: 'start', tagOrDigest: 'latest', repository: 'library/x' }] };
    const ac = new AbortController();
    ac.abort();
    let err = '';
    const code = await runCommand('docker pull x', ctx, { stdout: () => {}, stderr: (t) => (err += t) }, ac.signal);
    expect([code, err]).toEqual([130, 'context canceled\n']);
  });
});

describe('docker save / load', () => {
  it('save -o: names and IDs resolved, one entry per image', async () => {
    const r = await run('docker save -o /tmp/out.tar ubuntu:latest aaaa user/app:1.0');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.ctx.saved).toEqual([
      {
        images: [
          { imageId: d('a'), repoTags: ['docker.io/library/ubuntu:latest'] },
          { imageId: d('b'), repoTags: ['docker.io/user/app:1.0'] },
        ],
        fileName: 'out.tar',
        format: 'docker-archive',
      },
    ]);
  });
  it('save without -o goes to a named download, said on stderr; a bare repository saves all its tags', async () => {
    const r = await run('docker image save ubuntu');
    expect(r.ctx.saved[0]!.fileName).toBe('ubuntu.tar');
    expect(r.ctx.saved[0]!.images).toEqual([
      { imageId: d('a'), repoTags: ['docker.io/library/ubuntu:24.04', 'docker.io/library/ubuntu:latest'] },
    ]);
    expect(r.err).toMatch(/saved as the download ubuntu\.tar/);
    expect((await run('docker save nosuch:1')).err).toBe('Error response from daemon: No such image: nosuch:1\n');
  });
  it('load prints Loaded image lines', async () => {
    const ctx = fixture();
    ctx.loadResult = {
      images: [
        {
          imageId: d('a'),
          repoTags: ['docker.io/library/busybox:latest'],
          replaced: [{ name: 'docker.io/library/busybox:latest', previousImageId: d('c') }],
        },
        { imageId: d('b'), repoTags: [] },
      ],
    };
    const r = await run('docker load -i busybox.tar', ctx);
    expect(ctx.lastLoad).toEqual({ fileName: 'busybox.tar' });
    expect(r.out).toBe(
      `The image busybox:latest already exists, renaming the old one with ID ${d('c')} to empty string\nLoaded image: busybox:latest\nLoaded image ID: ${d('b')}\n`,
    );
  });
});

describe('misc', () => {
  it('version and help say what this is', async () => {
    expect((await run('docker version')).out).toMatch(/Layerscope/);
    expect((await run('docker --version')).out).toMatch(/^Layerscope version test/);
    expect((await run('docker help')).out).toMatch(/Layerscope/);
  });
  it('unknown commands and flags', async () => {
    const r = await run('docker foo');
    expect([r.code, r.err]).toEqual([1, "docker: 'foo' is not a docker command.\nSee 'docker --help'\n"]);
    const f = await run('docker images --x');
    expect([f.code, f.err]).toEqual([125, "unknown flag: --x\nSee 'docker images --help'.\n"]);
    expect((await run('')).code).toBe(0);
  });
});

describe('hostile or broken store data', () => {
  it('a config that is not an object, and unparsable tag names, do not break anything', async () => {
    const ctx = fixture();
    ctx.state.configs.set(d('b'), 'garbage');
    ctx.state.tags.push({ name: 'not a reference!', imageId: d('b') });
    const h = await run('docker history user/app:1.0', ctx);
    expect([h.code, h.out]).toEqual([0, 'IMAGE     CREATED   CREATED BY   SIZE      COMMENT\n']);
    const i = await run("docker image inspect -f '{{json .Config}} {{.Os}} {{.Created}}' user/app:1.0", ctx);
    expect(i.out).toBe('{} linux \n');
    expect((await run('docker images -q', ctx)).out).toBe(`${B}\n${B}\n${A}\n${A}\n${C}\n`);
  });
  it('history entries beyond the cap are ignored, not looped over', async () => {
    const ctx = fixture();
    ctx.state.configs.set(d('a'), {
      history: Array.from({ length: 50_000 }, () => ({ created_by: 'x', empty_layer: true })),
    });
    const r = await run('docker history -q ubuntu', ctx);
    expect(r.out.split('\n').length - 1).toBe(10_000);
  });
});
