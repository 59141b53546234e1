/**
 * The registry client: one object per app (or test), many registries. Wraps the transport with
 * authentication (ping, challenge, token, one retry on 401) and redirect handling. Formats live
 * in `manifests.ts`, `blobs.ts`; reference parsing in `../reference.ts`.
 */
import { apiHost } from '../reference.ts';
import { Authenticator, pullScope, type CredentialsLookup } from './auth.ts';
import { errorFromResponse, redact, redactUrl, RegistryError } from './errors.ts';
import { Transport, type FetchLike, type Scheme, type UrlMapper } from './transport.ts';

export interface RegistryClientOptions {
  /** The platform `fetch` (or a test double). */
  fetch: FetchLike;
  /** Maps `https://host/path` to what is fetched; the app's CORS proxy. Default: identity. */
  mapUrl?: UrlMapper;
  /** Credentials per registry name (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  credentials?: CredentialsLookup;
  /** Override the scheme for a registry host (default: http for loopback, https otherwise). */
  scheme?: (host: string) => Scheme | undefined;
  /** Clock in ms (token expiry; tests). */
  now?: () => number;
}

/** Where a repository lives: a Reference fits. */
export interface RepositoryRef {
  registry: string;
  repository: string;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** What to call the request in error messages. */
  what?: string;
}

/** RFC 9110 §15.4: statuses that carry a Location to follow. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export class RegistryClient {
  readonly transport: Transport;
  readonly auth: Authenticator;

  constructor(opts: RegistryClientOptions) {
    const t: ConstructorParameters<typeof Transport>[0] = { fetch: opts.fetch };
    if (opts.mapUrl) t.mapUrl = opts.mapUrl;
    if (opts.scheme) t.scheme = opts.scheme;
    this.transport = new Transport(t);
    const a: ConstructorParameters<typeof Authenticator>[1] = {};
    if (opts.credentials) a.credentials = opts.credentials;
    if (opts.now) a.now = opts.now;
    this.auth = new Authenticator(this.transport, a);
  }

  /** Redact every token and password this client has seen. */
  redact(text: string): string {
    return redact(text, this.auth.secrets);
  }

  /**
   * GET/HEAD `path` (`/v2/<name>/…`) on the registry's API host, authenticated for pulling
   * `repo`. A 401 is answered once: with a fresh token if the one used came from the cache,
   * or with the challenge the 401 carried. Returns the final response, ok or not; the caller
   * turns a failure into an error with `fail()`.
   */
  async request(repo: RepositoryRef, path: string, opts: RequestOptions = {}): Promise<Response> {
    const host = apiHost(repo.registry);
    const scope = pullScope(repo.repository);
    let challenge = await this.auth.challengeFor(host, opts.signal);
    const authOpts = opts.signal ? { signal: opts.signal } : {};
    const first = await this.auth.authorization(repo.registry, challenge, scope, authOpts);
    const res = await this.#send(host, path, opts, first.header);
    if (res.status !== 401) return res;

    // One retry: with a fresh token when the one sent came from the cache (expired, revoked),
    // or when the 401 asked for auth we had not sent (a new or changed challenge).
    const learned = this.auth.learn(host, res.headers.get('www-authenticate'));
    if (!learned) return res;
    const changed = learned.scheme !== challenge?.scheme || first.header === undefined;
    if (!first.cached && !changed) return res;
    challenge = learned;
    const next = await this.auth.authorization(repo.registry, challenge, scope, {
      ...authOpts,
      fresh: true,
    });
    if (next.header === undefined) return res;
    await res.body?.cancel().catch(() => {});
    return this.#send(host, path, opts, next.header);
  }

  /** Turn a failed response into a RegistryError (body read with a cap, secrets redacted). */
  fail(res: Response, what: string): Promise<RegistryError> {
    return errorFromResponse(res, what, this.auth.secrets);
  }

  /**
   * Send one request, following redirects ourselves (bounded) so that `Authorization` never
   * reaches a different host: blob redirects usually point at a CDN with a signed URL.
   * Through a proxy, the proxy follows redirects (and drops the header) itself.
   */
  async #send(host: string, path: string, opts: RequestOptions, authorization: string | undefined): Promise<Response> {
    const origin = this.transport.registryUrl(host, path);
    let url = origin;
    const proxied = this.transport.isProxied(url);
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { ...opts.headers };
      const sameOrigin = url.host === origin.host && url.protocol === origin.protocol;
      if (authorization !== undefined && sameOrigin) headers.Authorization = authorization;
      const init: RequestInit = {
        method: opts.method ?? 'GET',
        headers,
        redirect: proxied ? 'follow' : 'manual',
      };
      if (opts.signal) init.signal = opts.signal;
      let res = await this.transport.fetch(url, init);
      if (res.type === 'opaqueredirect') {
        // Browsers hide manual redirects; let the platform follow (the Fetch standard drops
        // Authorization on a cross-origin redirect).
        init.redirect = 'follow';
        res = await this.transport.fetch(url, init);
      }
      if (!REDIRECTS.has(res.status)) return res;
      const location = res.headers.get('location');
      if (!location) return res;
      await res.body?.cancel().catch(() => {});
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryError(
          'HTTP_ERROR',
          `${opts.what ?? 'request'}: more than ${MAX_REDIRECTS} redirects from ${origin.host}`,
          { status: res.status },
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new RegistryError('HTTP_ERROR', `${opts.what ?? 'request'}: invalid redirect target`);
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new RegistryError('HTTP_ERROR', `refusing redirect to ${next.protocol} URL`);
      }
      url = next;
    }
  }

  /** A redacted URL of a registry path for messages. */
  describe(repo: RepositoryRef, path: string): string {
    return redactUrl(this.transport.registryUrl(apiHost(repo.registry), path).href);
  }
}
