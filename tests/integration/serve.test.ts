/**
 * The server `npm start` runs (scripts/serve.ts), against the built app (a copy of dist/, or
 * of LAYERSCOPE_DIST_DIR; `npm test` builds it first): compressed text with Vary, long-lived
 * hashed assets and a revalidated shell, the Content-Security-Policy and its companions on app
 * pages, no source maps unless asked, the proxy's bytes left alone, and a quiet console.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickEncoding, startServer, type RunningServer } from '../../scripts/serve.ts';

const BUILT = process.env.LAYERSCOPE_DIST_DIR || 'dist';
let dist: string;
let app: RunningServer;
let withMaps: RunningServer;
let upstream: Server;
let upstreamHost: string;
/** Highly compressible, so a compressing middlebox would be noticed. */
const BLOB = Buffer.from('layer bytes that must pass exactly\n'.repeat(4000));
const MAP = 'assets/index-ZZZZZZZZ.js.map';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(server: RunningServer, path: string, headers: Record<string, string> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

/** Assets the built index.html loads. */
const indexHtml = () => readFileSync(join(dist, 'index.html'), 'utf8');
const scriptSrc = () => /<script[^>]*\ssrc="([^"]+)"/.exec(indexHtml())![1]!;

beforeAll(async () => {
  if (!existsSync(join(BUILT, 'index.html'))) {
    throw new Error(`${BUILT}/index.html is missing: run \`npx vite build\` first (npm test does)`);
  }
  dist = mkdtempSync(join(tmpdir(), 'layerscope-serve-built-'));
  cpSync(BUILT, dist, { recursive: true });
  writeFileSync(join(dist, MAP), '{"version":3,"sources":[],"mappings":""}');
  upstream = createServer((req, res) => {
    if (req.url?.startsWith('/v2/engines/blob/blobs/')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BLOB.length });
      res.end(BLOB);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    }
  });
  const port = await new Promise<number>((r) =>
    upstream.listen(0, '127.0.0.1', () => r((upstream.address() as AddressInfo).port)),
  );
  upstreamHost = `127.0.0.1:${port}`;
  app = await startServer({ port: 0, distDir: dist, proxyConfig: { allowHosts: [upstreamHost] } });
  withMaps = await startServer({ port: 0, distDir: dist, sourceMaps: true });
});

afterAll(async () => {
  await app?.close();
  await withMaps?.close();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
  if (dist) rmSync(dist, { recursive: true, force: true });
});

describe('pickEncoding', () => {
  it.each([
    [null, null],
    ['', null],
    ['gzip, deflate, br, zstd', 'br'], // what Chromium sends
    ['gzip, deflate, br', 'br'], // Firefox
    ['gzip, deflate', 'gzip'], // older Safari over http
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=0.5, br;q=0.4', 'gzip'],
    ['gzip;q=0, br;q=0', null],
    ['*', 'br'],
    ['*;q=0, gzip', 'gzip'],
    ['identity', null],
    ['GZIP', 'gzip'],
  ])('%j → %s', (header, want) => {
    expect(pickEncoding(header)).toBe(want);
  });
});

describe('compression', () => {
  it('sends the app’s script brotli-, gzip- or un-compressed as asked, always the same bytes, with Vary', async () => {
    const path = scriptSrc();
    const file = readFileSync(join(dist, path));
    const br = await get(app, path, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(file.length / 2);
    expect(brotliDecompressSync(br.body).equals(file)).toBe(true);

    const gz = await get(app, path, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(file)).toBe(true);

    const plain = await get(app, path);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.equals(file)).toBe(true);

    // Each representation has its own validator; a 304 only for the matching one.
    expect(br.headers.etag).not.toBe(gz.headers.etag);
    expect(br.headers.etag).not.toBe(plain.headers.etag);
    const again = await get(app, path, { 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) });
    expect(again.status).toBe(304);
    const other = await get(app, path, { 'Accept-Encoding': 'gzip', 'If-None-Match': String(br.headers.etag) });
    expect(other.status).toBe(200);
  });

  it('compresses every text type the app ships, and nothing that is binary', async () => {
    const assets = readdirSync(join(dist, 'assets'));
    const css = assets.find((f) => f.endsWith('.css'))!;
    for (const path of ['/index.html', '/sw.js', `/assets/${css}`]) {
      const res = await get(app, path, { 'Accept-Encoding': 'gzip' });
      const size = readFileSync(join(dist, path)).length;
      expect(res.headers['content-encoding'], path).toBe(size >= 1024 ? 'gzip' : undefined);
    }
    for (const path of ['/icons/icon-192.png', '/sample/layerscope-sample.tar']) {
      const res = await get(app, path, { 'Accept-Encoding': 'gzip, br' });
      expect(res.headers['content-encoding'], path).toBeUndefined();
      expect(res.body.equals(readFileSync(join(dist, path))), path).toBe(true);
    }
  });

  it('never compresses the proxy’s responses: registry blobs pass byte for byte', async () => {
    const res = await get(app, `/proxy/${upstreamHost}/v2/engines/blob/blobs/sha256:${'0'.repeat(64)}`, {
      'Accept-Encoding': 'gzip, deflate, br',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.equals(BLOB)).toBe(true);
  });
});

