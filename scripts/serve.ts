/**
 * The server `npm start` runs: the built app from `dist/` and the CORS proxy
 * at `/proxy/` on the same origin, on http://127.0.0.1:${PORT || 8080}/.
 *
 *   node --import tsx scripts/serve.ts      (after `vite build`; scripts/start.mjs does both)
 *
 * Static rules: `index.html` for unknown paths without a file extension (the
 * app routes itself); 404 for a missing file; `no-cache` for the app shell
 * (index.html, sw.js, registerSW.js, manifest.webmanifest) so an update is
 * seen at once; a year, immutable, for hashed `assets/*`. Paths that could
 * leave `dist/` (`..`, encoded or not, backslashes, NUL) are refused.
 * Environment: PORT (8080), HOST (127.0.0.1), LAYERSCOPE_DIST_DIR (dist/),
 * LAYERSCOPE_QUIET=1 (no request log), and the PROXY_* variables of proxy/config.ts.
 */
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createProxyHandler, type ProxyConfig } from '../proxy/handler.ts';
import { proxyConfigFromEnv } from '../proxy/config.ts';
import {
  LOOPBACK_HOSTNAMES,
  createNodeListener,
  isLoopbackBind,
  listen,
  nodeProxyDefaults,
  urlHost,
} from '../proxy/node.ts';

export const PROXY_BASE_PATH = '/proxy/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The app shell: must be revalidated every time so a new version is picked up. */
const NO_CACHE_FILES = new Set(['/index.html', '/sw.js', '/registerSW.js', '/manifest.webmanifest']);

export interface StartServerOptions {
  port?: number;
  host?: string;
  distDir?: string;
  proxyConfig?: ProxyConfig;
  log?: (line: string) => void;
}

export interface RunningServer {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

function textResponse(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...extra },
  });
}

/** A fetch handler serving files from distDir (already resolved with realpath). */
export function createStaticHandler(distDir: string): (request: Request) => Promise<Response> {
  const root = distDir.endsWith(sep) ? distDir : distDir + sep;

  async function fileResponse(request: Request, file: string, urlPath: string): Promise<Response | undefined> {
    let real: string;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      real = await realpath(file);
      info = await stat(real);
    } catch {
      return undefined;
    }
    // A symlink inside dist/ must not lead outside it either.
    if (!real.startsWith(root) || !info.isFile()) return undefined;
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
      'Cache-Control': urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ETag: etag,
      'Last-Modified': info.mtime.toUTCString(),
      'X-Content-Type-Options': 'nosniff',
    };
    if (NO_CACHE_FILES.has(urlPath)) headers['Cache-Control'] = 'no-cache';
    if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
    headers['Content-Length'] = String(info.size);
    if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
    const body = Readable.toWeb(createReadStream(real)) as unknown as ReadableStream<Uint8Array>;
    return new Response(body, { status: 200, headers });
  }

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return textResponse(405, 'Method not allowed', { Allow: 'GET, HEAD' });
    }
    const rawPath = new URL(request.url).pathname;
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(rawPath);
    } catch {
      return textResponse(400, 'Bad path');
    }
    // The URL parser already resolved literal and %2e dot segments; what decodes
    // into one now (e.g. `..%2f`) is an attempt to leave dist/.
    if (urlPath.includes('\0') || urlPath.includes('\\') || urlPath.split('/').includes('..')) {
      return textResponse(400, 'Bad path');
    }
    const wanted = urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath;
    const file = resolve(root, `.${wanted}`);
    if (!file.startsWith(root)) return textResponse(400, 'Bad path');
    const found = await fileResponse(request, file, wanted);
    if (found) return found;
    // Unknown paths that do not look like files belong to the app.
    const last = wanted.slice(wanted.lastIndexOf('/') + 1);
    if (!last.includes('.') || last === 'index.html') {
      const index = await fileResponse(request, join(root, 'index.html'), '/index.html');
      if (index) return index;
    }
    return textResponse(404, 'Not found');
  };
}

/** Starts app + proxy on one origin. Port 0 picks a free port (tests). */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const distDir = resolve(options.distDir ?? fileURLToPath(new URL('../dist/', import.meta.url)));
  let root: string;
  try {
    root = await realpath(distDir);
    await stat(join(root, 'index.html'));
  } catch {
    throw new Error(`${distDir}/index.html not found; build the app first (npm run build, or npm start)`);
  }
  const proxy = createProxyHandler({ ...nodeProxyDefaults(), ...options.proxyConfig, basePath: PROXY_BASE_PATH });
  const statics = createStaticHandler(root);
  const handler = (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    return path === '/proxy' || path.startsWith(PROXY_BASE_PATH) ? proxy(request) : statics(request);
  };
  const listenerOptions: Parameters<typeof createNodeListener>[1] = {};
  if (options.log) listenerOptions.log = options.log;
  if (isLoopbackBind(host)) listenerOptions.allowedHostnames = LOOPBACK_HOSTNAMES;
  const server = createServer(createNodeListener(handler, listenerOptions));
  const port = await listen(server, options.port ?? 8080, host, 'PORT');
  return {
    url: `http://${urlHost(host)}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.PORT || 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT: invalid port "${env.PORT}"`);
  const host = env.HOST || '127.0.0.1';
  const proxyConfig = proxyConfigFromEnv(env);
  const quiet = env.LAYERSCOPE_QUIET === '1';
  const options: StartServerOptions = { port, host, proxyConfig };
  if (env.LAYERSCOPE_DIST_DIR) options.distDir = env.LAYERSCOPE_DIST_DIR;
  if (!quiet) options.log = (l) => console.log(l);
  const running = await startServer(options);
  console.log(`Layerscope running at ${running.url} (proxy at ${running.url}proxy/)`);
  const stop = (): void => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`layerscope: ${(e as Error).message}`);
    process.exit(1);
  });
}
