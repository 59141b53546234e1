/**
 * Thin Node adapter: http.IncomingMessage/ServerResponse ↔ fetch Request/Response.
 * Streams both ways with backpressure; when the client disconnects, the
 * Request's signal aborts and the response body is cancelled (which aborts
 * the upstream fetch in the proxy handler).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { lookup } from 'node:dns/promises';
import { Readable } from 'node:stream';
import type { ProxyConfig } from './options.ts';
import { setClientAddress } from './limits.ts';
import { nodeUpstreamFetch } from './node-fetch.ts';

export type FetchHandler = (request: Request) => Promise<Response>;

export interface NodeListenerOptions {
  /** One line per request; receives text without query strings or credentials. Default: none. */
  log?: (line: string) => void;
  /**
   * Accepted Host header names (lower case, no port). Set when listening on
   * loopback so a page on another site cannot reach us by rebinding its DNS name
   * to 127.0.0.1. Undefined: any Host.
   */
  allowedHostnames?: readonly string[];
}

/** `dns.lookup` of every address, for ProxyConfig.resolveHost. */
export async function nodeResolveHost(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/**
 * What the Node servers inject into the proxy handler: DNS checks of names,
 * and an upstream fetch that passes bodies byte for byte (content coding included).
 */
export function nodeProxyDefaults(): Pick<ProxyConfig, 'resolveHost' | 'fetch' | 'rawUpstreamBodies'> {
  return { resolveHost: nodeResolveHost, fetch: nodeUpstreamFetch as typeof fetch, rawUpstreamBodies: true };
}

/** Host names that always mean this machine. */
export const LOOPBACK_HOSTNAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

export function isLoopbackBind(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Why a request target cannot be served, or undefined. Only origin-form
 * (`/path?query`) is: an absolute-form target (`GET http://other.example/…`)
 * or a path starting with `//` or `\\` (literally or percent-encoded) would,
 * resolved as a URL, name another origin, which the proxy would then take as
 * its own when checking `Origin`.
 */
export function badRequestTarget(target: string): string | undefined {
  if (!target.startsWith('/')) {
    return 'is not a path (absolute-form and authority-form request targets are not served: this is not a forward proxy)';
  }
  const path = target.split('?')[0]!;
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // malformed escapes: check the raw form only
  }
  if (/^[/\\][/\\]/.test(path) || /^[/\\][/\\]/.test(decoded)) {
    return 'starts with "//" or "\\" (literally or percent-encoded), which could name another origin';
  }
  return undefined;
}

const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;

/**
 * The fetch Request for a Node request. Its URL is the Host header's origin
 * plus the path, never the request target resolved on its own (see
 * badRequestTarget); throws on a target or Host header that cannot be served.
 */
export function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const target = req.url ?? '/';
  const why = badRequestTarget(target);
  if (why) throw new Error(`request target ${why}`);
  const host = req.headers.host ?? 'localhost';
  if (!HOST_HEADER.test(host)) throw new Error('Host header is not host[:port]');
  const url = new URL(`http://${host}${target}`);
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (name.startsWith(':')) continue;
    headers.append(name, req.rawHeaders[i + 1]!);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
  if (hasBody) {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  const request = new Request(url, init);
  if (req.socket.remoteAddress) setClientAddress(request, req.socket.remoteAddress);
  return request;
}

/** Writes a fetch Response to a ServerResponse, honouring backpressure; resolves when done or aborted. */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const onClose = (): void => {
    if (!res.writableFinished) void reader.cancel(new Error('client disconnected')).catch(() => {});
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) {
        // Also wakes when the body errors meanwhile (e.g. the client idle timeout
        // released the upstream): the next read() throws and the socket is cut.
        await new Promise<void>((resolve) => {
          const go = (): void => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
          reader.closed.then(go, go);
        });
      }
    }
    if (!res.destroyed) res.end();
  } catch {
    // The body failed after the status line went out: cut the connection so
    // the client sees a truncated transfer, not a short "complete" body.
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}

/** A `(req, res)` listener for http.createServer that runs a fetch handler. */
export function createNodeListener(
  handler: FetchHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = Date.now();
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const pathOnly = (req.url ?? '/').split('?')[0]!;
    if (options.log) {
      const log = options.log;
      res.once('close', () => {
        const outcome = res.writableEnded ? String(res.statusCode) : `${res.statusCode} aborted`;
        log(`${new Date().toISOString()} ${req.method} ${pathOnly} ${outcome} ${Date.now() - started}ms`);
      });
    }
    const hostHeader = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
    if (options.allowedHostnames && !options.allowedHostnames.includes(hostHeader)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Host "${hostHeader}" is not served here; use http://127.0.0.1:PORT/ or http://localhost:PORT/\n`);
      return;
    }
    let request: Request;
    try {
      request = toRequest(req, controller.signal);
    } catch (e) {
      // Registry-shaped, so the app's registry client shows the reason; no CORS headers.
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' });
      const message = `layerscope: bad request: ${(e as Error).message}`;
      res.end(JSON.stringify({ errors: [{ code: 'BAD_PATH', message }] }));
      return;
    }
    handler(request)
      .then((response) => sendResponse(res, response))
      .catch((e: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(
          JSON.stringify({
            errors: [{ code: 'INTERNAL', message: `layerscope: internal error (${(e as Error)?.name ?? 'Error'})` }],
          }),
        );
      });
  };
}

/** Starts listening; a taken port becomes an Error that says what to do. Resolves to the bound port. */
export function listen(
  server: import('node:http').Server,
  port: number,
  host: string,
  portVar = 'PORT',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') {
        reject(
          new Error(
            `port ${port} on ${host} is already in use; stop the other server or choose another port (${portVar}=${port + 1})`,
          ),
        );
      } else if (e.code === 'EACCES') {
        reject(new Error(`no permission to listen on ${host}:${port}; choose a port above 1023 (${portVar}=8080)`));
      } else {
        reject(e);
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Formats a host for a URL (`::1` → `[::1]`). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
