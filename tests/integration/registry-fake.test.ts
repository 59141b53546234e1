/**
 * Hostile and unusual registry answers, from small HTTP servers on 127.0.0.1: digests that do
 * not match, oversized or malformed manifests, redirects to another host, rate limits, a
 * refusing or absent proxy, secrets echoed back.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/core/reference.ts';
import {
  fetchBlob,
  fetchManifest,
  RegistryClient,
  resolveImage,
  type FetchLike,
} from '../../src/core/registry/index.ts';
import { freePort } from '../helpers/registry.ts';
import { caught } from '../helpers/caught.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Fake {
  host: string;
  handler: Handler;
  seen: { path: string; authorization?: string; range?: string }[];
  server: Server;
}

async function fake(): Promise<Fake> {
  const f = { handler: ((_q, s) => s.writeHead(500).end()) as Handler, seen: [] } as unknown as Fake;
  f.server = createServer((req, res) => {
    const rec: Fake['seen'][number] = { path: req.url ?? '' };
    if (req.headers.authorization) rec.authorization = req.headers.authorization;
    if (req.headers.range) rec.range = req.headers.range;
    f.seen.push(rec);
    f.handler(req, res);
  });
  await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', r));
  f.host = `127.0.0.1:${(f.server.address() as AddressInfo).port}`;
  return f;
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(b.length), ...headers });
  res.end(b);
};

const LAYER = Buffer.from('pretend layer bytes '.repeat(1000));
const CONFIG = Buffer.from(
  JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
);
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(CONFIG), size: CONFIG.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(LAYER), size: LAYER.length }],
  }),
);

/** Loopback only: a request anywhere else fails the test. */
const guardedFetch: FetchLike = (input, init) => {
  const h = new URL(input).hostname;
  if (h !== '127.0.0.1') throw new Error(`test tried to reach ${h}`);
  return fetch(input, init);
};

/** A registry serving MANIFEST/CONFIG/LAYER with no auth; tests override pieces. */
function serveImage(f: Fake, over: Partial<Record<'manifest' | 'blob', Handler>> = {}): void {
  f.handler = (req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return json(res, 200, {});
    if (url.includes('/manifests/')) {
      if (over.manifest) return over.manifest(req, res);
      return json(res, 200, JSON.parse(MANIFEST.toString()), {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'docker-content-digest': sha(MANIFEST),
      });
    }
    if (url.includes('/blobs/')) {
      if (over.blob) return over.blob(req, res);
      const body = url.endsWith(sha(CONFIG)) ? CONFIG : LAYER;
      res.writeHead(200, { 'content-length': String(body.length) });
      return res.end(body);
    }
    json(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'no' }] });
  };
}

let a: Fake;
let b: Fake;
const client = () => new RegistryClient({ fetch: guardedFetch });

beforeAll(async () => {
  a = await fake();
  b = await fake();
});
afterEach(() => {
  a.seen.length = 0;
  b.seen.length = 0;
});
afterAll(async () => {
  for (const f of [a, b]) {
    f.server.closeAllConnections();
    await new Promise((r) => f.server.close(r));
  }
});

describe('manifest digests', () => {
  it('the served image resolves (control)', async () => {
    serveImage(a);
    const img = await resolveImage(client(), parseReference(`${a.host}/x/y:1`));
    expect(img.manifestDigest).toBe(sha(MANIFEST));
    expect(img.layers).toEqual([
      { digest: sha(LAYER), size: LAYER.length, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
    ]);
  });

  it('a wrong Docker-Content-Digest is refused', async () => {
    serveImage(a, {
      manifest: (_q, res) => {
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': sha('other'),
        });
        res.end(MANIFEST);
      },
    });
    const err = await caught(resolveImage(client(), parseReference(`${a.host}/x/y:1`)));
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect(err.message).toContain(sha('other'));
  });

  it('bytes that do not hash to the digest asked for are refused (even without a header)', async () => {
    serveImage(a, {
      manifest: (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end(MANIFEST);
      },
    });
    const err = await caught(resolveImage(client(), parseReference(`${a.host}/x/y@${sha('something else')}`)));
    expect(err.code).toBe('DIGEST_MISMATCH');
  });

  it('a config whose bytes do not match its digest is refused', async () => {
    serveImage(a, {
      blob: (_q, res) => {
        res.writeHead(200);
        res.end(Buffer.from('{"tampered":true}'));
      },
    });
    expect((await caught(resolveImage(client(), parseReference(`${a.host}/x/y:1`)))).code).toBe('DIGEST_MISMATCH');
  });
});

