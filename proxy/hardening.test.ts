/**
 * The proxy as an attacker would try it: request targets that smuggle an
 * origin, upstream headers that would change how the browser treats the
 * app's origin, a CDN that gzips although asked for identity, clients that
 * stop reading or open too many requests. Each case runs against the edge
 * handler (a fetch Request built directly) and the Node adapter (real HTTP
 * over 127.0.0.1, raw sockets where fetch would normalise the path), the two
 * standalone (`npm run proxy`, basePath `/`) and under `npm start`
 * (scripts/serve.ts, basePath `/proxy/`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createProxyHandler, type ProxyConfig } from './handler.ts';
import { proxyConfigFromEnv } from './config.ts';
import { startProxyServer, type ProxyServer } from './server.ts';
import { startServer, type RunningServer } from '../scripts/serve.ts';

const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}';
/** A "layer" whose digest covers these gzip bytes; the CDN also labels them Content-Encoding: gzip. */
const LAYER_GZ = gzipSync(Buffer.from('layer tar bytes '.repeat(4000)));
const LAYER_DIGEST = createHash('sha256').update(LAYER_GZ).digest('hex');
const EVIL = 'http://evil.example';

/** Headers a hostile or careless upstream sends that must never reach the app's origin. */
const HOSTILE_HEADERS: Record<string, string> = {
  'service-worker-allowed': '/',
  refresh: '0; url=https://evil.example/',
  'set-cookie': 'session=upstream; Path=/',
  'clear-site-data': '"storage"',
  'content-security-policy': "script-src 'unsafe-inline'",
  'content-security-policy-report-only': "default-src 'none'",
  'origin-agent-cluster': '?0',
  'cross-origin-opener-policy': 'unsafe-none',
  'cross-origin-embedder-policy': 'require-corp',
  'permissions-policy': 'camera=*',
  'accept-ch': 'Sec-CH-UA-Full-Version-List',
  'supports-loading-mode': 'credentialed-prerender',
  'speculation-rules': '"/rules.json"',
  'content-disposition': 'attachment; filename=x.html',
  'x-frame-options': 'ALLOWALL',
  'alt-svc': 'h3=":443"',
  'strict-transport-security': 'max-age=1',
  'timing-allow-origin': '*',
};
const PRELOAD_LINK = '</sw.js>; rel="serviceworker", </evil.js>; rel=modulepreload';
const NEXT_LINK = '</v2/_catalog?last=b&n=2>; rel="next"';

let registry: Server;
let regPort = 0;
const reg = (): string => `127.0.0.1:${regPort}`;
/** Upstream responses torn down before they were fully written, by path. */
const aborted: string[] = [];
/** Requests the upstream received, by path. */
const hits: string[] = [];
/** Requests held open by /hold until released. */
const held: ServerResponse[] = [];

function streamBytes(res: ServerResponse, total: number, name: string): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  res.on('close', () => {
    if (!res.writableFinished) aborted.push(name);
  });
  const pump = (): void => {
    while (sent < total) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

beforeAll(async () => {
  registry = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    hits.push(url.pathname);
    switch (url.pathname) {
      case '/v2/lib/app/manifests/latest':
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': 'sha256:abc',
          link: `${NEXT_LINK}, ${PRELOAD_LINK}`,
          ...HOSTILE_HEADERS,
        });
        return res.end(MANIFEST);
      case '/token': // not a registry API path: no Link at all
        res.writeHead(200, { 'content-type': 'application/json', link: NEXT_LINK, ...HOSTILE_HEADERS });
        return res.end('{"token":"t"}');
      case '/v2/lib/app/blobs/sha256:gz':
        // An S3-style CDN: stored bytes labelled Content-Encoding: gzip, sent whatever was asked.
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-encoding': 'gzip',
          'content-length': String(LAYER_GZ.length),
        });
        return res.end(req.method === 'HEAD' ? undefined : LAYER_GZ);
      case '/v2/lib/app/blobs/sha256:big':
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(2 ** 30) });
        return streamBytes(res, 2 ** 30, url.searchParams.get('name') ?? 'big');
      case '/v2/hold':
        held.push(res);
        return; // answered by release()
      default:
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"unknown"}]}');
    }
  });
  regPort = await new Promise<number>((r) =>
    registry.listen(0, '127.0.0.1', () => r((registry.address() as AddressInfo).port)),
  );
});

afterAll(async () => {
  registry.closeAllConnections();
  await new Promise((r) => registry.close(r));
});

