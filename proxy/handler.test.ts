/**
 * The proxy handler against real HTTP upstreams on 127.0.0.1: a registry
 * emulation (401 challenge, token, manifest, blob redirects) and a "CDN" on a
 * second port that echoes the headers it received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createProxyHandler, EXPOSE_HEADERS, type ProxyConfig } from './handler.ts';
import { startProxyServer, type ProxyServer } from './server.ts';
import { proxyConfigFromEnv } from './config.ts';
import { nodeUpstreamFetch } from './node-fetch.ts';

const TOKEN = 'secret-token-123';
const BLOB = new Uint8Array(1000).map((_, i) => i % 251);
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  layers: [],
});

let registry: Server;
let cdn: Server;
let regPort = 0;
let cdnPort = 0;
let closedPort = 0;
const hits: string[] = [];
/** Upstream responses that ended before being fully written (client went away). */
const abortedUpstream: string[] = [];
/** Bytes the /big upstream has written so far (for the backpressure check). */
let bigSent = 0;

function listenLocal(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function echo(req: IncomingMessage, res: ServerResponse, host: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ host, url: req.url, headers: req.headers }));
}

/** Writes `total` bytes in 64 KiB chunks, honouring backpressure (generated, never held whole). */
function streamBytes(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  res.on('close', () => {
    if (!res.writableFinished) abortedUpstream.push(`big:${sent}`);
  });
  const pump = (): void => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      bigSent = sent;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

beforeAll(async () => {
  cdn = createServer((req, res) => {
    hits.push(`cdn ${req.url}`);
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/blob') {
      // Echo what arrived, as the body, so the test can see Authorization was dropped.
      return echo(req, res, 'cdn');
    }
    if (url.pathname === '/range') {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (m) {
        const start = Number(m[1]);
        const end = Number(m[2]);
        res.writeHead(206, {
          'content-type': 'application/octet-stream',
          'content-range': `bytes ${start}-${end}/${BLOB.length}`,
          'content-length': String(end - start + 1),
          'accept-ranges': 'bytes',
        });
        return res.end(BLOB.subarray(start, end + 1));
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BLOB.length) });
      return res.end(BLOB);
    }
    res.writeHead(404).end();
  });
  cdnPort = await listenLocal(cdn);

  registry = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    hits.push(`registry ${req.method} ${url.pathname}`);
    const authorized = req.headers.authorization === `Bearer ${TOKEN}`;
    switch (url.pathname) {
      case '/v2/':
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="http://127.0.0.1:${regPort}/token",service="test"`,
          'docker-distribution-api-version': 'registry/2.0',
          'content-type': 'application/json',
        });
        return res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      case '/token':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ token: TOKEN, scope: url.searchParams.get('scope') }));
      case '/v2/lib/app/manifests/latest':
        if (!authorized) {
          res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"' });
          return res.end();
        }
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': 'sha256:abc',
          'content-length': String(Buffer.byteLength(MANIFEST)),
          'set-cookie': 'session=upstream',
          'alt-svc': 'h3=":443"',
          'access-control-allow-origin': '*',
          vary: 'Accept',
          'ratelimit-limit': '100;w=21600',
          'ratelimit-remaining': '99;w=21600',
          connection: 'x-hop',
          'x-hop': 'must-not-pass',
        });
        return res.end(req.method === 'HEAD' ? undefined : MANIFEST);
      case '/v2/lib/app/blobs/sha256:first':
        // same-host hop, then a hop to the CDN
        res.writeHead(307, { location: '/v2/lib/app/blobs/sha256:second' });
        return res.end();
      case '/v2/lib/app/blobs/sha256:second':
        hits.push(`second-auth ${req.headers.authorization ?? 'none'}`);
        res.writeHead(307, { location: `http://127.0.0.1:${cdnPort}/blob?sig=signed` });
        return res.end();
      case '/v2/lib/app/blobs/sha256:ranged':
        res.writeHead(302, { location: `http://127.0.0.1:${cdnPort}/range` });
        return res.end();
      case '/echo':
        return echo(req, res, 'registry');
      case '/to-evil':
        res.writeHead(302, { location: 'https://evil.example.com/steal' });
        return res.end();
      case '/to-private':
        res.writeHead(302, { location: 'http://10.0.0.5/' });
        return res.end();
      case '/to-unlisted-loopback':
        res.writeHead(302, { location: `http://127.0.0.1:${closedPort}/` });
        return res.end();
      case '/to-plain-http':
        res.writeHead(302, { location: 'http://quay.io/v2/' });
        return res.end();
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        return res.end();
      case '/big': {
        const size = Number(url.searchParams.get('mb') ?? 50) * 1024 * 1024;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
        return streamBytes(res, size);
      }
      case '/hang':
        return; // never answers
      case '/stall':
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' });
        res.write(Buffer.alloc(1000));
        return; // then silence
      case '/trickle': {
        // a byte every 50 ms, forever: never idle, never done
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const t = setInterval(() => res.write('x'), 50);
        res.on('close', () => clearInterval(t));
        return;
      }
      case '/gzipped': {
        // a server that encodes although asked for identity: fetch decodes, headers must follow
        hits.push(`gzipped accept-encoding ${req.headers['accept-encoding']}`);
        const gz = gzipSync(MANIFEST);
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': String(gz.length),
        });
        return res.end(gz);
      }
      case '/chunked':
        res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no Content-Length
        return res.end(Buffer.alloc(5000));
      case '/not-modified':
        res.writeHead(304, { etag: '"x"' });
        return res.end();
      default:
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
    }
  });
  regPort = await listenLocal(registry);

  const closed = createServer();
  closedPort = await listenLocal(closed);
  await new Promise<void>((r) => closed.close(() => r()));
});

