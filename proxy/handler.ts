/**
 * Layerscope CORS proxy: a standard `(request: Request) => Promise<Response>`
 * handler. No Node APIs here, so the same file deploys unchanged to Workers,
 * Deno and Bun; `proxy/node.ts` adapts it to Node's http server.
 *
 * Path scheme (basePath is `/proxy/` under `npm start`, `/` standalone):
 *
 *   {basePath}{host[:port]}/{path}?{query}  →  https://{host[:port]}/{path}?{query}
 *
 *   /proxy/registry-1.docker.io/v2/library/alpine/manifests/latest
 *     → https://registry-1.docker.io/v2/library/alpine/manifests/latest
 *   /proxy/auth.docker.io/token?service=registry.docker.io&scope=repository:library/alpine:pull
 *     → https://auth.docker.io/token?service=registry.docker.io&scope=repository:library/alpine:pull
 *   /proxy/localhost:5000/v2/  → http://localhost:5000/v2/   (plain http only for loopback:
 *     localhost, 127.0.0.0/8, [::1], as Docker treats those registries as insecure)
 *   GET {basePath} → JSON about the proxy (version, path scheme, allowlist).
 *
 * Rules: only GET/HEAD (OPTIONS preflight answered here, never forwarded);
 * paths that could name another origin (`//…`, `\\…`, percent-encoded) are
 * refused; the upstream host must be on the allowlist (`proxy/hosts.ts`, plus
 * PROXY_ALLOW_HOSTS); loopback/private addresses, literal or resolved, are
 * refused unless listed exactly; redirects are followed here (at most 5 hops,
 * each target checked, `Authorization` dropped once a hop leaves the original
 * origin); bodies stream through, never buffered, with idle bounds on both
 * sides; upstream requests in flight are capped per client and in total.
 * Only allowlisted response headers pass (`proxy/responses.ts`): the app
 * itself maps challenge realms (e.g. https://auth.docker.io/token) onto this
 * path scheme.
 *
 * Errors use the registry error shape so the app's registry client surfaces them:
 *   {"errors":[{"code":"HOST_NOT_ALLOWED","message":"layerscope proxy: …"}]}
 */
import {
  DEFAULT_ALLOW_HOSTS,
  canonicalHostPort,
  isIpLiteral,
  article,
  isLoopbackHost,
  matchesAny,
  parseHostPattern,
  privateAddressReason,
  type HostPattern,
} from './hosts.ts';
import { guardBody } from './body.ts';
import type { ProxyConfig, ProxyHandler } from './options.ts';
import {
  ConnectionLimiter,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  RETRY_AFTER_SECONDS,
  clientAddressOf,
} from './limits.ts';
import {
  ProxyAbort,
  corsHeaders as corsFor,
  errorCode,
  errorResponse as errorFor,
  passedResponseHeaders,
  truncate,
  upstreamFailure,
  type AbortKind,
  type Refusal,
} from './responses.ts';

export { EXPOSE_HEADERS } from './responses.ts';

export const PROXY_VERSION = '0.1.0';

export type { ProxyConfig, ProxyHandler } from './options.ts';

const ALLOW_METHODS = 'GET, HEAD, OPTIONS';
const BASE_ALLOW_HEADERS = ['Authorization', 'Accept', 'Range', 'Content-Type'];
/** Request headers a preflight may ask for, lower case → canonical spelling. */
const PREFLIGHT_HEADERS = new Map(
  [...BASE_ALLOW_HEADERS, 'If-None-Match', 'If-Range', 'Docker-Distribution-Api-Version'].map((h) => [
    h.toLowerCase(),
    h,
  ]),
);
/** Request headers forwarded upstream; everything else (cookies included) stays here. */
const FORWARD_HEADERS = ['authorization', 'accept', 'range', 'if-none-match', 'if-range'];
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const DEFAULT_LOCAL_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'];

/**
 * Does a path begin with a second slash or backslash, literally or
 * percent-encoded? Such a path, resolved against a base URL (as a Node
 * request target is), names another origin: `//evil.example/…`.
 */
export function smugglesOrigin(path: string): boolean {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // keep the raw form; the literal check below still applies
  }
  return /^[/\\][/\\]/.test(path) || /^[/\\][/\\]/.test(decoded);
}

