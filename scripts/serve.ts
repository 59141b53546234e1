/**
 * The server `npm start` runs: the built app from `dist/` and the CORS proxy
 * at `/proxy/` on the same origin, on http://127.0.0.1:${PORT || 8080}/.
 *
 *   node --import tsx scripts/serve.ts [--log] [--sourcemaps]   (after `vite build`; scripts/start.mjs does both)
 *
 * Static rules: `index.html` for unknown paths without a file extension (the
 * app routes itself); 404 for a missing file; `no-cache` for everything but
 * hashed `assets/*-HASH.*` files, which are immutable for a year, so an update
 * of the app shell is seen at once. Text (HTML, JS, CSS, JSON, SVG, the
 * manifest) is sent brotli- or gzip-compressed when the browser accepts it
 * (`Vary: Accept-Encoding`); the proxy's responses never are: registry blobs
 * pass byte for byte. Source maps are not served unless asked for. App pages
 * carry a Content-Security-Policy (no inline script, not frameable). Paths
 * that could leave `dist/` (`..`, encoded or not, backslashes, NUL) are refused.
 * Quiet by default: the URL and errors; `--log` or LOG=1 adds a line per request.
 * Environment: PORT (8080), HOST (127.0.0.1), LAYERSCOPE_DIST_DIR (dist/), LOG=1,
 * SOURCEMAPS=1 (serve `*.map`), and the PROXY_* variables of proxy/config.ts.
 */
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
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

/** `name-HASH.ext` under assets/: Vite's content-hashed output, which never changes under its name. */
const HASHED_ASSET = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/** Types worth compressing; images other than SVG, tars and fonts are compressed already or binary. */
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json|xml)|image\/svg\+xml)/;
/** Below this, compression saves less than the headers it costs. */
const MIN_COMPRESS_BYTES = 1024;

/**
 * For HTML: scripts and styles only from this origin (the built index.html has no inline script;
 * Svelte sets styles through the CSSOM, which style-src does not restrict), images also from
 * blob: (the file viewer's previews) and data:, workers and the service worker from here, and no
 * framing. connect-src allows any http(s) origin because the CORS proxy can be set to another
 * origin in Settings.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self' http: https:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with every static response; the HTML ones also get the CSP and X-Frame-Options. */
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

type ContentEncoding = 'br' | 'gzip';

/** The encoding to send for an Accept-Encoding header: brotli, else gzip, honouring `q=0` and `*`. */
export function pickEncoding(acceptEncoding: string | null): ContentEncoding | null {
  if (!acceptEncoding) return null;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const weight = (name: string) => q.get(name) ?? q.get('*') ?? 0;
  if (weight('br') > 0 && weight('br') >= weight('gzip')) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return null;
}

const compressors: Record<ContentEncoding, (b: Buffer) => Promise<Buffer>> = {
  br: (b) =>
    promisify(brotliCompress)(b, {
      params: {
        [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
        [zlib.BROTLI_PARAM_QUALITY]: 9,
        [zlib.BROTLI_PARAM_SIZE_HINT]: b.length,
      },
    }),
  gzip: (b) => promisify(gzip)(b, { level: 9 }),
};

export interface StartServerOptions {
  port?: number;
  host?: string;
  distDir?: string;
  proxyConfig?: ProxyConfig;
  /** A line per request (off by default). */
  log?: (line: string) => void;
  /** Where errors go (default console.error). */
  logError?: (line: string) => void;
  /** Serve `*.map` files (off by default: source maps are not shipped unless asked for). */
  sourceMaps?: boolean;
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
    headers: { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS, ...extra },
  });
}

interface StaticOptions {
  sourceMaps?: boolean;
}

/** A fetch handler serving files from distDir (already resolved with realpath). */
export function createStaticHandler(
  distDir: string,
  options: StaticOptions = {},
): (request: Request) => Promise<Response> {
  const root = distDir.endsWith(sep) ? distDir : distDir + sep;
  // Compressed bodies, per file and encoding, while the file keeps its size and mtime.
  const compressed = new Map<string, { version: string; body: Promise<Buffer> }>();

  function compressedBody(real: string, version: string, encoding: ContentEncoding): Promise<Buffer> {
    const key = `${encoding}:${real}`;
    const hit = compressed.get(key);
    if (hit?.version === version) return hit.body;
    const body = readFile(real).then((b) => compressors[encoding](b));
    body.catch(() => compressed.delete(key));
    compressed.set(key, { version, body });
    return body;
  }

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
    const contentType = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
    const version = `${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}`;
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'Cache-Control': HASHED_ASSET.test(urlPath) ? 'public, max-age=31536000, immutable' : 'no-cache',
      'Last-Modified': info.mtime.toUTCString(),
      ...SECURITY_HEADERS,
    };
    if (contentType.startsWith('text/html')) {
      headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
      headers['X-Frame-Options'] = 'DENY';
    }
    const compressible = COMPRESSIBLE.test(contentType) && info.size >= MIN_COMPRESS_BYTES;
    const encoding = compressible ? pickEncoding(request.headers.get('accept-encoding')) : null;
    if (compressible) headers.Vary = 'Accept-Encoding';
    // One ETag per representation, so a cache never answers gzip bytes to a brotli request.
    const etag = `W/"${version}${encoding ? `-${encoding}` : ''}"`;
    headers.ETag = etag;
    if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
    if (encoding) {
      const body = await compressedBody(real, version, encoding);
      headers['Content-Encoding'] = encoding;
      headers['Content-Length'] = String(body.length);
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
    }
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
    if (!options.sourceMaps && wanted.toLowerCase().endsWith('.map')) return textResponse(404, 'Not found');
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
  const statics = createStaticHandler(root, { sourceMaps: options.sourceMaps ?? false });
  const logError = options.logError ?? ((l: string) => console.error(l));
  const handler = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    try {
      return await (path === '/proxy' || path.startsWith(PROXY_BASE_PATH) ? proxy(request) : statics(request));
    } catch (e) {
      logError(`layerscope: ${request.method} ${path} failed: ${(e as Error)?.stack ?? String(e)}`);
      throw e;
    }
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
  const args = process.argv.slice(2);
  for (const a of args) {
    if (a !== '--log' && a !== '--sourcemaps') throw new Error(`unknown option ${a} (known: --log, --sourcemaps)`);
  }
  const port = Number(env.PORT || 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT: invalid port "${env.PORT}"`);
  const host = env.HOST || '127.0.0.1';
  const proxyConfig = proxyConfigFromEnv(env);
  const options: StartServerOptions = {
    port,
    host,
    proxyConfig,
    sourceMaps: args.includes('--sourcemaps') || env.SOURCEMAPS === '1',
  };
  if (env.LAYERSCOPE_DIST_DIR) options.distDir = env.LAYERSCOPE_DIST_DIR;
  if (args.includes('--log') || env.LOG === '1') options.log = (l) => console.log(l);
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