function releaseHeld(): void {
  for (const res of held.splice(0)) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  }
}

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Sends `head` byte for byte over a fresh socket (from `localAddress`) and reads the whole answer. */
function rawHttp(port: number, head: string, localAddress = '127.0.0.1'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, split).split('\r\n');
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        const k = l.slice(0, i).trim().toLowerCase();
        headers.set(k, headers.has(k) ? `${headers.get(k)}, ${l.slice(i + 1).trim()}` : l.slice(i + 1).trim());
      }
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
    socket.write(head);
  });
}

function rawGet(port: number, target: string, extra = '', method = 'GET', localAddress?: string): Promise<RawResponse> {
  return rawHttp(
    port,
    `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${EVIL}\r\n${extra}Connection: close\r\n\r\n`,
    localAddress,
  );
}

/** Every way found to put an origin into a request target (the path after it is the proxied one). */
function smuggledTargets(base: string): [string, string][] {
  const p = `${base}${reg()}/v2/lib/app/manifests/latest`;
  return [
    ['//origin', `//evil.example${p}`],
    ['\\\\origin', `\\\\evil.example${p}`],
    ['/\\origin', `/\\evil.example${p}`],
    ['/%2F%2Forigin', `/%2F%2Fevil.example${p}`],
    ['/%2f/origin', `/%2f/evil.example${p}`],
    ['/%5C%5Corigin', `/%5C%5Cevil.example${p}`],
    ['absolute-form', `http://evil.example${p}`],
    ['absolute-form, own host', `http://127.0.0.1${p}`],
  ];
}

function expectRefusedWithoutCors(r: RawResponse | Response, body: string): void {
  expect(r.status).toBe(400);
  const acao =
    r instanceof Response ? r.headers.get('access-control-allow-origin') : r.headers.get('access-control-allow-origin');
  expect(acao ?? null).toBeNull();
  expect(body).not.toContain('schemaVersion');
  expect(body).toContain('BAD_PATH');
}

