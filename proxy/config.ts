/**
 * Reads the proxy's environment variables into a ProxyConfig. Takes the
 * environment as a plain object (no `process` here) so edge runtimes can pass
 * their own bindings.
 *
 *   PROXY_ALLOW_HOSTS       comma-separated host[:port] added to the built-in registry list;
 *                           `*` wildcards allowed; an exact entry also opens a loopback/private
 *                           address (e.g. `localhost:5000,10.0.0.7:5000`)
 *   PROXY_ALLOW_ORIGINS     comma-separated browser origins (`https://app.example`,
 *                           `http://localhost:*`, or `*`); default: the proxy's own origin
 *                           plus http://localhost:*, http://127.0.0.1:*, http://[::1]:*
 *   PROXY_TIMEOUT_MS        connect + response headers timeout (default 30000)
 *   PROXY_IDLE_TIMEOUT_MS   longest silence while streaming a body, from upstream or from a
 *                           client that stops reading (default 60000)
 *   PROXY_MAX_DURATION_MS   bound on one whole exchange (default 3600000)
 *   PROXY_MAX_BODY_BYTES    refuse larger upstream bodies (default: no limit)
 *   PROXY_MAX_REDIRECTS     redirect hops followed (default 5)
 *   PROXY_MAX_CONNECTIONS   upstream requests in flight, all clients (default 256; then 503)
 *   PROXY_MAX_CONNECTIONS_PER_CLIENT  the same per client address (default 64; then 429)
 */
import type { ProxyConfig } from './handler.ts';
import { parseHostPattern } from './hosts.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export function proxyConfigFromEnv(env: Env, base: ProxyConfig = {}): ProxyConfig {
  const config: ProxyConfig = { ...base };
  const hosts = list(env.PROXY_ALLOW_HOSTS);
  if (hosts.length) {
    for (const h of hosts) {
      try {
        parseHostPattern(h);
      } catch (e) {
        throw new Error(`PROXY_ALLOW_HOSTS: ${(e as Error).message}`, { cause: e });
      }
    }
    config.allowHosts = [...(base.allowHosts ?? []), ...hosts];
  }
  const origins = list(env.PROXY_ALLOW_ORIGINS);
  if (origins.length) {
    for (const o of origins) {
      if (o !== '*' && !/^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:(\d{1,5}|\*))?$/i.test(o)) {
        throw new Error(
          `PROXY_ALLOW_ORIGINS: invalid origin "${o}" (expected scheme://host[:port], scheme://host:* or *)`,
        );
      }
    }
    config.allowOrigins = origins.map((o) => o.replace(/\/$/, '').toLowerCase());
  }
  const num = (name: string, key: keyof ProxyConfig, min: number): void => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name}: expected an integer ≥ ${min}, got "${raw}"`);
    (config as Record<string, unknown>)[key] = n;
  };
  num('PROXY_TIMEOUT_MS', 'headersTimeoutMs', 1);
  num('PROXY_IDLE_TIMEOUT_MS', 'idleTimeoutMs', 1);
  num('PROXY_MAX_DURATION_MS', 'maxDurationMs', 1);
  num('PROXY_MAX_BODY_BYTES', 'maxBodyBytes', 0);
  num('PROXY_MAX_REDIRECTS', 'maxRedirects', 0);
  num('PROXY_MAX_CONNECTIONS', 'maxConnections', 1);
  num('PROXY_MAX_CONNECTIONS_PER_CLIENT', 'maxConnectionsPerClient', 1);
  return config;
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
