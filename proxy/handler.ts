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
 * the upstream host must be on the allowlist (`proxy/hosts.ts`, plus
 * PROXY_ALLOW_HOSTS); loopback/private addresses, literal or resolved, are
 * refused unless listed exactly; redirects are followed here (at most 5 hops,
 * each target checked, `Authorization` dropped once a hop leaves the original
 * origin); bodies stream through, never buffered. Headers are passed through
 * unchanged apart from hop-by-hop and origin-scoped ones: the app itself maps
 * challenge realms (e.g. https://auth.docker.io/token) onto this path scheme.
 *
 * Errors use the registry error shape so the app's registry client surfaces them:
 *   {"errors":[{"code":"HOST_NOT_ALLOWED","message":"layerscope proxy: …"}]}
 */
import {
  DEFAULT_ALLOW_HOSTS,
  canonicalHostPort,
  isIpLiteral,
  isLoopbackHost,
  matchesAny,
  parseHostPattern,
  privateAddressReason,
  type HostPattern,
} from './hosts.ts';

export const PROXY_VERSION = '0.1.0';

export interface ProxyConfig {
  /** Mount path, starting and ending with `/`. Default `/proxy/`. */
  basePath?: string;
  /** Extra `host[:port]` entries (PROXY_ALLOW_HOSTS). Exact entries may open private addresses. */
  allowHosts?: readonly string[];
  /** Replaces the built-in public registry list (tests, locked-down deployments). */
  defaultAllowHosts?: readonly string[];
  /**
   * Allowed browser origins: exact origins, `scheme://host:*` (any port) or `*`.
   * Undefined: the proxy's own origin plus http://localhost:*, http://127.0.0.1:*, http://[::1]:*.
   */
  allowOrigins?: readonly string[];
  /** Time to connect and receive response headers, per request including redirects. Default 30 s. */
  headersTimeoutMs?: number;
  /** Longest wait for the next body chunk from upstream. Default 60 s. */
  idleTimeoutMs?: number;
  /** Bound on a whole exchange, body included. Default 1 h. */
  maxDurationMs?: number;
  /** Refuse upstream bodies larger than this (Content-Length, then counted). Default: no limit. */
  maxBodyBytes?: number;
  /** Redirect hops followed. Default 5. */
  maxRedirects?: number;
  /** DNS lookup (all addresses) to refuse names resolving to private addresses; injected on Node. */
  resolveHost?: (hostname: string) => Promise<readonly string[]>;
  /** The fetch used upstream. Default: global fetch. */
  fetch?: typeof fetch;
  /** User-Agent sent upstream. */
  userAgent?: string;
}

export type ProxyHandler = (request: Request) => Promise<Response>;

const ALLOW_METHODS = 'GET, HEAD, OPTIONS';
const BASE_ALLOW_HEADERS = ['Authorization', 'Accept', 'Range', 'Content-Type'];
/** Request headers a preflight may ask for, lower case → canonical spelling. */
const PREFLIGHT_HEADERS = new Map(
  [...BASE_ALLOW_HEADERS, 'If-None-Match', 'If-Range', 'Docker-Distribution-Api-Version'].map((h) => [
    h.toLowerCase(),
    h,
  ]),
);
export const EXPOSE_HEADERS = [
  'WWW-Authenticate',
  'Docker-Content-Digest',
  'Content-Range',
  'Content-Length',
  'Content-Type',
  'Link',
  'Docker-Distribution-Api-Version',
  'ratelimit-limit',
  'ratelimit-remaining',
  'docker-ratelimit-source',
  'Retry-After',
].join(', ');
/** Request headers forwarded upstream; everything else (cookies included) stays here. */
const FORWARD_HEADERS = ['authorization', 'accept', 'range', 'if-none-match', 'if-range'];
/** Response headers never passed back: hop-by-hop (RFC 9110 §7.6.1) and ones scoped to the upstream origin. */
const DROP_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'set-cookie',
  'set-cookie2',
  'alt-svc',
  'strict-transport-security',
  'content-security-policy',
  'content-security-policy-report-only',
  'clear-site-data',
  'report-to',
  'nel',
]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const DEFAULT_LOCAL_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'];

interface Refusal {
  status: number;
  code: string;
  message: string;
}

