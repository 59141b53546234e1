/**
 * scripts/serve.ts — the server `npm start` runs: static app from a temp dist
 * dir, the proxy on the same origin at /proxy/, traversal refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../scripts/serve.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'TOP-SECRET-OUTSIDE-DIST';
let tmp: string;
let dist: string;
let app: RunningServer;
let registry: Server;
let regPort = 0;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'layerscope-serve-'));
  dist = join(tmp, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await mkdir(join(dist, 'icons'), { recursive: true });
  await writeFile(join(tmp, 'secret.txt'), SECRET);
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>Layerscope</title>');
  await writeFile(join(dist, 'sw.js'), 'self.addEventListener("install", () => {});');
  await writeFile(join(dist, 'registerSW.js'), '// register');
  await writeFile(join(dist, 'manifest.webmanifest'), '{"name":"Layerscope"}');
  await writeFile(join(dist, 'assets', 'index-Ab12Cd34.js'), 'console.log(1)');
  await writeFile(join(dist, 'assets', 'index-Ef56Gh78.css'), 'body{}');
  await writeFile(join(dist, 'icons', 'icon-192.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await writeFile(join(dist, 'icons', 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await symlink(join(tmp, 'secret.txt'), join(dist, 'link.txt'));

  registry = createServer((req, res) => {
    res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"', 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  regPort = await new Promise<number>((r) =>
    registry.listen(0, '127.0.0.1', () => r((registry.address() as AddressInfo).port)),
  );
  app = await startServer({ port: 0, distDir: dist, proxyConfig: { allowHosts: [`127.0.0.1:${regPort}`] } });
});

afterAll(async () => {
  await app?.close();
  registry?.closeAllConnections();
  await new Promise((r) => registry?.close(r));
  await rm(tmp, { recursive: true, force: true });
});

/** Sends the path exactly as written (fetch would normalise `..` away before sending). */
function raw(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port: app.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('static app', () => {
  it('prints a 127.0.0.1 URL', () => {
    expect(app.url).toBe(`http://127.0.0.1:${app.port}/`);
  });

  it.each([
    ['/', 'text/html; charset=utf-8', 'no-cache'],
    ['/index.html', 'text/html; charset=utf-8', 'no-cache'],
    ['/sw.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/registerSW.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/manifest.webmanifest', 'application/manifest+json; charset=utf-8', 'no-cache'],
    ['/assets/index-Ab12Cd34.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/assets/index-Ef56Gh78.css', 'text/css; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/icons/icon-192.png', 'image/png', 'no-cache'],
    ['/icons/icon.svg', 'image/svg+xml', 'no-cache'],
  ])('%s → %s, %s', async (path, type, cache) => {
    const res = await raw(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe(cache);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('falls back to index.html for app routes, 404 for missing files', async () => {
    for (const path of ['/images', '/images/ubuntu/latest', '/settings?x=1']) {
      const res = await raw(path);
      expect(res.status).toBe(200);
      expect(res.body).toContain('<title>Layerscope</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    for (const path of ['/missing.js', '/assets/index-00000000.js', '/favicon.ico']) {
      expect((await raw(path)).status).toBe(404);
    }
  });

  it('answers a matching ETag with 304 and refuses other methods', async () => {
    const first = await raw('/sw.js');
    const again = await raw('/sw.js', { 'If-None-Match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    const post = await new Promise<number>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: app.port, path: '/index.html', method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(post).toBe(405);
  });

  it.each([
    '/../secret.txt',
    '/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..%5csecret.txt',
    '/%2e%2e%5c%2e%2e%5csecret.txt',
    '/..\\secret.txt',
    '/secret.txt%00.html',
    '/link.txt', // a symlink inside dist pointing outside
  ])('never serves a file outside dist: %s', async (path) => {
    const res = await raw(path);
    expect(res.body).not.toContain(SECRET);
    expect([400, 404]).toContain(res.status);
  });

  it('refuses a Host header that is not this machine (DNS rebinding)', async () => {
    expect((await raw('/', { Host: `attacker.example:${app.port}` })).status).toBe(403);
    expect((await raw('/', { Host: `localhost:${app.port}` })).status).toBe(200);
  });

  it('says clearly when the port is taken', async () => {
    await expect(startServer({ port: app.port, distDir: dist })).rejects.toThrow(
      `port ${app.port} on 127.0.0.1 is already in use`,
    );
  });

  it('says clearly when dist/ has not been built', async () => {
    await expect(startServer({ port: 0, distDir: join(tmp, 'nope') })).rejects.toThrow(
      /index\.html not found; build the app first/,
    );
  });
});

describe('proxy on the same origin', () => {
  it('is mounted at /proxy/', async () => {
    const res = await fetch(`${app.url}proxy/127.0.0.1:${regPort}/v2/library/x/manifests/latest?n=1`, {
      headers: { Origin: app.url.slice(0, -1) },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="x"');
    expect(res.headers.get('access-control-allow-origin')).toBe(app.url.slice(0, -1));
    expect(await res.json()).toEqual({ path: '/v2/library/x/manifests/latest?n=1' });
  });

  it('answers /proxy/ with its info and refuses hosts off the list', async () => {
    const info = (await (await fetch(`${app.url}proxy/`)).json()) as { pathScheme: string };
    expect(info.pathScheme).toBe('/proxy/{host[:port]}/{path}?{query}');
    const refused = await fetch(`${app.url}proxy/127.0.0.1:1/v2/`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('HOST_NOT_ALLOWED');
  });
});

describe('the serve.ts command (node --import tsx)', () => {
  function runServe(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join('scripts', 'serve.ts')], {
        cwd: ROOT,
        env: { ...process.env, LAYERSCOPE_QUIET: '1', LAYERSCOPE_DIST_DIR: dist, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /Layerscope running at (http:\/\/127\.0\.0\.1:\d+\/) \(proxy at \1proxy\/\)/.exec(out);
        if (m) {
          // Prove it serves, then stop it the way Ctrl-C would.
          fetch(m[1]!)
            .then((r) => r.text())
            .then((body) => {
              expect(body).toContain('<title>Layerscope</title>');
              child.kill('SIGINT');
            }, reject);
        }
      });
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
  }

  it('prints the URL, serves, and exits 0 on SIGINT', async () => {
    const r = await runServe({ PORT: '0' });
    expect(r.out).toMatch(
      /Layerscope running at http:\/\/127\.0\.0\.1:\d+\/ \(proxy at http:\/\/127\.0\.0\.1:\d+\/proxy\/\)/,
    );
    expect(r.code).toBe(0);
  });

  it('exits non-zero with a clear message when the port is taken', async () => {
    const r = await runServe({ PORT: String(app.port) });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`layerscope: port ${app.port} on 127.0.0.1 is already in use`);
  });
});
