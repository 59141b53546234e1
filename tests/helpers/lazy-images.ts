/**
 * Lazy-format images made by independent producers, for peek tests:
 * - eStargz: Debian's stargz-snapshotter (`ctr-remote image convert --estargz --oci`) through a
 *   containerd daemon started by PID with its own root, state and socket in a temp dir;
 * - zstd:chunked: `podman push --compression-format zstd:chunked` (root, vfs driver, temp root).
 * Both read an image from a registry and push the converted one to a registry.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Containerd {
  dir: string;
  /** Runs `ctr-remote --address <socket> …args`; its stdout. */
  ctr(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Starts containerd 1.6 (CRI off) in a temp dir; stop it in afterAll. */
export async function startContainerd(): Promise<Containerd> {
  const dir = mkdtempSync(join(tmpdir(), 'ls-containerd-'));
  writeFileSync(
    join(dir, 'ctd.toml'),
    `version = 2\nroot = "${dir}/root"\nstate = "${dir}/state"\n[grpc]\n  address = "${dir}/ctd.sock"\n` +
      `[plugins."io.containerd.grpc.v1.cri"]\n  disable = true\n`,
  );
  const ctd: ChildProcess = spawn('containerd', ['--config', join(dir, 'ctd.toml')], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(join(dir, 'ctd.sock')); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    dir,
    ctr: async (...args) =>
      (await run('ctr-remote', ['--address', join(dir, 'ctd.sock'), ...args], { maxBuffer: 1 << 24 })).stdout,
    stop: async () => {
      if (ctd.exitCode === null && ctd.signalCode === null) {
        const exited = new Promise((r) => ctd.once('exit', r));
        ctd.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Converts `src` (host/repo:tag, plain HTTP) to eStargz and pushes it as `dst`. */
export async function convertEstargz(ctd: Containerd, src: string, dst: string): Promise<void> {
  await ctd.ctr('image', 'pull', '--plain-http', src);
  await ctd.ctr('image', 'convert', '--estargz', '--oci', src, dst);
  await ctd.ctr('image', 'push', '--plain-http', dst);
}

/**
 * Pulls `src` with Podman and pushes it as zstd:chunked to `dst` (host/repo:tag). `dst` must be
 * on a registry that does not hold `src`'s layers already, or Podman reuses the gzip blobs.
 */
export async function pushZstdChunked(src: string, dst: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ls-podman-'));
  const podman = async (...args: string[]): Promise<void> => {
    const root = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
    const more = ['--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
    try {
      await run('podman', [...root, ...more, ...args], { maxBuffer: 1 << 26 });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`podman ${args.join(' ')} failed: ${err.stderr || err.message}`, { cause: e });
    }
  };
  try {
    await podman('pull', '--tls-verify=false', src);
    await podman('push', '--tls-verify=false', '--compression-format', 'zstd:chunked', src, `docker://${dst}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