class ProxyAbort extends Error {
  constructor(readonly kind: 'client' | 'headers-timeout' | 'idle-timeout' | 'total-timeout' | 'too-large') {
    super(kind);
  }
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
    const refuse = (why: string): Refusal => ({
      status: 403,
      code: 'HOST_NOT_ALLOWED',
      message: `layerscope proxy: ${what} ${why}; add it to PROXY_ALLOW_HOSTS`,
    });
    if (scheme !== 'https:' && scheme !== 'http:') {
      return {
        status: 502,
        code: 'BAD_REDIRECT',
        message: `layerscope proxy: ${what} uses unsupported scheme ${scheme}`,
      };
    }
    if (scheme === 'http:' && !isLoopbackHost(host)) {
      return {
        status: 403,
        code: 'HOST_NOT_ALLOWED',
        message: `layerscope proxy: ${what} uses plain http, which the proxy only speaks to loopback hosts`,
      };
    }
    if (target.username || target.password) return refuse('carries credentials in the URL and');
    const port = target.port ? Number(target.port) : scheme === 'http:' ? 80 : 443;
    // Listed exactly (no wildcard) in PROXY_ALLOW_HOSTS: the operator chose this host, private or not.
    if (matchesAny(extra, host, port, scheme, true)) return undefined;
    const literal =
      host === 'localhost' ? 'loopback address' : isIpLiteral(host) ? privateAddressReason(host) : undefined;
    if (literal) return refuse(`is a ${literal}, not allowed unless listed exactly`);
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
        if (r) return refuse(`resolves to a ${r} (${a}), not allowed unless listed exactly`);
      }
    }
    return undefined;
  }

  function corsHeaders(request: Request): Headers {
    const h = new Headers({ Vary: 'Origin', 'Access-Control-Expose-Headers': EXPOSE_HEADERS });
    const origin = request.headers.get('origin');
    if (origin !== null) h.set('Access-Control-Allow-Origin', origin);
    else if (allowOrigins?.includes('*')) h.set('Access-Control-Allow-Origin', '*');
    return h;
  }

  function errorResponse(request: Request, r: Refusal, extraHeaders?: Record<string, string>): Response {
    const h = corsHeaders(request);
    h.set('Content-Type', 'application/json; charset=utf-8');
    h.set('Cache-Control', 'no-store');
    h.set('X-Content-Type-Options', 'nosniff');
    for (const [k, v] of Object.entries(extraHeaders ?? {})) h.set(k, v);
    const body = JSON.stringify({ errors: [{ code: r.code, message: r.message }] });
    return new Response(request.method === 'HEAD' ? null : body, { status: r.status, headers: h });
  }

  return async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const origin = request.headers.get('origin');
    if (origin !== null && !originAllowed(origin, url.origin)) {
      return new Response(
        JSON.stringify({
          errors: [
            {
              code: 'ORIGIN_NOT_ALLOWED',
              message: `layerscope proxy: origin "${origin}" is not allowed; add it to PROXY_ALLOW_ORIGINS`,
            },
          ],
        }),
        {
          status: 403,
          headers: { 'Content-Type': 'application/json; charset=utf-8', Vary: 'Origin', 'Cache-Control': 'no-store' },
        },
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
      return errorResponse(
        request,
        {
          status: 405,
          code: 'METHOD_NOT_ALLOWED',
          message: `layerscope proxy: method ${request.method} is not allowed; the proxy is read-only (GET, HEAD)`,
        },
        { Allow: ALLOW_METHODS },
      );
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
    return forward(request, target);
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
      limits: { headersTimeoutMs, idleTimeoutMs, maxDurationMs, maxRedirects, maxBodyBytes: maxBodyBytes ?? null },
    });
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: h });
  }

  async function forward(request: Request, target: URL): Promise<Response> {
    const controller = new AbortController();
    let cause: ProxyAbort | undefined;
    const abort = (kind: ProxyAbort['kind']): void => {
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

    const h = corsHeaders(request);
    const connectionListed = (upstream.headers.get('connection') ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim());
    const decoded = upstream.headers.has('content-encoding');
    upstream.headers.forEach((value, name) => {
      if (DROP_RESPONSE_HEADERS.has(name) || name.startsWith('access-control-') || connectionListed.includes(name))
        return;
      // fetch decodes content codings itself; the upstream length and coding no longer describe the body.
      if (decoded && (name === 'content-encoding' || name === 'content-length')) return;
      h.append(name, value); // `vary` merges with our `Vary: Origin`
    });
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

/**
 * Pass-through stream with backpressure (pulls from upstream only when the
 * client reads), an idle bound armed only while waiting on upstream, and an
 * optional byte bound. Cancelling it (client gone) aborts the upstream fetch.
 */
function guardBody(
  source: ReadableStream<Uint8Array>,
  opts: {
    idleTimeoutMs: number;
    maxBodyBytes: number | undefined;
    abort: (kind: ProxyAbort['kind']) => void;
    reason: () => ProxyAbort | undefined;
    done: () => void;
  },
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let seen = 0;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    opts.done();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const idle = setTimeout(() => opts.abort('idle-timeout'), opts.idleTimeoutMs);
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch {
          clearTimeout(idle);
          finish();
          const kind = opts.reason()?.kind;
          controller.error(new Error(`layerscope proxy: upstream body ${kind ? kind.replace('-', ' ') : 'failed'}`));
          return;
        }
        clearTimeout(idle);
        if (result.done) {
          finish();
          controller.close();
          return;
        }
        seen += result.value.byteLength;
        if (opts.maxBodyBytes !== undefined && seen > opts.maxBodyBytes) {
          opts.abort('too-large');
          finish();
          await reader.cancel().catch(() => {});
          controller.error(new Error(`layerscope proxy: upstream body over the ${opts.maxBodyBytes}-byte limit`));
          return;
        }
        controller.enqueue(result.value);
      },
      async cancel(reason) {
        opts.abort('client');
        finish();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

function upstreamFailure(target: URL, e: unknown, cause: ProxyAbort | undefined): Refusal {
  const host = target.host;
  if (cause?.kind === 'headers-timeout' || cause?.kind === 'total-timeout') {
    return {
      status: 504,
      code: 'UPSTREAM_TIMEOUT',
      message: `layerscope proxy: "${host}" did not answer in time (${cause.kind.replace('-', ' ')})`,
    };
  }
  if (cause?.kind === 'client') {
    return { status: 499, code: 'CLIENT_CLOSED', message: 'layerscope proxy: the client went away' };
  }
  return {
    status: 502,
    code: 'UPSTREAM_UNREACHABLE',
    message: `layerscope proxy: could not reach "${host}": ${errorCode(e)}`,
  };
}

const ERROR_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

/** A short, token-free description of a network error (never the URL or the message text). */
function errorCode(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code))
      return ERROR_TEXT[code] ? `${ERROR_TEXT[code]} (${code})` : code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return 'network error';
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
