/**
 * A tap in front of a test server: an HTTP forwarder on 127.0.0.1 that records every request
 * (method, path, Range, bytes of body sent back) and can cut a response after N body bytes,
 * the way a dropped connection would. Used to prove `Already exists` fetches nothing and to
 * inject faults into pulls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TapRecord {
  method: string;
  path: string;
  range?: string;
  status: number;
  bytes: number;
  cut: boolean;
}

export interface Tap {
  /** `127.0.0.1:PORT`, to use as a registry host. */
  host: string;
  records: TapRecord[];
  /** Cut the next matching response after `afterBytes` body bytes (once). */
  cutNext(match: (path: string) => boolean, afterBytes: number): void;
  clear(): void;
  close(): Promise<void>;
}

export async function startTap(targetHost: string): Promise<Tap> {
  const records: TapRecord[] = [];
  let cut: { match: (path: string) => boolean; afterBytes: number } | null = null;
  const [thost, tport] = targetHost.split(':');
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: targetHost };
    const upstream = http.request({ host: thost, port: Number(tport), method: req.method, path: req.url, headers }, (up) => {
      const rec: TapRecord = { method: req.method ?? 'GET', path: req.url ?? '', status: up.statusCode ?? 0, bytes: 0, cut: false };
      if (typeof req.headers.range === 'string') rec.range = req.headers.range;
      records.push(rec);
      let limit = Infinity;
      if (cut && cut.match(rec.path) && (up.statusCode ?? 0) < 300) {
        limit = cut.afterBytes;
        cut = null;
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.on('data', (chunk: Buffer) => {
        if (rec.bytes + chunk.length > limit) {
          const part = chunk.subarray(0, Math.max(0, limit - rec.bytes));
          rec.bytes += part.length;
          rec.cut = true;
          res.write(part, () => res.socket?.destroy());
          up.destroy();
          return;
        }
        rec.bytes += chunk.length;
        res.write(chunk);
      });
      up.on('end', () => {
        if (!rec.cut) res.end();
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    records,
    cutNext(match, afterBytes) {
      cut = { match, afterBytes };
    },
    clear() {
      records.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
