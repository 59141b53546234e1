/** The proxy handler's configuration (see proxy/README.md for the environment variables). */
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
  /** Longest wait for the next body chunk from upstream, and for the client to read the last one. Default 60 s. */
  idleTimeoutMs?: number;
  /** Bound on a whole exchange, body included. Default 1 h. */
  maxDurationMs?: number;
  /** Refuse upstream bodies larger than this (Content-Length, then counted). Default: no limit. */
  maxBodyBytes?: number;
  /** Redirect hops followed. Default 5. */
  maxRedirects?: number;
  /** Upstream exchanges in flight at once, all clients together (then 503). Default 256. */
  maxConnections?: number;
  /** Upstream exchanges in flight at once for one client address (then 429). Default 64. */
  maxConnectionsPerClient?: number;
  /**
   * The client's identity for the per-client cap. Default: the address the runtime adapter
   * recorded (proxy/node.ts does); undefined means only the total cap applies.
   */
  clientKey?: (request: Request) => string | undefined;
  /** DNS lookup (all addresses) to refuse names resolving to private addresses; injected on Node. */
  resolveHost?: (hostname: string) => Promise<readonly string[]>;
  /** The fetch used upstream. Default: global fetch. */
  fetch?: typeof fetch;
  /**
   * True when `fetch` hands back bodies exactly as sent, content coding included (proxy/node.ts's
   * `nodeUpstreamFetch`). Then an upstream that ignores `Accept-Encoding: identity` still reaches
   * the app byte for byte; with a decoding fetch (the global one) such a response is refused.
   */
  rawUpstreamBodies?: boolean;
  /** User-Agent sent upstream. */
  userAgent?: string;
}

export type ProxyHandler = (request: Request) => Promise<Response>;