export function createProxyHandler(config: ProxyConfig = {}): ProxyHandler {
  const basePath = config.basePath ?? '/proxy/';
  if (!basePath.startsWith('/') || !basePath.endsWith('/')) {
    throw new Error(`layerscope proxy: basePath must start and end with "/" (got "${basePath}")`);
  }
  const extra: HostPattern[] = (config.allowHosts ?? []).map(parseHostPattern);
  const defaults: HostPattern[] = (config.defaultAllowHosts ?? DEFAULT_ALLOW_HOSTS).map(parseHostPattern);
  const all = [...defaults, ...extra];
  const allowOrigins = config.allowOrigins;
  const headersTimeoutMs = config.headersTimeoutMs ?? 30_000;
  const idleTimeoutMs = config.idleTimeoutMs ?? 60_000;
  const maxDurationMs = config.maxDurationMs ?? 3_600_000;
  const maxRedirects = config.maxRedirects ?? 5;
  const maxBodyBytes = config.maxBodyBytes;
  const limiter = new ConnectionLimiter(
    config.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    config.maxConnectionsPerClient ?? DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  );
  const clientKey = config.clientKey ?? clientAddressOf;
  const rawBodies = config.rawUpstreamBodies ?? false;
  const doFetch = config.fetch ?? ((input, init) => fetch(input, init));
  const userAgent = config.userAgent ?? `layerscope-proxy/${PROXY_VERSION}`;
  const pathScheme = `${basePath}{host[:port]}/{path}?{query}`;

  function originAllowed(origin: string, self: string): boolean {
    const list = allowOrigins ?? [self, ...DEFAULT_LOCAL_ORIGINS];
    return list.some((p) => {
      if (p === '*' || p === origin) return true;
      if (p.endsWith(':*')) {
        const prefix = p.slice(0, -2);
        if (origin === prefix) return true;
        return origin.startsWith(`${prefix}:`) && /^\d{1,5}$/.test(origin.slice(prefix.length + 1));
      }
      return false;
    });
  }

  /** Checks one upstream URL (the first or a redirect hop) against the rules. */
  async function checkTarget(target: URL, via?: URL): Promise<Refusal | undefined> {
    const scheme = target.protocol;
    const host = target.hostname;
    const shown = target.host;
    const what = via ? `redirect target host "${shown}" (from "${via.host}")` : `host "${shown}"`;
    const refuse = (why: string, hint = '; add it to PROXY_ALLOW_HOSTS'): Refusal => ({
      status: 403,
      code: 'HOST_NOT_ALLOWED',
      message: `layerscope proxy: ${what} ${why}${hint}`,
    });
    if (scheme !== 'https:' && scheme !== 'http:') {
      return {
        status: 502,
        code: 'BAD_REDIRECT',
        message: `layerscope proxy: ${what} uses unsupported scheme ${scheme}`,
      };
    }
    if (scheme === 'http:' && !isLoopbackHost(host)) {
      return refuse('uses plain http, which the proxy only speaks to loopback hosts', '');
    }
    if (target.username || target.password) {
      return refuse('carries credentials in the URL, which the proxy never forwards', '');
    }
    const port = target.port ? Number(target.port) : scheme === 'http:' ? 80 : 443;
    // Listed exactly (no wildcard) in PROXY_ALLOW_HOSTS: the operator chose this host, private or not.
    if (matchesAny(extra, host, port, scheme, true)) return undefined;
    const literal =
      host === 'localhost' ? 'loopback address' : isIpLiteral(host) ? privateAddressReason(host) : undefined;
    if (literal) return refuse(`is ${article(literal)} ${literal}, not allowed unless listed exactly`);
    if (!matchesAny(all, host, port, scheme)) return refuse('is not allowed');
    if (config.resolveHost && !isIpLiteral(host)) {
      let addresses: readonly string[];
      try {
        addresses = await config.resolveHost(host);
      } catch (e) {
        return {
          status: 502,
          code: 'UPSTREAM_UNREACHABLE',
          message: `layerscope proxy: could not resolve ${what}: ${errorCode(e)}`,
        };
      }
      for (const a of addresses) {
        // Guards DNS rebinding: an allowed name pointing at the local network.
        const r = privateAddressReason(a);
        if (r) return refuse(`resolves to ${article(r)} ${r} (${a}), not allowed unless listed exactly`);
      }
    }
    return undefined;
  }

  const corsHeaders = (request: Request): Headers => corsFor(request, allowOrigins);
  const errorResponse = (request: Request, r: Refusal): Response => errorFor(request, r, corsHeaders(request));

  return async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    // A runtime that resolves the request target against a base URL would take
    // `//other.example/…` as an origin; refuse such paths outright, without CORS headers.
    if (smugglesOrigin(url.pathname) || smugglesOrigin(url.pathname.slice(basePath.length - 1))) {
      return errorFor(
        request,
        {
          status: 400,
          code: 'BAD_PATH',
          message: `layerscope proxy: the path starts with "//" or "\\" (literally or percent-encoded), which could name another origin; use ${pathScheme}`,
        },
        undefined,
      );
    }
    const origin = request.headers.get('origin');
    if (origin !== null && !originAllowed(origin, url.origin)) {
      return errorFor(
        request,
        {
          status: 403,
          code: 'ORIGIN_NOT_ALLOWED',
          message: `layerscope proxy: origin "${origin}" is not allowed; add it to PROXY_ALLOW_ORIGINS`,
        },
        undefined,
      );
    }
    const inBase = url.pathname.startsWith(basePath) || url.pathname === basePath.slice(0, -1);
    if (!inBase) {
      return errorResponse(request, {
        status: 404,
        code: 'NOT_FOUND',
        message: `layerscope proxy: no such path; use ${pathScheme}`,
      });
    }
    if (request.method === 'OPTIONS') {
      // Preflight (and plain OPTIONS) answered here, never forwarded.
      const h = corsHeaders(request);
      h.set('Access-Control-Allow-Methods', ALLOW_METHODS);
      const asked = (request.headers.get('access-control-request-headers') ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== '');
      const allowed = [...BASE_ALLOW_HEADERS];
      for (const a of asked) {
        const canon = PREFLIGHT_HEADERS.get(a);
        if (canon && !allowed.includes(canon)) allowed.push(canon);
      }
      h.set('Access-Control-Allow-Headers', allowed.join(', '));
      h.set('Access-Control-Max-Age', '600');
      h.set('Allow', ALLOW_METHODS);
      return new Response(null, { status: 204, headers: h });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorResponse(request, {
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: `layerscope proxy: method ${request.method} is not allowed; the proxy is read-only (GET, HEAD)`,
        headers: { Allow: ALLOW_METHODS },
      });
    }
    const rest = url.pathname.slice(basePath.length);
    if (rest === '') return infoResponse(request);

    const slash = rest.indexOf('/');
    const hostPart = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '/' : rest.slice(slash);
    const canon = canonicalHostPort(hostPart);
    if (!canon) {
      return errorResponse(request, {
        status: 400,
        code: 'BAD_PATH',
        message: `layerscope proxy: "${truncate(hostPart, 100)}" is not a host[:port]; use ${pathScheme}, e.g. ${basePath}registry-1.docker.io/v2/`,
      });
    }
    const scheme = isLoopbackHost(canon.host) ? 'http:' : 'https:';
    const target = new URL(
      `${scheme}//${canon.host}${canon.port !== undefined ? `:${canon.port}` : ''}${path}${url.search}`,
    );
    const refusal = await checkTarget(target);
    if (refusal) return errorResponse(request, refusal);
    const admission = limiter.admit(clientKey(request));
    if (!admission.ok) {
      const perClient = admission.limit === 'client';
      return errorResponse(request, {
        status: perClient ? 429 : 503,
        code: perClient ? 'TOO_MANY_REQUESTS' : 'PROXY_BUSY',
        message: perClient
          ? `layerscope proxy: this client already has ${admission.max} upstream requests in flight (PROXY_MAX_CONNECTIONS_PER_CLIENT); retry after ${RETRY_AFTER_SECONDS} s`
          : `layerscope proxy: ${admission.max} upstream requests already in flight (PROXY_MAX_CONNECTIONS); retry after ${RETRY_AFTER_SECONDS} s`,
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      });
    }
    return forward(request, target, admission.release);
  };

  function infoResponse(request: Request): Response {
    const h = corsHeaders(request);
    h.set('Content-Type', 'application/json; charset=utf-8');
    h.set('Cache-Control', 'no-store');
    const body = JSON.stringify({
      name: 'layerscope-proxy',
      version: PROXY_VERSION,
      pathScheme,
      example: `${basePath}registry-1.docker.io/v2/library/alpine/manifests/latest`,
      plainHttp: 'loopback hosts only (localhost, 127.0.0.0/8, [::1])',
      allowHosts: all.map((p) => p.source),
      allowOrigins: allowOrigins ?? ['(same origin)', ...DEFAULT_LOCAL_ORIGINS],
      limits: {
        headersTimeoutMs,
        idleTimeoutMs,
        maxDurationMs,
        maxRedirects,
        maxBodyBytes: maxBodyBytes ?? null,
        maxConnections: limiter.maxTotal,
        maxConnectionsPerClient: limiter.maxPerClient,
      },
    });
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: h });
  }

  async function forward(request: Request, target: URL, release: () => void): Promise<Response> {
    const controller = new AbortController();
    let cause: ProxyAbort | undefined;
    const abort = (kind: AbortKind): void => {
      if (cause) return;
      cause = new ProxyAbort(kind);
      controller.abort(cause);
    };
    const onClientAbort = (): void => abort('client');
    if (request.signal.aborted) abort('client');
    request.signal.addEventListener('abort', onClientAbort, { once: true });
    const headersTimer = setTimeout(() => abort('headers-timeout'), headersTimeoutMs);
    const totalTimer = setTimeout(() => abort('total-timeout'), maxDurationMs);
    const done = (): void => {
      clearTimeout(headersTimer);
      clearTimeout(totalTimer);
      request.signal.removeEventListener('abort', onClientAbort);
      release();
    };
    const fail = (r: Refusal): Response => {
      done();
      return errorResponse(request, r);
    };

    let current = target;
    let authorization = request.headers.get('authorization');
    let hops = 0;
    let upstream: Response;
    for (;;) {
      const headers = new Headers();
      for (const name of FORWARD_HEADERS) {
        const v = name === 'authorization' ? authorization : request.headers.get(name);
        if (v !== null) headers.set(name, v);
      }
      headers.set('user-agent', userAgent);
      // Digests are over the exact bytes: ask for no content coding at all.
      headers.set('accept-encoding', 'identity');
      try {
        upstream = await doFetch(current.href, {
          method: request.method,
          headers,
          redirect: 'manual',
          signal: controller.signal,
        });
      } catch (e) {
        return fail(upstreamFailure(current, e, cause));
      }
      const location = upstream.headers.get('location');
      if (!REDIRECT_STATUSES.has(upstream.status) || location === null) break;
      await upstream.body?.cancel().catch(() => {});
      if (++hops > maxRedirects) {
        return fail({
          status: 502,
          code: 'TOO_MANY_REDIRECTS',
          message: `layerscope proxy: more than ${maxRedirects} redirects from "${target.host}"`,
        });
      }
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        return fail({
          status: 502,
          code: 'BAD_REDIRECT',
          message: `layerscope proxy: "${current.host}" sent an invalid redirect`,
        });
      }
      const refusal = await checkTarget(next, current);
      if (refusal) return fail(refusal);
      // Credentials go only to the host that was asked (a CDN must never see the registry token).
      if (next.origin !== target.origin) authorization = null;
      current = next;
    }
    clearTimeout(headersTimer);

    const coding = (upstream.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
    if (coding !== 'identity' && coding !== '' && !rawBodies) {
      // This fetch has already decoded the body: what is left is not the byte
      // sequence the registry's digest covers, so passing it on would be wrong.
      await upstream.body?.cancel().catch(() => {});
      return fail({
        status: 502,
        code: 'UPSTREAM_ENCODED',
        message: `layerscope proxy: "${current.host}" answered with Content-Encoding: ${truncate(coding, 40)} although asked for identity, and this runtime's fetch decodes it; run the Node proxy (npm run proxy), which passes the bytes unchanged`,
      });
    }
    const h = corsHeaders(request);
    // With a raw fetch the body is the upstream bytes as sent: Content-Encoding is
    // dropped (the browser must not decode them) and Content-Length still holds.
    passedResponseHeaders(upstream.headers, current.pathname, h);
    // A proxied response must never run as a page on the app's origin.
    h.set('Content-Security-Policy', "default-src 'none'; sandbox");
    h.set('X-Content-Type-Options', 'nosniff');

    const lengthHeader = upstream.headers.get('content-length');
    if (maxBodyBytes !== undefined && lengthHeader !== null && Number(lengthHeader) > maxBodyBytes) {
      await upstream.body?.cancel().catch(() => {});
      return fail({
        status: 502,
        code: 'BODY_TOO_LARGE',
        message: `layerscope proxy: response from "${current.host}" is ${lengthHeader} bytes, over the ${maxBodyBytes}-byte limit`,
      });
    }
    const status = upstream.status;
    if (request.method === 'HEAD' || NULL_BODY_STATUSES.has(status) || upstream.body === null) {
      await upstream.body?.cancel().catch(() => {});
      done();
      return new Response(null, { status, headers: h });
    }
    const body = guardBody(upstream.body, {
      idleTimeoutMs,
      maxBodyBytes,
      abort,
      reason: () => cause,
      done,
    });
    return new Response(body, { status, statusText: upstream.statusText, headers: h });
  }
}
