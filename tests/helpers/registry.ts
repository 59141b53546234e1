/**
 * A real `docker-registry` (distribution 2.8) for tests: 127.0.0.1, a random free port, a temp
 * storage dir, deletes enabled, schema 1 manifests accepted. Auth variants:
 * - `none`: anonymous;
 * - `basic`: htpasswd with a bcrypt hash (bcryptjs);
 * - `token`: Bearer tokens from the `token-server.ts` fixture (ES256 JWT, `x5c` header).
 * Stop it in afterAll: `await reg.stop()` kills the process and removes the temp dir.
 */
import bcrypt from 'bcryptjs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTokenServer, type TokenServer } from './token-server.ts';

export type RegistryAuth = 'none' | 'basic' | 'token';

export interface TestRegistry {
  /** `127.0.0.1:PORT`: the registry part of references. */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  auth: RegistryAuth;
  /** Credentials with push and pull rights (basic, token). */
  username?: string;
  password?: string;
  tokenServer?: TokenServer;
  /** Temp dir holding config, storage, htpasswd, keys. */
  dir: string;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  auth?: RegistryAuth;
  username?: string;
  password?: string;
}

const REGISTRY_BIN = process.env.DOCKER_REGISTRY_BIN ?? '/usr/bin/docker-registry';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function configYaml(dir: string, port: number, authBlock: string): string {
  return `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: layerscope-test-secret
compatibility:
  schema1:
    enabled: true
${authBlock}`;
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${output()}`);
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry not ready after 15 s: ${output()}`);
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'none';
  const dir = await mkdtemp(join(tmpdir(), 'layerscope-registry-'));
  const username = opts.username ?? 'tester';
  const password = opts.password ?? 'secret-Passw0rd';
  let tokenServer: TokenServer | undefined;
  let authBlock = '';
  try {
    if (auth === 'basic') {
      const htpasswd = join(dir, 'htpasswd');
      await writeFile(htpasswd, `${username}:${bcrypt.hashSync(password, 5)}\n`);
      authBlock = `auth:\n  htpasswd:\n    realm: layerscope-test\n    path: ${htpasswd}\n`;
    } else if (auth === 'token') {
      tokenServer = await startTokenServer({ dir, users: { [username]: password } });
      authBlock =
        `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: ${tokenServer.service}\n` +
        `    issuer: ${tokenServer.issuer}\n    rootcertbundle: ${tokenServer.certPath}\n`;
    }
    // A free port can be taken between probe and bind: try a few.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const config = join(dir, 'config.yml');
      await writeFile(config, configYaml(dir, port, authBlock));
      const child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const keep = (b: Buffer) => {
        out = (out + b.toString()).slice(-4000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitReady(url, child, () => out);
      } catch (e) {
        child.kill('SIGKILL');
        if (attempt < 2 && /address already in use/.test(out)) continue;
        throw e;
      }
      const reg: TestRegistry = {
        host: `127.0.0.1:${port}`,
        url,
        auth,
        dir,
        async stop() {
          if (child.exitCode === null) {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
            if (child.exitCode === null) child.kill('SIGKILL');
          }
          await tokenServer?.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
      if (auth !== 'none') {
        reg.username = username;
        reg.password = password;
      }
      if (tokenServer) reg.tokenServer = tokenServer;
      return reg;
    }
  } catch (e) {
    await tokenServer?.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
