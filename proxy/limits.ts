/**
 * Caps on upstream exchanges in flight, per client and in total, so a few
 * clients (or one that opens many requests and stops reading) cannot hold
 * every upstream connection. No Node APIs (runs on edge runtimes).
 */

/** Client addresses of requests, set by the runtime adapter (proxy/node.ts) for the handler. */
const clientAddresses = new WeakMap<Request, string>();

export function setClientAddress(request: Request, address: string): void {
  clientAddresses.set(request, address);
}

/** The address the runtime adapter recorded for this request, if any. */
export function clientAddressOf(request: Request): string | undefined {
  return clientAddresses.get(request);
}

export const DEFAULT_MAX_CONNECTIONS = 256;
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 64;
/** Seconds a refused client is told to wait: an exchange in flight usually ends well within it. */
export const RETRY_AFTER_SECONDS = 2;

export type Admission = { ok: true; release: () => void } | { ok: false; limit: 'client' | 'total'; max: number };

export class ConnectionLimiter {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(
    readonly maxTotal: number,
    readonly maxPerClient: number,
  ) {}

  /** Takes a slot for `client` (undefined: counted in the total only); `release` is idempotent. */
  admit(client: string | undefined): Admission {
    if (this.total >= this.maxTotal) return { ok: false, limit: 'total', max: this.maxTotal };
    const mine = client === undefined ? 0 : (this.perClient.get(client) ?? 0);
    if (client !== undefined && mine >= this.maxPerClient)
      return { ok: false, limit: 'client', max: this.maxPerClient };
    this.total++;
    if (client !== undefined) this.perClient.set(client, mine + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        if (client === undefined) return;
        const n = (this.perClient.get(client) ?? 1) - 1;
        if (n <= 0) this.perClient.delete(client);
        else this.perClient.set(client, n);
      },
    };
  }

  /** Exchanges in flight (tests, the info endpoint). */
  get inFlight(): number {
    return this.total;
  }
}
