/**
 * Registry authentication (distribution "Token Authentication Specification", RFC 7617 Basic).
 * Learns each API host's challenge by pinging `/v2/`, fetches Bearer tokens per scope and caches
 * them until `expires_in`. Credentials are looked up for the registry being talked to and only
 * ever sent answering that registry's own challenge (to its realm, or to it for Basic).
 */
import { parseChallenges, type Challenge } from './challenge.ts';
import { errorFromResponse, readCapped, redactUrl, RegistryError } from './errors.ts';
import { isLoopbackHost, type Transport } from './transport.ts';

export interface Credentials {
  username: string;
  password: string;
}

/** Looks up the credentials a person saved for one registry (`docker.io`, `ghcr.io`, …). */
export type CredentialsLookup = (registry: string) => Credentials | undefined | Promise<Credentials | undefined>;

/** The one challenge Layerscope answers for a host; `null` means no auth asked. */
export type HostChallenge = Challenge | null;

/** What to send: `header` undefined means anonymous; `cached` when a cached token was used. */
export interface Authorization {
  header?: string;
  cached: boolean;
}

/** Token responses are small; refuse anything bigger. */
const TOKEN_BODY_CAP = 1024 * 1024;
/** Token spec: a token without `expires_in` is valid for 60 seconds. */
const DEFAULT_TOKEN_SECONDS = 60;

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface AuthOptions {
  credentials?: CredentialsLookup;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Pick the challenge we can answer: Bearer first, then Basic. */
export function pickChallenge(challenges: Challenge[]): HostChallenge {
  return (
    challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ??
    challenges.find((c) => c.scheme === 'basic') ??
    null
  );
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function basicValue(c: Credentials): string {
  const bytes = new TextEncoder().encode(`${c.username}:${c.password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

export class Authenticator {
  readonly #transport: Transport;
  readonly #credentials: CredentialsLookup;
  readonly #now: () => number;
  readonly #challenges = new Map<string, Promise<HostChallenge>>();
  readonly #tokens = new Map<string, CachedToken>();
  /** Every secret seen, to redact from error messages. */
  readonly secrets = new Set<string>();
  /** Number of token requests made (observability, tests). */
  tokenRequests = 0;

  constructor(transport: Transport, opts: AuthOptions = {}) {
    this.#transport = transport;
    this.#credentials = opts.credentials ?? (() => undefined);
    this.#now = opts.now ?? (() => Date.now());
  }

  /** GET `/v2/` once per API host; remember the challenge. */
  challengeFor(host: string, signal?: AbortSignal): Promise<HostChallenge> {
    let p = this.#challenges.get(host);
    if (!p) {
      p = this.#ping(host, signal);
      this.#challenges.set(host, p);
      p.catch(() => this.#challenges.delete(host));
    }
    return p;
  }

  /** A 401 taught us a (possibly new) challenge for this host. */
  learn(host: string, header: string | null): HostChallenge {
    const ch = header ? pickChallenge(parseChallenges(header)) : null;
    if (ch) this.#challenges.set(host, Promise.resolve(ch));
    return ch;
  }

  async #ping(host: string, signal?: AbortSignal): Promise<HostChallenge> {
    const url = this.#transport.registryUrl(host, '/v2/');
    const init: RequestInit = { method: 'GET' };
    if (signal) init.signal = signal;
    const res = await this.#transport.fetch(url, init);
    if (res.status === 403 || res.status === 429) {
      // A proxy refusal (HOST_NOT_ALLOWED), a registry that denies everyone, a rate limit.
      throw await errorFromResponse(res, `GET ${redactUrl(url.href)}`, this.secrets);
    }
    await res.body?.cancel().catch(() => {});
    if (res.status === 401) {
      return pickChallenge(parseChallenges(res.headers.get('www-authenticate') ?? ''));
    }
    // 200 (no auth) — and registries that answer 404 on /v2/ still serve repositories.
    return null;
  }

  /**
   * The `Authorization` value for one request, or undefined (anonymous).
   * `fresh` skips the token cache (after a 401 with a cached token).
   */
  async authorization(
    registry: string,
    challenge: HostChallenge,
    scope: string,
    opts: { fresh?: boolean; signal?: AbortSignal } = {},
  ): Promise<Authorization> {
    if (!challenge) return { cached: false };
    const creds = await this.#credentials(registry);
    if (creds) {
      this.secrets.add(creds.password);
      this.secrets.add(basicValue(creds).slice('Basic '.length));
    }
    if (challenge.scheme === 'basic') {
      return creds ? { header: basicValue(creds), cached: false } : { cached: false };
    }
    const realm = challenge.params.realm ?? '';
    const service = challenge.params.service ?? '';
    const key = JSON.stringify([realm, service, scope, creds?.username ?? '']);
    const cached = this.#tokens.get(key);
    if (!opts.fresh && cached && cached.expiresAt > this.#now()) {
      return { header: `Bearer ${cached.token}`, cached: true };
    }
    this.#tokens.delete(key);
    const token = await this.#fetchToken(realm, service, scope, creds, opts.signal);
    this.#tokens.set(key, token);
    return { header: `Bearer ${token.token}`, cached: false };
  }

  async #fetchToken(
    realm: string,
    service: string,
    scope: string,
    creds: Credentials | undefined,
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError('TOKEN_INVALID', 'the registry named an invalid token realm');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new RegistryError('TOKEN_INVALID', `unsupported token realm scheme ${url.protocol}`);
    }
    if (creds && url.protocol === 'http:' && !isLoopbackHost(url.host)) {
      throw new RegistryError('UNAUTHORIZED', `refusing to send credentials over plain HTTP to ${url.host}`, {
        status: 401,
      });
    }
    if (service) url.searchParams.set('service', service);
    url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (creds) headers.Authorization = basicValue(creds);
    const init: RequestInit = { method: 'GET', headers, redirect: 'error' };
    if (signal) init.signal = signal;
    this.tokenRequests++;
    const started = this.#now();
    const res = await this.#transport.fetch(url, init);
    if (!res.ok) throw await errorFromResponse(res, `token from ${url.host}`, this.secrets);
    const { bytes, truncated } = await readCapped(res.body, TOKEN_BODY_CAP);
    if (truncated) throw new RegistryError('TOKEN_INVALID', `token response from ${url.host} is too large`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(new TextDecoder().decode(bytes)) as typeof body;
    } catch {
      throw new RegistryError('TOKEN_INVALID', `token response from ${url.host} is not JSON`);
    }
    const token =
      typeof body.token === 'string' && body.token
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : '';
    if (!token || /[\s"]/.test(token)) {
      throw new RegistryError('TOKEN_INVALID', `token response from ${url.host} has no usable token`);
    }
    this.secrets.add(token);
    const seconds =
      typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) && body.expires_in > 0
        ? body.expires_in
        : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: started + seconds * 1000 };
  }
}