describe('hostile manifests', () => {
  const serveBody = (body: Buffer | string, type = 'application/vnd.oci.image.manifest.v1+json', length = true) =>
    serveImage(a, {
      manifest: (_q, res) => {
        const h: Record<string, string> = { 'content-type': type };
        if (length) h['content-length'] = String(Buffer.byteLength(body));
        res.writeHead(200, h);
        res.end(body);
      },
    });
  const fetchIt = () => fetchManifest(client(), parseReference(`${a.host}/x/y`), 'latest');

  it('larger than 4 MiB, announced or streamed', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    serveBody(big);
    expect((await caught(fetchIt())).code).toBe('TOO_LARGE');
    serveBody(big, undefined, false);
    expect((await caught(fetchIt())).code).toBe('TOO_LARGE');
  });

  it.each([
    ['not JSON', '{"schemaVersion":2,', /not JSON/],
    ['not an object', '[1,2]', /not a JSON object/],
    [
      'bad digest',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'x', digest: 'sha256:zz', size: 1 },
        layers: [],
      }),
      /config\.digest/,
    ],
    [
      'negative size',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'x', digest: sha('c'), size: -1 },
        layers: [],
      }),
      /config\.size/,
    ],
    [
      'too many layers',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'x', digest: sha('c'), size: 1 },
        layers: Array(1001).fill({ mediaType: 'x', digest: sha('l'), size: 1 }),
      }),
      /more than 1000 layers/,
    ],
    [
      'wrong schemaVersion',
      JSON.stringify({ schemaVersion: 3, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }),
      /schemaVersion/,
    ],
    [
      'schema 1 with mismatched history',
      JSON.stringify({ schemaVersion: 1, fsLayers: [{ blobSum: sha('a') }], history: [] }),
      /differ in length/,
    ],
  ])('%s → MANIFEST_INVALID', async (_name, body, why) => {
    serveBody(body);
    const err = await caught(fetchIt());
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.message).toMatch(why);
  });

  it('an unknown manifest type → UNSUPPORTED_MEDIA_TYPE', async () => {
    serveBody(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.thing+json' }),
      'application/vnd.example.thing+json',
    );
    expect((await caught(fetchIt())).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('an artifact (non-image config) → UNSUPPORTED_MEDIA_TYPE', async () => {
    const m = JSON.parse(MANIFEST.toString()) as { config: { mediaType: string } };
    m.config.mediaType = 'application/vnd.cncf.helm.config.v1+json';
    serveBody(JSON.stringify(m));
    const err = await caught(resolveImage(client(), parseReference(`${a.host}/x/y:1`)));
    expect(err.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(err.message).toContain('helm');
  });
});

describe('blob redirects', () => {
  it('follows a redirect to another host without sending Authorization there', async () => {
    const creds = { username: 'u', password: 'pw-1234' };
    const basic = `Basic ${Buffer.from('u:pw-1234').toString('base64')}`;
    a.handler = (req, res) => {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' });
        return res.end();
      }
      res.writeHead(307, { location: `http://${b.host}/cdn/blob?sig=secret-signature` });
      res.end();
    };
    b.handler = (_q, res) => {
      res.writeHead(200, { 'content-length': String(LAYER.length) });
      res.end(LAYER);
    };
    const c = new RegistryClient({ fetch: guardedFetch, credentials: (r) => (r === a.host ? creds : undefined) });
    const { stream, size } = await fetchBlob(c, parseReference(`${a.host}/x/y`), sha(LAYER) as `sha256:${string}`);
    expect(Buffer.from(await new Response(stream).arrayBuffer()).equals(LAYER)).toBe(true);
    expect(size).toBe(LAYER.length);
    expect(a.seen.some((s) => s.path.includes('/blobs/') && s.authorization === basic)).toBe(true);
    expect(b.seen).toHaveLength(1);
    expect(b.seen[0]!.authorization).toBeUndefined();
  });

  it('more than 5 redirects is an error', async () => {
    serveImage(a, {
      blob: (req, res) => {
        res.writeHead(302, { location: `${req.url}x` });
        res.end();
      },
    });
    const err = await caught(fetchBlob(client(), parseReference(`${a.host}/x/y`), sha(LAYER) as `sha256:${string}`));
    expect(err.message).toMatch(/more than 5 redirects/);
    expect(a.seen.filter((s) => s.path.includes('/blobs/'))).toHaveLength(6);
  });
});

describe('Range answers', () => {
  const digest = sha(LAYER) as `sha256:${string}`;
  it('a registry that ignores Range: start over', async () => {
    serveImage(a);
    const r = await fetchBlob(client(), parseReference(`${a.host}/x/y`), digest, { rangeStart: 100 });
    expect(r.rangeHonoured).toBe(false);
    expect(r.size).toBe(LAYER.length);
    expect(a.seen.at(-1)!.range).toBe('bytes=100-');
    await r.stream.cancel();
  });

  it('a 206 for another range is refused', async () => {
    serveImage(a, {
      blob: (_q, res) => {
        res.writeHead(206, { 'content-range': `bytes 0-9/${LAYER.length}`, 'content-length': '10' });
        res.end(LAYER.subarray(0, 10));
      },
    });
    const err = await caught(fetchBlob(client(), parseReference(`${a.host}/x/y`), digest, { rangeStart: 100 }));
    expect(err.code).toBe('RANGE_INVALID');
  });
});

describe('errors', () => {
  it('429 carries the ratelimit figures', async () => {
    serveImage(a, {
      manifest: (_q, res) =>
        json(
          res,
          429,
          { errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }] },
          {
            'ratelimit-limit': '100;w=21600',
            'ratelimit-remaining': '0;w=21600',
          },
        ),
    });
    const err = await caught(resolveImage(client(), parseReference(`${a.host}/x/y:1`)));
    expect(err.code).toBe('TOOMANYREQUESTS');
    expect(err.status).toBe(429);
    expect(err.retryable).toBe(true);
    expect(err.rateLimit).toEqual({ limit: 100, remaining: 0, windowSeconds: 21600 });
    expect(err.message).toBe(
      'toomanyrequests: You have reached your pull rate limit. (rate limit: limit 100, remaining 0, window 21600s)',
    );
    expect(structuredClone(err.toData()).rateLimit).toEqual({ limit: 100, remaining: 0, windowSeconds: 21600 });
  });

  it('DENIED, with a token echoed back by the registry redacted', async () => {
    const token = 'tok-' + 'x'.repeat(40);
    a.handler = (req, res) => {
      if (req.url?.startsWith('/token')) return json(res, 200, { token, expires_in: 300 });
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${a.host}/token",service="fake"` });
        return res.end();
      }
      json(res, 403, {
        errors: [{ code: 'DENIED', message: `access denied for ${req.headers.authorization}`, detail: token }],
      });
    };
    const err = await caught(resolveImage(client(), parseReference(`${a.host}/x/y:1`)));
    expect(err.code).toBe('DENIED');
    expect(err.message).toBe('denied: access denied for Bearer [redacted]');
    expect(JSON.stringify(err.toData())).not.toContain(token);
  });

  it('error bodies are read with a cap', async () => {
    serveImage(a, {
      manifest: (_q, res) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(Buffer.alloc(3 * 1024 * 1024, 0x41));
      },
    });
    const err = await caught(fetchManifest(client(), parseReference(`${a.host}/x/y`), '1'));
    expect(err.code).toBe('HTTP_ERROR');
    expect(err.status).toBe(500);
    expect(err.message.length).toBeLessThan(600);
  });

  it('credentials are not sent over plain HTTP to a non-loopback token realm', async () => {
    a.handler = (_q, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://auth.example.invalid/token",service="s"' });
      res.end();
    };
    const c = new RegistryClient({ fetch: guardedFetch, credentials: () => ({ username: 'u', password: 'p-secret' }) });
    const err = await caught(resolveImage(c, parseReference(`${a.host}/x/y:1`)));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toMatch(/plain HTTP/);
  });
});

