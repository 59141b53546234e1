/**
 * Standalone Layerscope CORS proxy for Node:
 *
 *   npx tsx proxy/server.ts
 *
 * Listens on http://127.0.0.1:${PROXY_PORT || PORT || 8787}/ (HOST to change the
 * address) with basePath `/`: http://127.0.0.1:8787/registry-1.docker.io/v2/…
 * Configuration: the PROXY_* variables documented in proxy/config.ts.
 * Logs one line per request, without query strings or credentials.
 */
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createProxyHandler, type ProxyConfig } from './handler.ts';
import { proxyConfigFromEnv } from './config.ts';
import { LOOPBACK_HOSTNAMES, createNodeListener, isLoopbackBind, listen, nodeProxyDefaults, urlHost } from './node.ts';

export interface ProxyServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startProxyServer(options: {
  port?: number;
  host?: string;
  proxyConfig?: ProxyConfig;
  log?: (line: string) => void;
}): Promise<ProxyServer> {
  const host = options.host ?? '127.0.0.1';
  const handler = createProxyHandler({ ...nodeProxyDefaults(), ...options.proxyConfig, basePath: '/' });
  const listenerOptions: Parameters<typeof createNodeListener>[1] = {};
  if (options.log) listenerOptions.log = options.log;
  if (isLoopbackBind(host)) listenerOptions.allowedHostnames = LOOPBACK_HOSTNAMES;
  const server = createServer(createNodeListener(handler, listenerOptions));
  const port = await listen(server, options.port ?? 8787, host, 'PROXY_PORT');
  return {
    url: `http://${urlHost(host)}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.PROXY_PORT || env.PORT || 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PROXY_PORT/PORT: invalid port "${env.PROXY_PORT || env.PORT}"`);
  const proxyConfig = proxyConfigFromEnv(env);
  const started = await startProxyServer({
    port,
    host: env.HOST || '127.0.0.1',
    proxyConfig,
    log: (l) => console.log(l),
  });
  console.log(`Layerscope proxy running at ${started.url} (e.g. ${started.url}registry-1.docker.io/v2/)`);
  const stop = (): void => void started.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`layerscope proxy: ${(e as Error).message}`);
    process.exit(1);
  });
}