describe('origin smuggled in the request target', () => {
  let standalone: ProxyServer;
  let app: RunningServer;
  let dist: string;
  beforeAll(async () => {
    standalone = await startProxyServer({ port: 0, proxyConfig: { allowHosts: [reg()] } });
    dist = await mkdtemp(join(tmpdir(), 'layerscope-hardening-'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Layerscope</title>');
    app = await startServer({ port: 0, distDir: dist, proxyConfig: { allowHosts: [reg()] } });
  });
  afterAll(async () => {
    await standalone.close();
    await app.close();
    await rm(dist, { recursive: true, force: true });
  });

  for (const [where, base] of [
    ['npm run proxy (basePath /)', '/'],
    ['npm start (/proxy/)', '/proxy/'],
  ] as const) {
    const port = (): number => (base === '/' ? standalone.port : app.port);
    it.each(smuggledTargets(base))(`${where}: GET %s is refused without CORS headers`, async (name, target) => {
      const r = await rawGet(port(), target);
      // Node's HTTP parser itself answers a target starting with a backslash with a bare 400.
      expectRefusedWithoutCors(r, name === '\\\\origin' && r.body === '' ? 'BAD_PATH' : r.body);
    });
    it(`${where}: the credentialed preflight through //origin fails`, async () => {
      const r = await rawGet(
        port(),
        `//evil.example${base}${reg()}/v2/lib/app/manifests/latest`,
        'Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: authorization\r\n',
        'OPTIONS',
      );
      expectRefusedWithoutCors(r, r.body);
    });
    it(`${where}: the same path without the smuggled origin is served, and the evil origin refused`, async () => {
      const r = await rawGet(port(), `${base}${reg()}/v2/lib/app/manifests/latest`);
      expect(r.status).toBe(403);
      expect(r.body).toContain('ORIGIN_NOT_ALLOWED');
      expect(r.headers.get('access-control-allow-origin')).toBeUndefined();
    });
  }

  it.each([
    ['//origin', `http://127.0.0.1:8080//evil.example/proxy/REG/v2/lib/app/manifests/latest`],
    ['/%2F%2Forigin', `http://127.0.0.1:8080/%2F%2Fevil.example/proxy/REG/v2/lib/app/manifests/latest`],
    ['/%5C%5Corigin', `http://127.0.0.1:8080/%5C%5Cevil.example/proxy/REG/v2/lib/app/manifests/latest`],
    ['/proxy//origin', `http://127.0.0.1:8080/proxy//evil.example/REG/v2/lib/app/manifests/latest`],
    ['/proxy/%2F%2Forigin', `http://127.0.0.1:8080/proxy/%2F%2Fevil.example/REG/v2/`],
  ])('edge handler: %s is refused as BAD_PATH without CORS headers', async (_, url) => {
    const h = createProxyHandler({ allowHosts: [reg()] });
    for (const origin of [undefined, 'http://127.0.0.1:8080', EVIL]) {
      const res = await h(new Request(url.replace('REG', reg()), { headers: origin ? { Origin: origin } : {} }));
      expectRefusedWithoutCors(res, await res.text());
    }
  });
});

describe('upstream response headers', () => {
  function checkHeaders(get: (name: string) => string | null | undefined, apiPath: boolean): void {
    for (const name of Object.keys(HOSTILE_HEADERS)) {
      if (name === 'content-security-policy') continue; // replaced by our own, checked below
      expect([name, get(name) ?? null]).toEqual([name, null]);
    }
    expect(get('content-security-policy')).toBe("default-src 'none'; sandbox");
    // Only pagination links, and only on registry API paths.
    expect(get('link') ?? null).toBe(apiPath ? NEXT_LINK : null);
  }

  it('edge handler: only the allowlisted headers pass; Link only for pagination on /v2/', async () => {
    const h = createProxyHandler({ allowHosts: [reg()] });
    const m = await h(new Request(`http://127.0.0.1:8080/proxy/${reg()}/v2/lib/app/manifests/latest`));
    expect(await m.text()).toBe(MANIFEST);
    expect(m.headers.get('docker-content-digest')).toBe('sha256:abc');
    checkHeaders((n) => m.headers.get(n), true);
    const t = await h(new Request(`http://127.0.0.1:8080/proxy/${reg()}/token`));
    checkHeaders((n) => t.headers.get(n), false);
  });

  it('Node adapter: the same over real HTTP', async () => {
    const proxy = await startProxyServer({ port: 0, proxyConfig: { allowHosts: [reg()] } });
    try {
      const m = await rawHttp(
        proxy.port,
        `GET /${reg()}/v2/lib/app/manifests/latest HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      expect(m.status).toBe(200);
      expect(m.headers.get('docker-content-digest')).toBe('sha256:abc');
      checkHeaders((n) => m.headers.get(n), true);
      const t = await rawHttp(
        proxy.port,
        `GET /${reg()}/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      checkHeaders((n) => t.headers.get(n), false);
    } finally {
      await proxy.close();
    }
  });
});

describe('an upstream that gzips although asked for identity', () => {
  it('Node adapter: the app receives the exact bytes the digest covers, without Content-Encoding', async () => {
    const proxy = await startProxyServer({ port: 0, proxyConfig: { allowHosts: [reg()] } });
    try {
      const { status, headers, body } = await new Promise<{
        status: number;
        headers: Record<string, unknown>;
        body: Buffer;
      }>((resolve, reject) => {
        httpRequest(`${proxy.url}${reg()}/v2/lib/app/blobs/sha256:gz`, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
      expect(createHash('sha256').update(body).digest('hex')).toBe(LAYER_DIGEST);
      expect(headers['content-length']).toBe(String(LAYER_GZ.length));
      // A browser would decode a body labelled gzip: the label must not reach it.
      expect(headers['content-encoding']).toBeUndefined();
      // fetch (as in the app) sees the same bytes.
      const viaFetch = new Uint8Array(
        await (await fetch(`${proxy.url}${reg()}/v2/lib/app/blobs/sha256:gz`)).arrayBuffer(),
      );
      expect(createHash('sha256').update(viaFetch).digest('hex')).toBe(LAYER_DIGEST);
    } finally {
      await proxy.close();
    }
  });

  it('edge handler on a decoding fetch: refused with a clear 502 instead of other bytes', async () => {
    const h = createProxyHandler({ allowHosts: [reg()] });
    const res = await h(new Request(`http://127.0.0.1:8080/proxy/${reg()}/v2/lib/app/blobs/sha256:gz`));
    expect(res.status).toBe(502);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).toBe('UPSTREAM_ENCODED');
    expect(body.errors[0]!.message).toContain('Content-Encoding: gzip');
  });
});

/** Waits until `cond` holds or `ms` pass; returns whether it held. */
async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return cond();
}

describe('stalled clients', () => {
  const cfg = (): ProxyConfig => ({ allowHosts: [reg()], idleTimeoutMs: 400, maxDurationMs: 3_600_000 });

  it('Node adapter: a client that stops reading releases the upstream after the idle timeout', async () => {
    const proxy = await startProxyServer({ port: 0, proxyConfig: cfg() });
    const socket = connect({ port: proxy.port, host: '127.0.0.1' });
    try {
      socket.write(`GET /${reg()}/v2/lib/app/blobs/sha256:big?name=node-stalled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      await new Promise((r) => socket.once('data', r));
      socket.pause(); // reads nothing more; the socket stays open
      const started = Date.now();
      expect(await waitFor(() => aborted.includes('node-stalled'), 5000)).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      socket.destroy();
      await proxy.close();
    }
  });

  it('edge handler: a response body nobody reads releases the upstream after the idle timeout', async () => {
    const h = createProxyHandler(cfg());
    const res = await h(
      new Request(`http://127.0.0.1:8080/proxy/${reg()}/v2/lib/app/blobs/sha256:big?name=edge-unread`),
    );
    expect(res.status).toBe(200);
    expect(await waitFor(() => aborted.includes('edge-unread'), 5000)).toBe(true);
    await expect(res.body!.getReader().read()).rejects.toThrow(/client stopped reading/);
  });
});

describe('caps on upstream requests in flight', () => {
  it('edge handler: 429 past the per-client cap, 503 past the total, with Retry-After; slots come back', async () => {
    const h = createProxyHandler({
      allowHosts: [reg()],
      maxConnectionsPerClient: 2,
      maxConnections: 3,
      clientKey: (r) => r.headers.get('x-client') ?? undefined,
    });
    const hold = (client: string): Promise<Response> =>
      h(new Request(`http://127.0.0.1:8080/proxy/${reg()}/v2/hold`, { headers: { 'x-client': client } }));
    const a1 = hold('a');
    const a2 = hold('a');
    await waitFor(() => held.length === 2, 2000);
    const a3 = await hold('a');
    expect(a3.status).toBe(429);
    expect(a3.headers.get('retry-after')).toMatch(/^\d+$/);
    const e1 = (await a3.json()) as { errors: { code: string; message: string }[] };
    expect(e1.errors[0]!.code).toBe('TOO_MANY_REQUESTS');
    expect(e1.errors[0]!.message).toContain('PROXY_MAX_CONNECTIONS_PER_CLIENT');
    const b1 = hold('b');
    await waitFor(() => held.length === 3, 2000);
    const c1 = await hold('c');
    expect(c1.status).toBe(503);
    expect(c1.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await c1.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('PROXY_BUSY');
    releaseHeld();
    for (const r of await Promise.all([a1, a2, b1])) expect(await r.text()).toBe('{}');
    const again = hold('a');
    await waitFor(() => held.length === 1, 2000);
    releaseHeld();
    expect((await again).status).toBe(200);
  });

  it('Node adapter: the per-client cap counts by client address (raw sockets from 127.0.0.1 and 127.0.0.2)', async () => {
    const proxy = await startProxyServer({
      port: 0,
      proxyConfig: proxyConfigFromEnv(
        { PROXY_MAX_CONNECTIONS_PER_CLIENT: '1', PROXY_MAX_CONNECTIONS: '10' },
        { allowHosts: [reg()] },
      ),
    });
    try {
      const target = `/${reg()}/v2/hold`;
      const head = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
      const first = rawHttp(proxy.port, head, '127.0.0.1');
      await waitFor(() => held.length === 1, 2000);
      const refused = await rawHttp(proxy.port, head, '127.0.0.1');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      const other = rawHttp(proxy.port, head, '127.0.0.2');
      expect(await waitFor(() => held.length === 2, 2000)).toBe(true);
      releaseHeld();
      expect((await first).status).toBe(200);
      expect((await other).status).toBe(200);
    } finally {
      releaseHeld();
      await proxy.close();
    }
  });
});

describe('messages', () => {
  it.each([
    ['[::ffff:10.0.0.1]', 'is an IPv4-mapped IPv6 address'],
    ['[::]', 'is an unspecified address'],
    ['[64:ff9b::c000:1]', 'NAT64 address wrapping an IETF protocol assignment address'],
    ['10.0.0.1', 'is a private address'],
  ])('%s: "%s"', async (host, phrase) => {
    const h = createProxyHandler({ allowHosts: [reg()] });
    const res = await h(new Request(`http://127.0.0.1:8080/proxy/${host}/v2/`));
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(body.errors[0]!.message).toContain(phrase);
  });

  it('a redirect carrying credentials in the URL is refused in a whole sentence', async () => {
    const target = `https://user:pw@registry-1.docker.io/v2/`;
    const h = createProxyHandler({
      fetch: async () => new Response(null, { status: 302, headers: { location: target } }),
    });
    const res = await h(new Request('http://127.0.0.1:8080/proxy/registry-1.docker.io/v2/'));
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(body.errors[0]!.message).toBe(
      'layerscope proxy: redirect target host "registry-1.docker.io" (from "registry-1.docker.io") carries credentials in the URL, which the proxy never forwards',
    );
  });
});