describe('through a proxy', () => {
  const viaProxy = (proxyHost: string) => (url: URL) => `http://${proxyHost}/${url.host}${url.pathname}${url.search}`;

  it('a proxy refusal (HOST_NOT_ALLOWED) surfaces the proxy message', async () => {
    b.handler = (_q, res) =>
      json(res, 403, {
        errors: [
          {
            code: 'HOST_NOT_ALLOWED',
            message: 'registry.example.com is not in the proxy allowlist (PROXY_ALLOW_HOSTS)',
          },
        ],
      });
    const c = new RegistryClient({ fetch: guardedFetch, mapUrl: viaProxy(b.host) });
    const err = await caught(resolveImage(c, parseReference('registry.example.com/x/y:1')));
    expect(err.code).toBe('HOST_NOT_ALLOWED');
    expect(err.status).toBe(403);
    expect(err.message).toContain('registry.example.com is not in the proxy allowlist');
    expect(b.seen[0]!.path).toBe('/registry.example.com/v2/');
  });

  it('a proxy that is not running → PROXY_UNREACHABLE', async () => {
    const port = await freePort();
    const c = new RegistryClient({ fetch: guardedFetch, mapUrl: viaProxy(`127.0.0.1:${port}`) });
    const err = await caught(resolveImage(c, parseReference('ghcr.io/o/x:1')));
    expect(err.code).toBe('PROXY_UNREACHABLE');
    expect(err.message).toContain(`http://127.0.0.1:${port}`);
    expect(err.retryable).toBe(true);
  });

  it('direct and unreachable → NETWORK_ERROR', async () => {
    const port = await freePort();
    const err = await caught(resolveImage(client(), parseReference(`127.0.0.1:${port}/x/y:1`)));
    expect(err.code).toBe('NETWORK_ERROR');
  });

  it('an abort stays an abort', async () => {
    serveImage(a);
    const ac = new AbortController();
    ac.abort();
    await expect(
      resolveImage(client(), parseReference(`${a.host}/x/y:1`), { signal: ac.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
