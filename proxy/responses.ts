/**
 * What the proxy sends back: its registry-shaped errors, and which upstream
 * response headers may reach the browser. No Node APIs (runs on edge runtimes).
 */

export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** Extra response headers (e.g. `Retry-After`, `Allow`). */
  headers?: Record<string, string>;
}

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

/**
 * Upstream response headers passed to the browser: an allowlist, not a
 * blocklist. Proxied responses are served from the app's own origin, so any
 * header a browser acts on for that origin (`Set-Cookie`, `Clear-Site-Data`,
 * `Service-Worker-Allowed`, `Refresh`, `Content-Security-Policy`, `Origin-Agent-Cluster`,
 * `Cross-Origin-*-Policy`, `Permissions-Policy`, `Accept-CH`, `Alt-Svc`, HSTS, `Report-To`,
 * `Speculation-Rules`, and whatever browsers add next) must never come from a
 * registry or CDN. Only what the registry protocol and HTTP caching need is
 * kept; everything else, hop-by-hop headers included, is dropped.
 */
const PASS_RESPONSE_HEADERS = new Set([
  // the body
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  // caching and conditional requests
  'etag',
  'last-modified',
  'cache-control',
  'expires',
  'age',
  'vary',
  // the registry protocol (distribution spec, OCI referrers, Docker Hub rate limits)
  'www-authenticate',
  'docker-content-digest',
  'docker-distribution-api-version',
  'docker-ratelimit-source',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
  'oci-subject',
  'oci-filters-applied',
]);

/** `rel` values of pagination links (the distribution spec uses `next`). */
const PAGINATION_RELS = new Set(['next', 'prev', 'previous', 'first', 'last']);

/**
 * The response headers of `upstream` that may reach the browser.
 * `Link` passes only on registry API paths (`/v2/…`) and only its pagination
 * entries (`<…>; rel="next"`): a `rel=preload`/`modulepreload`/`serviceworker`
 * link has no business on the app's origin. `Content-Encoding` never passes:
 * the body is either the exact upstream bytes (`rawBody`) or refused earlier.
 */
export function passedResponseHeaders(upstream: Headers, upstreamPath: string, into: Headers): void {
  const apiPath = upstreamPath.startsWith('/v2/');
  upstream.forEach((value, name) => {
    if (name === 'link') {
      if (!apiPath) return;
      const kept = paginationLinks(value);
      if (kept !== '') into.append('link', kept);
      return;
    }
    if (PASS_RESPONSE_HEADERS.has(name)) into.append(name, value); // `vary` merges with our `Vary: Origin`
  });
}

/** Keeps the entries of a Link header whose every `rel` is a pagination relation. */
export function paginationLinks(value: string): string {
  const kept: string[] = [];
  // Entries are `<uri-reference>; params`, comma-separated; the URI itself may hold commas.
  for (const m of value.matchAll(/<[^>]*>[^<]*/g)) {
    const entry = m[0].trim().replace(/,\s*$/, '');
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(entry);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    if (rels.length > 0 && rels.every((r) => PAGINATION_RELS.has(r))) kept.push(entry);
  }
  return kept.join(', ');
}

export function corsHeaders(request: Request, allowOrigins: readonly string[] | undefined): Headers {
  const h = new Headers({ Vary: 'Origin', 'Access-Control-Expose-Headers': EXPOSE_HEADERS });
  const origin = request.headers.get('origin');
  if (origin !== null) h.set('Access-Control-Allow-Origin', origin);
  else if (allowOrigins?.includes('*')) h.set('Access-Control-Allow-Origin', '*');
  return h;
}

/** A registry-shaped JSON error (`{"errors":[{code,message}]}`) the app's registry client surfaces. */
export function errorResponse(request: Request, r: Refusal, cors: Headers | undefined): Response {
  const h = cors ?? new Headers({ Vary: 'Origin' });
  h.set('Content-Type', 'application/json; charset=utf-8');
  h.set('Cache-Control', 'no-store');
  h.set('X-Content-Type-Options', 'nosniff');
  for (const [k, v] of Object.entries(r.headers ?? {})) h.set(k, v);
  const body = JSON.stringify({ errors: [{ code: r.code, message: r.message }] });
  return new Response(request.method === 'HEAD' ? null : body, { status: r.status, headers: h });
}

export type AbortKind = 'client' | 'client-idle' | 'headers-timeout' | 'idle-timeout' | 'total-timeout' | 'too-large';

export class ProxyAbort extends Error {
  constructor(readonly kind: AbortKind) {
    super(kind);
  }
}

export function upstreamFailure(target: URL, e: unknown, cause: ProxyAbort | undefined): Refusal {
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
export function errorCode(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code))
      return ERROR_TEXT[code] ? `${ERROR_TEXT[code]} (${code})` : code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return 'network error';
}

export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
