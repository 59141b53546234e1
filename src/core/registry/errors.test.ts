import { describe, expect, it } from 'vitest';
import {
  DOCKER_LAYER_TAR_GZIP,
  isIndex,
  isLayer,
  isManifest,
  isSchema1,
  layerCompression,
  OCI_LAYER_TAR_ZSTD,
} from '../media-types.ts';
import { errorFromResponse, isRegistryErrorData, parseRateLimit, redactUrl, RegistryError } from './errors.ts';
import { isLoopbackHost, Transport } from './transport.ts';

describe('errorFromResponse', () => {
  it('uses the first registry error, formatted as distribution prints it', async () => {
    const res = new Response(
      JSON.stringify({
        errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }, { code: 'OTHER' }],
      }),
      { status: 404 },
    );
    const e = await errorFromResponse(res, 'manifest');
    expect(e).toMatchObject({
      code: 'MANIFEST_UNKNOWN',
      message: 'manifest unknown: manifest unknown',
      status: 404,
      retryable: false,
      detail: '{"Tag":"x"}',
    });
  });

  it('falls back on the status for non-JSON bodies and odd codes', async () => {
    expect(await errorFromResponse(new Response('<html>', { status: 401 }), 'x')).toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'unauthorized: authentication required',
    });
    expect(
      await errorFromResponse(new Response('{"errors":[{"code":"lower case!"}]}', { status: 503 }), 'x'),
    ).toMatchObject({ code: 'HTTP_ERROR', retryable: true });
    expect(await errorFromResponse(new Response(null, { status: 502 }), 'GET /v2/')).toMatchObject({
      message: 'GET /v2/: unexpected HTTP status 502',
      retryable: true,
    });
  });

  it('token servers: {"details": …}', async () => {
    const e = await errorFromResponse(
      new Response('{"details":"incorrect username or password"}', { status: 401 }),
      'token',
    );
    expect(e.message).toBe('unauthorized: incorrect username or password');
  });

  it('redacts secrets and survives structured clone as data', async () => {
    const e = await errorFromResponse(
      new Response(JSON.stringify({ errors: [{ code: 'DENIED', message: 'bad token abcdef123' }] }), { status: 403 }),
      'x',
      ['abcdef123'],
    );
    expect(e.message).toBe('denied: bad token [redacted]');
    const d = structuredClone(e.toData());
    expect(isRegistryErrorData(d)).toBe(true);
    const back = RegistryError.fromData(d);
    expect(back).toBeInstanceOf(RegistryError);
    expect(back).toMatchObject({ code: 'DENIED', status: 403, message: e.message });
  });

  it('parseRateLimit', () => {
    expect(
      parseRateLimit(new Headers({ 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600' })),
    ).toEqual({ limit: 100, remaining: 76, windowSeconds: 21600 });
    expect(parseRateLimit(new Headers({ 'ratelimit-limit': '200' }))).toEqual({ limit: 200 });
    expect(parseRateLimit(new Headers({ 'ratelimit-limit': 'lots' }))).toBeUndefined();
  });

  it('redactUrl drops queries and userinfo', () => {
    expect(redactUrl('https://u:p@cdn.example/blob?X-Amz-Signature=abc')).toBe('https://cdn.example/blob?…');
  });
});

describe('path inputs', () => {
  it('refuses tags, digests and repositories that would bend the URL path', async () => {
    const { RegistryClient } = await import('./client.ts');
    const { fetchManifest } = await import('./manifests.ts');
    const { fetchBlob } = await import('./blobs.ts');
    const c = new RegistryClient({ fetch: () => Promise.reject(new Error('no network in this test')) });
    const repo = { registry: 'r.test', repository: 'a/b' };
    await expect(fetchManifest(c, repo, '../../x')).rejects.toMatchObject({ code: 'NAME_INVALID' });
    await expect(fetchManifest(c, { ...repo, repository: 'a/../b' }, 'latest')).rejects.toMatchObject({
      code: 'NAME_INVALID',
    });
    await expect(fetchBlob(c, repo, 'sha256:../x' as `sha256:${string}`)).rejects.toMatchObject({
      code: 'DIGEST_INVALID',
    });
  });
});

describe('transport', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1', true],
    ['127.1.2.3:80', true],
    ['[::1]:5000', true],
    ['[::1]', true],
    ['127.0.0.256', false],
    ['10.0.0.1', false],
    ['ghcr.io', false],
    ['localhost.example.com', false],
  ])('isLoopbackHost(%s) = %s', (h, v) => expect(isLoopbackHost(h)).toBe(v));

  it('http for loopback, https otherwise, overridable', () => {
    const t = new Transport({ fetch });
    expect(t.registryUrl('127.0.0.1:5000', '/v2/').href).toBe('http://127.0.0.1:5000/v2/');
    expect(t.registryUrl('registry-1.docker.io', '/v2/').href).toBe('https://registry-1.docker.io/v2/');
    const t2 = new Transport({ fetch, scheme: (h) => (h === 'reg.test' ? 'http' : undefined) });
    expect(t2.registryUrl('reg.test', '/v2/').protocol).toBe('http:');
    const proxied = new Transport({ fetch, mapUrl: (u) => `http://127.0.0.1:8080/${u.host}${u.pathname}` });
    expect(proxied.isProxied(new URL('https://ghcr.io/v2/'))).toBe(true);
    expect(t.isProxied(new URL('https://ghcr.io/v2/'))).toBe(false);
  });
});

describe('media types', () => {
  it('predicates', () => {
    expect(isIndex('application/vnd.oci.image.index.v1+json')).toBe(true);
    expect(isIndex('application/vnd.docker.distribution.manifest.list.v2+json')).toBe(true);
    expect(isManifest('application/vnd.docker.distribution.manifest.v2+json')).toBe(true);
    expect(isManifest('application/vnd.oci.image.index.v1+json')).toBe(false);
    expect(isSchema1('application/vnd.docker.distribution.manifest.v1+prettyjws')).toBe(true);
    expect(isLayer(DOCKER_LAYER_TAR_GZIP)).toBe(true);
    expect(isLayer('application/vnd.oci.image.config.v1+json')).toBe(false);
    expect(layerCompression(OCI_LAYER_TAR_ZSTD)).toBe('zstd');
    expect(layerCompression(DOCKER_LAYER_TAR_GZIP)).toBe('gzip');
    expect(layerCompression('application/vnd.oci.image.layer.v1.tar')).toBe('none');
    expect(layerCompression('text/plain')).toBeUndefined();
  });
});