describe('caching', () => {
  it('keeps hashed assets for a year, and revalidates the shell every time', async () => {
    const hashed = await get(app, scriptSrc());
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const path of ['/', '/index.html', '/sw.js', '/manifest.webmanifest', '/images/some/route']) {
      expect((await get(app, path)).headers['cache-control'], path).toBe('no-cache');
    }
  });
});

describe('source maps', () => {
  it('are not served unless asked for', async () => {
    expect((await get(app, `/${MAP}`)).status).toBe(404);
    for (const f of readdirSync(join(dist, 'assets')).filter((n) => n.endsWith('.map'))) {
      expect((await get(app, `/assets/${f}`)).status, f).toBe(404);
    }
    const served = await get(withMaps, `/${MAP}`);
    expect(served.status).toBe(200);
    expect(JSON.parse(served.body.toString())).toMatchObject({ version: 3 });
  });
});

describe('app pages', () => {
  it('carry a Content-Security-Policy without inline script that forbids framing, and its companions', async () => {
    for (const path of ['/', '/index.html', '/images/x']) {
      const res = await get(app, path);
      const csp = String(res.headers['content-security-policy']);
      const directives = new Map(
        csp.split(';').map((d) => {
          const [name, ...values] = d.trim().split(/\s+/);
          return [name!, values] as const;
        }),
      );
      expect(directives.get('frame-ancestors'), path).toEqual(["'none'"]);
      expect(directives.get('script-src'), path).toEqual(["'self'"]);
      expect(directives.get('default-src'), path).toEqual(["'self'"]);
      expect(directives.get('object-src'), path).toEqual(["'none'"]);
      expect(directives.get('base-uri'), path).toEqual(["'none'"]);
      expect(csp).not.toContain('unsafe');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    // Assets need no CSP of their own, but keep nosniff and the referrer policy.
    const js = await get(app, scriptSrc());
    expect(js.headers['content-security-policy']).toBeUndefined();
    expect(js.headers['x-content-type-options']).toBe('nosniff');
  });

  it('the built index.html has nothing a script-src of self would block', () => {
    const html = indexHtml();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\ssrc="\/[^"]+"/); // from this origin
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i); // inline event handlers
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
  });
});

describe('the console', () => {
  function serve(args: string[], env: Record<string, string> = {}): Promise<{ out: string; err: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join('scripts', 'serve.ts'), ...args], {
        env: { ...process.env, PORT: '0', LAYERSCOPE_DIST_DIR: dist, LAYERSCOPE_QUIET: '', LOG: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.stdout.on('data', (c: Buffer) => {
        const first = out === '';
        out += c.toString();
        const m = /running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m && first) {
          Promise.all(['', 'index.html', 'missing.js'].map((p) => fetch(m[1]! + p).then((r) => r.text())))
            // Give a request log line time to be written before stopping.
            .then(() => setTimeout(() => child.kill('SIGINT'), 200), reject);
        }
      });
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('exit', () => {
        clearTimeout(timer);
        resolve({ out, err });
      });
    });
  }

  it('is quiet by default: the URL only', async () => {
    const r = await serve([]);
    expect(r.out.trim().split('\n')).toEqual([expect.stringMatching(/^Layerscope running at http:\/\/127\.0\.0\.1/)]);
    expect(r.err).toBe('');
  });

  it('logs a line per request with --log or LOG=1', async () => {
    for (const [args, env] of [
      [['--log'], {}],
      [[], { LOG: '1' }],
    ] as const) {
      const r = await serve([...args], env);
      expect(r.out).toMatch(/ GET \/index\.html 200 \d+ms/);
      expect(r.out).toMatch(/ GET \/missing\.js 404 \d+ms/);
    }
  });

  it('refuses an unknown option with the list of known ones', async () => {
    const r = await serve(['--verbose']);
    expect(r.err).toContain('unknown option --verbose (known: --log, --sourcemaps)');
  });
});
