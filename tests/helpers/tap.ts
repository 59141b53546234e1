/**
 * A tap in front of a test server: an HTTP forwarder on 127.0.0.1 that records every request
 * (method, path, Range, bytes of body sent back) and injects faults the way a network does:
 * - `cutNext`: drop the connection after N body bytes (a cable pulled mid-blob);
 * - `refuseNext`: drop the connection before any answer (a proxy that died);
 * - `throttle`: pace matching bodies to a byte rate, so a fault can land mid-transfer;
 * - `waitBytes`: resolve once a matching body has sent N bytes (to time reloads, offline).
 * Used to prove `Already exists` fetches nothing and to inject faults into pulls.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TapRecord {
  method: string;
  path: string;
  range?: string;
  status: number;
  bytes: number;
  /** The tap cut this response on purpose. */
  cut: boolean;
  /** The client went away before the body ended (page reload, offline, abort). */
  clientGone: boolean;
  /** The body was sent to its end. */
  ended: boolean;
}

export type PathMatch = (path: string) => boolean;

export interface Tap {
  /** `127.0.0.1:PORT`, to use as a registry host. */
  host: string;
  records: TapRecord[];
  /** Cut the next matching (2xx) response after `afterBytes` body bytes (once). */
  cutNext(match: PathMatch, afterBytes: number): void;
  /** Close the connection of the next matching request without answering (once). */
  refuseNext(match: PathMatch): void;
  /** Forget an armed cut or refusal that no request met. True if one was armed. */
  disarm(): boolean;
  /** Pace matching response bodies to `bytesPerSecond`; null lifts it. */
  throttle(match: PathMatch | null, bytesPerSecond?: number): void;
  /**
   * Resolves when a matching response has sent at least `bytes` body bytes (or ended, or
   * was cut): the moment to inject a fault from outside (reload, offline). Rejects after
   * `timeoutMs`.
   */
  waitBytes(match: PathMatch, bytes: number, timeoutMs?: number): Promise<TapRecord>;
  clear(): void;
  close(): Promise<void>;
}

interface Waiter {
  match: PathMatch;
  bytes: number;
  resolve: (r: TapRecord) => void;
}

export async function startTap(targetHost: string): Promise<Tap> {
  const records: TapRecord[] = [];
  let cut: { match: PathMatch; afterBytes: number } | null = null;
  let refuse: PathMatch | null = null;
  let pace: { match: PathMatch; bytesPerSecond: number } | null = null;
  const waiters = new Set<Waiter>();
  const [thost, tport] = targetHost.split(':');
  const sockets = new Set<Socket>();

  const notify = (rec: TapRecord, done: boolean) => {
    for (const w of waiters) {
      if (w.match(rec.path) && (rec.bytes >= w.bytes || done)) {
        waiters.delete(w);
        w.resolve(rec);
      }
    }
  };

  const server = http.createServer((req, res) => {
    const path = req.url ?? '';
    if (refuse && refuse(path)) {
      refuse = null;
      records.push({
        method: req.method ?? 'GET',
        path,
        status: 0,
        bytes: 0,
        cut: true,
        clientGone: false,
        ended: false,
      });
      req.socket.destroy();
      return;
    }
    const headers = { ...req.headers, host: targetHost };
    const upstream = http.request({ host: thost, port: Number(tport), method: req.method, path, headers }, (up) => {
      const rec: TapRecord = {
        method: req.method ?? 'GET',
        path,
        status: up.statusCode ?? 0,
        bytes: 0,
        cut: false,
        clientGone: false,
        ended: false,
      };
      if (typeof req.headers.range === 'string') rec.range = req.headers.range;
      records.push(rec);
      let limit = Infinity;
      if (cut && cut.match(path) && (up.statusCode ?? 0) < 300) {
        limit = cut.afterBytes;
        cut = null;
      }
      const rate = pace && pace.match(path) ? pace.bytesPerSecond : 0;
      res.on('close', () => {
        if (!rec.ended && !rec.cut) {
          rec.clientGone = true;
          up.destroy();
          notify(rec, true);
        }
      });
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.on('data', (chunk: Buffer) => {
        if (rec.cut || rec.clientGone) return;
        if (rec.bytes + chunk.length > limit) {
          const part = chunk.subarray(0, Math.max(0, limit - rec.bytes));
          rec.bytes += part.length;
          rec.cut = true;
          res.write(part, () => res.socket?.destroy());
          up.destroy();
          notify(rec, true);
          return;
        }
        rec.bytes += chunk.length;
        res.write(chunk);
        notify(rec, false);
        if (rate > 0) {
          up.pause();
          setTimeout(() => up.resume(), (chunk.length / rate) * 1000);
        }
      });
      up.on('end', () => {
        if (rec.cut || rec.clientGone) return;
        rec.ended = true;
        res.end();
        notify(rec, true);
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
    refuseNext(match) {
      refuse = match;
    },
    disarm() {
      const armed = cut !== null || refuse !== null;
      cut = null;
      refuse = null;
      return armed;
    },
    throttle(match, bytesPerSecond = 0) {
      pace = match && bytesPerSecond > 0 ? { match, bytesPerSecond } : null;
    },
    waitBytes(match, bytes, timeoutMs = 10_000) {
      return new Promise<TapRecord>((resolve, reject) => {
        const w: Waiter = {
          match,
          bytes,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`tap: no matching response reached ${bytes} bytes in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
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
