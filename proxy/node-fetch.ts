/**
 * The proxy's upstream fetch on Node: node:http/https with keep-alive agents,
 * handing back the body exactly as the upstream sent it. Node's global fetch
 * (undici) decodes `Content-Encoding: gzip` on its own; a registry or CDN that
 * ignores `Accept-Encoding: identity` would then reach the app as other bytes
 * than the ones its digest covers. Used with `rawUpstreamBodies: true`.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true });
const NULL_BODY = new Set([204, 205, 304]);
/** Bytes buffered between the upstream socket and the reader before the socket is paused. */
const BUFFER_BYTES = 256 * 1024;

/** A `fetch` for the proxy handler (GET/HEAD, no request body, `redirect: 'manual'` semantics). */
export function nodeUpstreamFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const signal = init.signal ?? undefined;
  const method = (init.method ?? 'GET').toUpperCase();
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const secure = url.protocol === 'https:';
    const req = (secure ? httpsRequest : httpRequest)(url, {
      method,
      headers,
      agent: secure ? httpsAgent : httpAgent,
    });
    let answered = false;
    const onAbort = (): void => {
      req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal?.removeEventListener('abort', onAbort));
    req.on('error', (e) => {
      if (!answered) reject(e); // later errors reach the reader through the body stream
    });
    req.once('response', (res) => {
      answered = true;
      const h = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      const status = res.statusCode ?? 502;
      if (status < 200 || status > 599) {
        res.destroy();
        reject(new Error(`upstream status ${status}`));
        return;
      }
      let body: ReadableStream<Uint8Array> | null = null;
      if (method === 'HEAD' || NULL_BODY.has(status)) res.resume();
      else body = bodyStream(res, () => req.destroy());
      resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers: h }));
    });
    req.end();
  });
}

/** The response as a byte-counted ReadableStream that pauses the socket when its buffer is full. */
function bodyStream(res: IncomingMessage, destroy: () => void): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        res.pause();
        res.on('data', (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) res.pause();
        });
        res.once('end', () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        const fail = (e?: Error): void => {
          if (settled) return;
          settled = true;
          controller.error(e ?? new Error('upstream connection closed before the body ended'));
        };
        res.once('error', fail);
        res.once('close', () => {
          if (!res.complete) fail();
        });
      },
      pull() {
        res.resume();
      },
      cancel() {
        settled = true;
        res.destroy();
        destroy();
      },
    },
    { highWaterMark: BUFFER_BYTES, size: (c) => c.byteLength },
  );
}
