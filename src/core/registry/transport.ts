/**
 * How requests leave: an injected `fetch` and a URL mapper. The app maps
 * `https://host/path` to its CORS proxy (`PROXY_BASE/host/path`); tests map with identity.
 * Knows nothing of formats or auth.
 */
import { RegistryError } from './errors.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
export type UrlMapper = (url: URL) => string;
export type Scheme = 'http' | 'https';

export interface TransportOptions {
  fetch: FetchLike;
  /** Default: identity (direct). */
  mapUrl?: UrlMapper;
  /** Override the scheme chosen for a registry host (tests). */
  scheme?: (host: string) => Scheme | undefined;
}

export const identityMapper: UrlMapper = (url) => url.href;

/** `localhost`, 127.0.0.0/8 and `[::1]`, with or without a port. */
export function isLoopbackHost(host: string): boolean {
  let h = host.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end >= 0 ? h.slice(1, end) : h;
    return h === '::1' || h === '0:0:0:0:0:0:0:1';
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((p) => Number(p) <= 255);
}

/** Docker talks plain HTTP to loopback registries (insecure by default), HTTPS to the rest. */
export function defaultScheme(host: string): Scheme {
  return isLoopbackHost(host) ? 'http' : 'https';
}

export class Transport {
  readonly #fetch: FetchLike;
  readonly #map: UrlMapper;
  readonly #scheme: ((host: string) => Scheme | undefined) | undefined;

  constructor(opts: TransportOptions) {
    this.#fetch = opts.fetch;
    this.#map = opts.mapUrl ?? identityMapper;
    this.#scheme = opts.scheme;
  }

  schemeFor(host: string): Scheme {
    return this.#scheme?.(host) ?? defaultScheme(host);
  }

  /** `scheme://host/v2/…` for a registry API host. */
  registryUrl(host: string, path: string): URL {
    return new URL(`${this.schemeFor(host)}://${host}${path}`);
  }

  /** Whether the mapper sends this URL somewhere else (a proxy). */
  isProxied(url: URL): boolean {
    return new URL(this.#map(url)).host !== url.host;
  }

  /**
   * One HTTP exchange. A fetch that fails before any response becomes PROXY_UNREACHABLE (when
   * the URL is mapped to a proxy) or NETWORK_ERROR; an abort stays an abort.
   */
  async fetch(url: URL, init: RequestInit): Promise<Response> {
    const target = this.#map(url);
    try {
      return await this.#fetch(target, init);
    } catch (e) {
      if (isAbort(e, init.signal)) throw e;
      const proxied = new URL(target).host !== url.host;
      const why = e instanceof Error && e.message ? ` (${e.message})` : '';
      if (proxied) {
        throw new RegistryError(
          'PROXY_UNREACHABLE',
          `cannot reach the proxy at ${new URL(target).origin}${why}; is it running?`,
          { retryable: true },
        );
      }
      throw new RegistryError('NETWORK_ERROR', `cannot reach ${url.host}${why}`, {
        retryable: true,
      });
    }
  }
}

function isAbort(e: unknown, signal: AbortSignal | null | undefined): boolean {
  if (signal?.aborted) return true;
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}
