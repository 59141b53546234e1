import { describe, expect, it } from 'vitest';
import type { Digest } from '../digest.ts';
import type { ImageRecord, Platform } from '../model.ts';
import { FakeDockerContext } from './fake-context.ts';
import { runCommand } from './run.ts';

// Messages: docker/cli v29 cli/command/image/{history,inspect,save,load,pull}.go (client-side
// platforms.Parse; history, save and load wrap it as "invalid platform: %w"), containerd
// platforms.Parse's own wording, and moby daemon/containerd/image.go GetImageManifest for an
// image that is not for the platform asked ("image with reference %s was found but does not
// match the specified platform: wanted %s, actual: %s", platforms.Only matching).

const d = (c: string): Digest => `sha256:${c.repeat(64)}`;
const image = (c: string, platform: Platform): ImageRecord => ({
  id: d(c),
  manifestDigest: d('0'),
  manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
  repoDigests: [],
  platform,
  layers: [],
  created: '2024-01-01T00:00:00Z',
  size: 0,
  downloadSize: 0,
  configMediaType: 'application/vnd.oci.image.config.v1+json',
  storedAt: 0,
});

function fixture(): FakeDockerContext {
  const amd = image('a', { os: 'linux', architecture: 'amd64' });
  const arm = image('b', { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const config = (p: Platform) => ({
    ...p,
    created: '2024-01-01T00:00:00Z',
    history: [{ created_by: 'x', empty_layer: true }],
  });
  return new FakeDockerContext(
    {
      images: [amd, arm],
      tags: [
        { name: 'docker.io/library/alpine:latest', imageId: amd.id },
        { name: 'docker.io/library/alpine:arm', imageId: arm.id },
      ],
      configs: new Map<Digest, unknown>([
        [amd.id, config(amd.platform)],
        [arm.id, config(arm.platform)],
      ]),
    },
    Date.parse('2024-03-15T00:00:00Z'),
  );
}

async function run(line: string, ctx = fixture()) {
  let out = '';
  let err = '';
  const code = await runCommand(line, ctx, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { out, err, code, ctx };
}

const BAD = '"foo": unknown operating system or architecture: invalid argument';

describe('--platform as docker/cli v29 reads it', () => {
  it('history: validated, and the image must be for it (containerd Only: arm64 ≈ arm64/v8 ≈ aarch64)', async () => {
    expect(await run('docker history --platform foo alpine')).toMatchObject({
      code: 1,
      err: `invalid platform: ${BAD}\n`,
    });
    const ok = await run('docker history --platform linux/amd64 alpine');
    expect(ok.code).toBe(0);
    expect(ok.out).toBe((await run('docker history alpine')).out);
    expect((await run('docker history --platform aarch64 alpine:arm')).code).toBe(0);
    expect((await run('docker history --platform linux/arm64/v9 alpine:arm')).code).toBe(0);
    expect(await run('docker history --platform linux/arm64 alpine')).toMatchObject({
      code: 1,
      out: '',
      err: 'Error response from daemon: image with reference alpine was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64\n',
    });
    // The wanted platform is named as parsed: x86_64 → amd64, armhf → arm.
    expect((await run('docker history --platform armhf alpine:arm')).err).toBe(
      'Error response from daemon: image with reference alpine:arm was found but does not match the specified platform: wanted linux/arm, actual: linux/arm64/v8\n',
    );
  });

  it("image inspect: containerd's message unwrapped; a mismatch is a per-image daemon error", async () => {
    expect(await run('docker image inspect --platform foo alpine')).toMatchObject({ code: 1, err: `${BAD}\n` });
    const r = await run('docker image inspect --platform linux/arm64 -f {{.Architecture}} alpine alpine:arm');
    expect(r.code).toBe(1);
    expect(r.out).toBe('arm64\n');
    expect(r.err).toBe(
      'Error response from daemon: image with reference alpine was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64\n',
    );
  });

  it("inspect --size: ignored for images with Docker's warning (system/inspect.go)", async () => {
    const r = await run('docker inspect --size -f {{.Os}} alpine');
    expect(r).toMatchObject({ code: 0, out: 'linux\n', err: 'WARNING: --size ignored for image\n' });
  });

  it('save: a comma-separated list; images for none of them are refused', async () => {
    expect(await run('docker save -o a.tar --platform linux/amd64,foo alpine')).toMatchObject({
      code: 1,
      err: `invalid platform: ${BAD}\n`,
    });
    const ok = await run('docker save -o a.tar --platform linux/arm64,linux/amd64 alpine:latest');
    expect(ok.code).toBe(0);
    expect(ok.ctx.saved).toHaveLength(1);
    // A repository name saves its tags for the platforms asked only.
    const repo = await run('docker save -o a.tar --platform linux/arm64 alpine');
    expect(repo.ctx.saved[0]!.images).toEqual([{ imageId: d('b'), repoTags: ['docker.io/library/alpine:arm'] }]);
    const bad = await run('docker save -o a.tar --platform linux/s390x alpine');
    expect(bad.code).toBe(1);
    expect(bad.ctx.saved).toHaveLength(0);
    expect(bad.err).toMatch(/does not match the specified platform: wanted linux\/s390x, actual: linux\/amd64\n$/);
  });

  it('load: validated, parsed platforms handed to the load; -q prints the same lines when piped', async () => {
    expect(await run('docker load -i a.tar --platform linux/amd64,*')).toMatchObject({
      code: 1,
      err: 'invalid platform: "*": wildcards not yet supported: invalid argument\n',
    });
    const ctx = fixture();
    ctx.loadResult = {
      images: [
        {
          imageId: d('c'),
          repoTags: ['docker.io/library/x:1'],
          replaced: [{ name: 'docker.io/library/x:1', previousImageId: d('a') }],
        },
        { imageId: d('e'), repoTags: [] },
      ],
    };
    const r = await run('docker load -i a.tar --platform x86_64 --platform linux/arm64/v8', ctx);
    expect(r.ctx.lastLoad).toEqual({
      fileName: 'a.tar',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
    });
    // moby image/tarexport/load.go: the rename notice, then the tag; untagged images by ID.
    const lines = [
      `The image x:1 already exists, renaming the old one with ID ${d('a')} to empty string`,
      'Loaded image: x:1',
      `Loaded image ID: ${d('e')}`,
      '',
    ].join('\n');
    expect(r.out).toBe(lines);
    expect((await run('docker load -q -i a.tar', ctx)).out).toBe(lines);
  });

  it('pull: containerd\'s message, after "Using default tag" as docker/cli prints it', async () => {
    const r = await run('docker pull --platform linux/am%64 alpine');
    expect(r.code).toBe(1);
    expect(r.out).toBe('Using default tag: latest\n');
    expect(r.err).toBe(
      '"am%64" is an invalid component of "linux/am%64": platform specifier component must match "^[A-Za-z0-9_.-]+$": invalid argument\n',
    );
  });
});
