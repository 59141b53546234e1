/**
 * A Docker daemon for the pull benchmark only (never in npm test): Debian's dockerd with its own
 * temp --data-root, --exec-root, --pidfile and unix socket, no iptables and no bridge, overlay2
 * where the kernel allows it, else vfs. Started and stopped by its PID (SIGTERM, then SIGKILL);
 * a registry on 127.0.0.0/8 is insecure by default for Docker, so the local registry needs no
 * configuration. `stop()` also runs on this process's exit, so a failed bench leaves no daemon.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface Dockerd {
  /** `overlay2` or `vfs`: what the daemon reported. */
  driver: string;
  /** `Server Version` of the daemon and the CLI's version. */
  version: string;
  pid: number;
  /** Runs the docker CLI against this daemon; throws with its stderr on failure. */
  docker(args: string[]): string;
  stop(): Promise<void>;
}

const DOCKERD = process.env.DOCKERD_BIN ?? '/usr/sbin/dockerd';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || !alive(child.pid!)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function startWith(driver: string): Promise<Dockerd> {
  const dir = mkdtempSync(join(tmpdir(), 'layerscope-pullbench-dockerd-'));
  const sock = join(dir, 'docker.sock');
  const log = join(dir, 'dockerd.log');
  const out = openSync(log, 'a');
  const child = spawn(
    DOCKERD,
    [
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      `unix://${sock}`,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver',
      driver,
    ],
    { stdio: ['ignore', out, out] },
  );
  const pid = child.pid!;
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'cli') };
  const docker = (args: string[]): string => {
    const r = spawnSync('docker', args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
    return r.stdout;
  };
  let stopped = false;
  const onExit = () => {
    // dockerd cleans up after itself on SIGTERM, also after this process has gone.
    if (!stopped && alive(pid)) process.kill(pid, 'SIGTERM');
  };
  process.on('exit', onExit);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    if (alive(pid)) {
      process.kill(pid, 'SIGTERM');
      if (!(await waitExit(child, 20_000))) {
        process.kill(pid, 'SIGKILL');
        await waitExit(child, 5_000);
      }
    }
    // dockerd unmounts its layers on a clean stop; whatever is still mounted below dir (a
    // killed daemon) is unmounted before the directory goes.
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(dir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = performance.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`dockerd exited (${child.exitCode}): ${readFileSync(log, 'utf8').slice(-1500)}`);
      if (existsSync(sock)) {
        const r = spawnSync('docker', ['info', '--format', '{{.Driver}} {{.ServerVersion}}'], {
          env,
          encoding: 'utf8',
        });
        if (r.status === 0) {
          const [got, version] = r.stdout.trim().split(' ');
          const cli = docker(['version', '--format', '{{.Client.Version}}']).trim();
          return { driver: got!, version: `dockerd ${version}, docker CLI ${cli}`, pid, docker, stop };
        }
      }
      if (performance.now() > deadline)
        throw new Error(`dockerd did not answer: ${readFileSync(log, 'utf8').slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

/** overlay2 where the kernel allows it, else vfs. */
export async function startDockerd(): Promise<Dockerd> {
  try {
    return await startWith('overlay2');
  } catch (e) {
    console.log(`dockerd with overlay2 failed (${(e as Error).message.split('\n')[0]}); trying vfs`);
    return startWith('vfs');
  }
}