afterAll(async () => {
  registry.closeAllConnections();
  cdn.closeAllConnections();
  await Promise.all([new Promise((r) => registry.close(r)), new Promise((r) => cdn.close(r))]);
});

const APP = 'http://127.0.0.1:8080';
const reg = (): string => `127.0.0.1:${regPort}`;

function handler(extra: ProxyConfig = {}) {
  return createProxyHandler({ allowHosts: [reg(), `127.0.0.1:${cdnPort}`], ...extra });
}

function get(h: ReturnType<typeof handler>, path: string, init: RequestInit = {}): Promise<Response> {
  return h(new Request(`${APP}${path}`, init));
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { errors: { code: string; message: string }[] };
  expect(body.errors).toHaveLength(1);
  return body.errors[0]!;
}

describe('CORS', () => {
  it('answers preflight itself and never forwards it', async () => {
    const before = hits.length;
    const res = await get(handler(), `/proxy/${reg()}/v2/lib/app/manifests/latest`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:5173',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization, range, if-none-match, x-evil',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    const allowHeaders = res.headers.get('access-control-allow-headers')!;
    expect(allowHeaders).toContain('Authorization');
    expect(allowHeaders).toContain('Range');
    expect(allowHeaders).toContain('If-None-Match');
    expect(allowHeaders.toLowerCase()).not.toContain('x-evil');
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(res.headers.get('vary')).toContain('Origin');
    expect(hits.length).toBe(before);
  });

  it('exposes the registry headers and passes the challenge through', async () => {
    const res = await get(handler(), `/proxy/${reg()}/v2/`, { headers: { Origin: APP } });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-expose-headers')).toBe(EXPOSE_HEADERS);
    for (const h of [
      'WWW-Authenticate',
      'Docker-Content-Digest',
      'Content-Range',
      'Link',
      'ratelimit-remaining',
      'Retry-After',
    ]) {
      expect(EXPOSE_HEADERS).toContain(h);
    }
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="http://127.0.0.1:${regPort}/token",service="test"`);
    expect((await res.json()) as unknown).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }],
    });
  });

  it('refuses an origin that is not allowed, by default and when configured', async () => {
    const res = await get(handler(), `/proxy/${reg()}/v2/`, { headers: { Origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await errorOf(res)).code).toBe('ORIGIN_NOT_ALLOWED');

    const strict = handler({ allowOrigins: ['https://app.example'] });
    expect((await get(strict, `/proxy/${reg()}/v2/`, { headers: { Origin: 'http://localhost:5173' } })).status).toBe(
      403,
    );
    const ok = await get(strict, `/proxy/${reg()}/v2/`, { headers: { Origin: 'https://app.example' } });
    expect(ok.status).toBe(401);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');

    const any = handler({ allowOrigins: ['*'] });
    expect((await get(any, `/proxy/${reg()}/v2/`, { headers: { Origin: 'https://elsewhere.example' } })).status).toBe(
      401,
    );
  });

  it('allows the same origin and local dev origins by default; a port pattern does not match a longer host', async () => {
    const h = handler();
    for (const origin of [APP, 'http://localhost:5173', 'http://127.0.0.1:4173', 'http://localhost']) {
      expect((await get(h, `/proxy/${reg()}/v2/`, { headers: { Origin: origin } })).status).toBe(401);
    }
    for (const origin of [
      'http://localhost.evil.example',
      'http://localhost:5173.evil.example',
      'https://localhost:5173',
      'null',
    ]) {
      expect((await get(h, `/proxy/${reg()}/v2/`, { headers: { Origin: origin } })).status).toBe(403);
    }
  });
});

describe('forwarding', () => {
  it('forwards Authorization/Accept, never cookies; strips hop-by-hop and origin-scoped response headers', async () => {
    const res = await get(handler(), `/proxy/${reg()}/echo?x=1`, {
      headers: { Authorization: 'Bearer abc', Accept: 'application/json', Cookie: 'app=secret', 'X-Custom': 'no' },
    });
    const seen = (await res.json()) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/echo?x=1');
    expect(seen.headers.authorization).toBe('Bearer abc');
    expect(seen.headers.accept).toBe('application/json');
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers['x-custom']).toBeUndefined();

    const m = await get(handler(), `/proxy/${reg()}/v2/lib/app/manifests/latest`, {
      headers: { Authorization: `Bearer ${TOKEN}`, Origin: APP },
    });
    expect(m.status).toBe(200);
    expect(await m.text()).toBe(MANIFEST);
    expect(m.headers.get('docker-content-digest')).toBe('sha256:abc');
    expect(m.headers.get('ratelimit-remaining')).toBe('99;w=21600');
    expect(m.headers.get('set-cookie')).toBeNull();
    expect(m.headers.get('alt-svc')).toBeNull();
    expect(m.headers.get('x-hop')).toBeNull();
    expect(m.headers.get('access-control-allow-origin')).toBe(APP);
    expect(m.headers.get('vary')).toBe('Origin, Accept');
    expect(m.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('asks for identity coding; an encoded answer is refused on a decoding fetch, passed byte for byte on a raw one', async () => {
    // The global fetch decodes gzip: the bytes left are not the ones a digest covers.
    const res = await get(handler(), `/proxy/${reg()}/gzipped`);
    expect(hits).toContain('gzipped accept-encoding identity');
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe('UPSTREAM_ENCODED');
    // Node's raw upstream fetch (what `npm start` / `npm run proxy` use): exact bytes, no coding label.
    const raw = await get(
      handler({ fetch: nodeUpstreamFetch as typeof fetch, rawUpstreamBodies: true }),
      `/proxy/${reg()}/gzipped`,
    );
    expect(raw.headers.get('content-encoding')).toBeNull();
    const gz = gzipSync(MANIFEST);
    expect(raw.headers.get('content-length')).toBe(String(gz.length));
    expect(Buffer.from(await raw.arrayBuffer()).equals(gz)).toBe(true);
  });

  it('passes the token endpoint query through', async () => {
    const scope = 'repository:lib/app:pull';
    const res = await get(handler(), `/proxy/${reg()}/token?service=test&scope=${encodeURIComponent(scope)}`);
    expect(await res.json()).toEqual({ token: TOKEN, scope });
  });

  it('HEAD has headers and no body; 304 passes through', async () => {
    const res = await get(handler(), `/proxy/${reg()}/v2/lib/app/manifests/latest`, {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(MANIFEST.length));
    expect(res.body).toBeNull();
    expect((await get(handler(), `/proxy/${reg()}/not-modified`)).status).toBe(304);
  });

  it('follows blob redirects itself, keeping Authorization on the same host and dropping it at the CDN', async () => {
    const res = await get(handler(), `/proxy/${reg()}/v2/lib/app/blobs/sha256:first`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { host: string; url: string; headers: Record<string, string> };
    expect(seen.host).toBe('cdn');
    expect(seen.url).toBe('/blob?sig=signed');
    expect(seen.headers.authorization).toBeUndefined();
    expect(hits).toContain(`second-auth Bearer ${TOKEN}`);
  });

  it('forwards Range and passes 206 + Content-Range through a redirect', async () => {
    const res = await get(handler(), `/proxy/${reg()}/v2/lib/app/blobs/sha256:ranged`, {
      headers: { Range: 'bytes=10-19', Origin: APP },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(BLOB.subarray(10, 20));
  });

  it('answers GET {basePath} with JSON about itself', async () => {
    const res = await get(handler(), '/proxy/', { headers: { Origin: APP } });
    expect(res.status).toBe(200);
    const info = (await res.json()) as { version: string; pathScheme: string; allowHosts: string[] };
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.pathScheme).toBe('/proxy/{host[:port]}/{path}?{query}');
    expect(info.allowHosts).toContain('registry-1.docker.io');
    expect(info.allowHosts).toContain(reg());
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });
});

describe('refusals', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('%s → 405 with Allow', async (method) => {
    const before = hits.length;
    const res = await get(handler(), `/proxy/${reg()}/echo`, { method, headers: { Origin: APP } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect((await errorOf(res)).code).toBe('METHOD_NOT_ALLOWED');
    expect(hits.length).toBe(before);
  });

  it('refuses hosts off the allowlist with a message that says what to do', async () => {
    const res = await get(handler(), '/proxy/evil.example.com/v2/', { headers: { Origin: APP } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(await errorOf(res)).toEqual({
      code: 'HOST_NOT_ALLOWED',
      message: 'layerscope proxy: host "evil.example.com" is not allowed; add it to PROXY_ALLOW_HOSTS',
    });
  });

  it.each([
    '127.0.0.1:1234',
    'localhost:1234',
    '[::1]:1234',
    '2130706433:1234', // 127.0.0.1 in decimal
    '[::ffff:127.0.0.1]',
    '10.0.0.1',
    '192.168.0.10:5000',
    '169.254.169.254',
    '0.0.0.0',
    '[fd00::1]',
  ])('refuses private/loopback %s unless listed', async (host) => {
    const res = await get(handler({ allowHosts: ['127.0.0.*:1234', '*.internal.example'] }), `/proxy/${host}/v2/`);
    expect(res.status).toBe(403);
    const err = await errorOf(res);
    expect(err.code).toBe('HOST_NOT_ALLOWED');
    expect(err.message).toContain('PROXY_ALLOW_HOSTS');
  });

  it('an exact PROXY_ALLOW_HOSTS entry opens a loopback registry (over plain http)', async () => {
    const res = await get(
      createProxyHandler(proxyConfigFromEnv({ PROXY_ALLOW_HOSTS: ` ${reg()} ` })),
      `/proxy/${reg()}/v2/`,
    );
    expect(res.status).toBe(401);
    // listed with its port only: another port on the same address stays closed
    expect((await get(handler(), `/proxy/127.0.0.1:${closedPort}/`)).status).toBe(403);
  });

  it('refuses a name that resolves to a private address (DNS rebinding guard)', async () => {
    let fetched = 0;
    const h = createProxyHandler({
      defaultAllowHosts: ['*.example.com'],
      resolveHost: async (name) =>
        name === 'rebound.example.com' ? ['93.184.216.34', '127.0.0.1'] : ['93.184.216.34'],
      fetch: async () => {
        fetched++;
        return new Response('ok');
      },
    });
    const res = await get(h, '/proxy/rebound.example.com/v2/');
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toMatch(/resolves to a loopback address \(127\.0\.0\.1\)/);
    expect(fetched).toBe(0);
    expect((await get(h, '/proxy/fine.example.com/v2/')).status).toBe(200);
    expect(fetched).toBe(1);
  });

  it.each([
    ['/to-evil', 'evil.example.com'],
    ['/to-private', '10.0.0.5'],
    ['/to-unlisted-loopback', '127.0.0.1:'],
    ['/to-plain-http', 'quay.io'],
  ])('refuses a redirect %s to a host that is not allowed', async (path, host) => {
    const res = await get(handler(), `/proxy/${reg()}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(403);
    const err = await errorOf(res);
    expect(err.code).toBe('HOST_NOT_ALLOWED');
    expect(err.message).toContain(`redirect target host "${host}`);
    expect(err.message).not.toContain(TOKEN);
  });

  it('stops after 5 redirects', async () => {
    const res = await get(handler(), `/proxy/${reg()}/loop`);
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe('TOO_MANY_REDIRECTS');
  });

  it.each(['/proxy/user@127.0.0.1/v2/', '/proxy/%3Cscript%3E/x', '/proxy/a%2fb/v2/'])(
    'rejects a malformed host in %s',
    async (path) => {
      const res = await get(handler(), path);
      expect(res.status).toBe(400);
      const err = await errorOf(res);
      expect(err.code).toBe('BAD_PATH');
      expect(err.message).toContain('/proxy/{host[:port]}/{path}?{query}');
    },
  );

  it('upstream down → 502 naming the host, without the query string', async () => {
    const res = await get(
      handler({ allowHosts: [`127.0.0.1:${closedPort}`] }),
      `/proxy/127.0.0.1:${closedPort}/v2/?token=${TOKEN}`,
      {
        headers: { Origin: APP },
      },
    );
    expect(res.status).toBe(502);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    const err = await errorOf(res);
    expect(err.code).toBe('UPSTREAM_UNREACHABLE');
    expect(err.message).toBe(
      `layerscope proxy: could not reach "127.0.0.1:${closedPort}": connection refused (ECONNREFUSED)`,
    );
  });

  it('times out waiting for headers → 504', async () => {
    const started = Date.now();
    const res = await get(handler({ headersTimeoutMs: 300 }), `/proxy/${reg()}/hang`);
    expect(res.status).toBe(504);
    expect((await errorOf(res)).code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('errors the body when upstream goes idle mid-stream', async () => {
    const res = await get(handler({ idleTimeoutMs: 300 }), `/proxy/${reg()}/stall`);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('bounds a whole exchange even when the body keeps trickling', async () => {
    const started = Date.now();
    const res = await get(handler({ idleTimeoutMs: 1000, maxDurationMs: 400 }), `/proxy/${reg()}/trickle`);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('counts body bytes when there is no Content-Length', async () => {
    const res = await get(handler({ maxBodyBytes: 1000 }), `/proxy/${reg()}/chunked`);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow(/over the 1000-byte limit/);
    expect(
      (await get(handler({ maxBodyBytes: 5000 }), `/proxy/${reg()}/chunked`).then((r) => r.arrayBuffer())).byteLength,
    ).toBe(5000);
  });

  it('refuses a body over maxBodyBytes (Content-Length check)', async () => {
    const res = await get(handler({ maxBodyBytes: 10 }), `/proxy/${reg()}/v2/lib/app/manifests/latest`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe('BODY_TOO_LARGE');
  });
});

describe('through the Node adapter', () => {
  let proxy: ProxyServer;
  beforeAll(async () => {
    proxy = await startProxyServer({ port: 0, proxyConfig: { allowHosts: [reg()] } });
  });
  afterAll(() => proxy.close());

  /** GETs url through the proxy and drains it; returns the bytes received and the peak RSS growth. */
  async function drain(url: string): Promise<{ received: number; rssGrowth: number }> {
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      httpRequest(url, (res) => {
        expect(res.statusCode).toBe(200);
        res.on('data', (c: Buffer) => {
          received += c.length;
          if ((received & 0xfffff) < c.length) peak = Math.max(peak, process.memoryUsage().rss);
        });
        res.on('end', resolve);
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    return { received, rssGrowth: peak - rssBefore };
  }

  it('streams a 50 MB body with bounded memory', async () => {
    await drain(`${proxy.url}${reg()}/big`); // warm-up: JIT, undici and socket pools grow RSS once
    const { received, rssGrowth } = await drain(`${proxy.url}${reg()}/big`);
    expect(received).toBe(50 * 1024 * 1024);
    // Buffering the body anywhere would cost ≥ 50 MB; streaming stays well under.
    expect(rssGrowth).toBeLessThan(40 * 1024 * 1024);
  });

  it('applies backpressure: a client that stops reading stops the upstream', async () => {
    let sentWhilePaused = 0;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}${reg()}/big?mb=500`, (res) => {
        res.once('data', () => {
          res.pause();
          setTimeout(() => {
            sentWhilePaused = bigSent;
            req.destroy();
            resolve();
          }, 700);
        });
      });
      req.on('error', (e) => (req.destroyed ? resolve() : reject(e)));
      req.end();
    });
    // Only the two loopback sockets' buffers and the stream queues fill up
    // (~10-25 MB on Linux), not the 500 MB body.
    expect(sentWhilePaused).toBeGreaterThan(0);
    expect(sentWhilePaused).toBeLessThan(64 * 1024 * 1024);
  });

  it('aborts the upstream transfer when the client disconnects', async () => {
    const before = abortedUpstream.length;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}${reg()}/big`, (res) => {
        let got = 0;
        res.on('data', (c: Buffer) => {
          got += c.length;
          if (got > 1024 * 1024) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (req.destroyed ? resolve() : reject(e)));
      req.end();
    });
    const deadline = Date.now() + 5000;
    while (abortedUpstream.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(abortedUpstream.length).toBe(before + 1);
  });

  it('standalone basePath is /, and a foreign Host header is refused', async () => {
    const ok = await fetch(`${proxy.url}${reg()}/v2/`);
    expect(ok.status).toBe(401);
    const info = (await (await fetch(proxy.url)).json()) as { pathScheme: string };
    expect(info.pathScheme).toBe('/{host[:port]}/{path}?{query}');
    const status = await new Promise<number>((resolve, reject) => {
      httpRequest(`${proxy.url}${reg()}/v2/`, { headers: { Host: `rebound.example.com:${proxy.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
  });
});

describe('proxyConfigFromEnv', () => {
  it('reads the variables', () => {
    const c = proxyConfigFromEnv({
      PROXY_ALLOW_HOSTS: 'localhost:5000, registry.example.com',
      PROXY_ALLOW_ORIGINS: 'https://app.example,http://localhost:*',
      PROXY_TIMEOUT_MS: '1000',
      PROXY_MAX_BODY_BYTES: '5',
    });
    expect(c).toMatchObject({
      allowHosts: ['localhost:5000', 'registry.example.com'],
      allowOrigins: ['https://app.example', 'http://localhost:*'],
      headersTimeoutMs: 1000,
      maxBodyBytes: 5,
    });
  });
  it('names the variable and entry when one is wrong', () => {
    expect(() => proxyConfigFromEnv({ PROXY_ALLOW_HOSTS: 'ok.example,bad host' })).toThrow(
      /PROXY_ALLOW_HOSTS: invalid host entry "bad host"/,
    );
    expect(() => proxyConfigFromEnv({ PROXY_ALLOW_ORIGINS: 'app.example' })).toThrow(
      /PROXY_ALLOW_ORIGINS: invalid origin "app.example"/,
    );
    expect(() => proxyConfigFromEnv({ PROXY_TIMEOUT_MS: '-1' })).toThrow(/PROXY_TIMEOUT_MS/);
  });
});
