/**
 * Which upstream hosts the Layerscope proxy may reach, in one place.
 *
 * Pure TypeScript (no Node APIs): used by the fetch handler on any runtime.
 *
 * Pattern syntax (lower case, compared after URL normalisation):
 *   - `host`          exact host name on the scheme's default port (443; 80 for loopback http)
 *   - `host:port`     exact host name and port
 *   - `*.example.com` one or more labels before `example.com` (not `example.com` itself)
 *   - `cdn*.quay.io`  `*` inside a label matches zero or more of [a-z0-9-] (never a dot)
 *   - `a.*.b.com`     a whole middle label `*` matches exactly one label
 * IP literals are written as the URL parser prints them: `127.0.0.1`, `[::1]`.
 */

/**
 * Public registries, their token hosts and the CDN / storage hosts their blob
 * requests redirect to. Redirect targets move over time (Docker Hub moved from
 * Cloudflare to CloudFront, R2 and S3); when a pull fails with HOST_NOT_ALLOWED
 * naming a CDN host, add it here (or to PROXY_ALLOW_HOSTS locally).
 *
 * Sources: Docker's "Allowlist for Docker Desktop" page, OpenShift's firewall
 * docs (Quay CDN), AWS EKS Anywhere network requirements (ECR Public blob CDN),
 * AKS egress rules (MCR), and kubernetes/registry.k8s.io `cmd/archeio` (the
 * registry.k8s.io redirector: Artifact Registry upstream, per-region S3 buckets).
 */
export const DEFAULT_ALLOW_HOSTS: readonly string[] = [
  // Docker Hub: API, token service, blob CDNs (Cloudflare, CloudFront, R2, S3).
  'registry-1.docker.io',
  'index.docker.io',
  'auth.docker.io',
  'production.cloudflare.docker.com',
  'production.cloudfront.docker.com',
  'docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com',
  'docker-images-prod.s3.dualstack.*.amazonaws.com',
  // GitHub Container Registry: API + token (`ghcr.io/token`), blob CDN.
  'ghcr.io',
  'pkg-containers.githubusercontent.com',
  // Quay: API + token (`quay.io/v2/auth`), CDN (cdn, cdn01..cdn03), S3 origin.
  'quay.io',
  'cdn*.quay.io',
  'quayio-production-s3.s3.amazonaws.com',
  // Google Container Registry / Artifact Registry: API + token, blob storage.
  'gcr.io',
  '*.gcr.io',
  '*-docker.pkg.dev',
  'storage.googleapis.com',
  // Amazon ECR Public: API + token, dual-stack endpoint, CloudFront blob CDN.
  'public.ecr.aws',
  'ecr-public.aws.com',
  'd2glxqk2uabbnd.cloudfront.net',
  'd5l0dvt14r5h8.cloudfront.net',
  // Microsoft Container Registry: API, regional data endpoints, legacy CDN.
  'mcr.microsoft.com',
  '*.data.mcr.microsoft.com',
  '*.cdn.mscr.io',
  // registry.k8s.io: redirects to Artifact Registry (*-docker.pkg.dev above)
  // or to per-region S3 buckets.
  'registry.k8s.io',
  'prod-registry-k8s-io-*.s3.dualstack.*.amazonaws.com',
  '767373bbdcb8270361b96548387bf2a9ad0d48758c35-eu-west-2.s3.dualstack.eu-west-2.amazonaws.com',
];

/** A parsed allowlist entry. */
export interface HostPattern {
  /** The entry as written (normalised to lower case). */
  readonly source: string;
  /** True when the entry has no `*`: only such entries may open private addresses. */
  readonly exact: boolean;
  /** Port, or undefined for "the scheme's default port". */
  readonly port: number | undefined;
  readonly matchHost: (host: string) => boolean;
}

/** Canonical host and port of a target, as the URL parser normalises them. */
export interface HostPort {
  /** `registry-1.docker.io`, `127.0.0.1`, `[::1]` (IPv6 keeps its brackets, as in URL.hostname). */
  readonly host: string;
  /** Explicit port or undefined when default. */
  readonly port: number | undefined;
}

const LABEL_CHARS = /^[a-z0-9*-]+$/;

/**
 * Parses `host[:port]` (with `*` wildcards) into a pattern; throws an Error
 * naming the entry when it is malformed.
 */
export function parseHostPattern(entry: string): HostPattern {
  const source = entry.trim().toLowerCase();
  const bad = (why: string): Error => new Error(`invalid host entry "${entry}": ${why}`);
  if (source === '') throw bad('empty');
  let port: number | undefined;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(source);
  if (!m) throw bad('expected host[:port]');
  const hostPart = m[1]!;
  if (m[2] !== undefined) {
    port = Number(m[2]);
    if (port < 1 || port > 65535) throw bad('port out of range');
  }
  const exact = !hostPart.includes('*');
  if (exact) {
    const canon = canonicalHostPort(port === undefined ? hostPart : `${hostPart}:${port}`);
    if (!canon) throw bad('not a valid host name or IP address');
    const h = canon.host;
    // An explicit port equal to the default is kept as written: `localhost:443` is not `localhost`.
    return { source, exact, port, matchHost: (x) => x === h };
  }
  const labels = hostPart.split('.');
  if (labels.some((l) => l === '' || !LABEL_CHARS.test(l))) throw bad('labels may hold only a-z, 0-9, - and *');
  if (labels.length < 3 && labels[0] === '*') throw bad('a leading *. needs at least two labels after it');
  const parts = labels.map((label, i) => {
    if (label === '*') return i === 0 ? '(?:[a-z0-9-]+\\.)*[a-z0-9-]+' : '[a-z0-9-]+';
    return label.split('*').map(escapeRegExp).join('[a-z0-9-]*');
  });
  const re = new RegExp(`^${parts.join('\\.')}$`);
  return { source, exact, port, matchHost: (x) => re.test(x) };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Normalises `host[:port]` the way the WHATWG URL parser does (lower case,
 * punycode, IPv4 shorthand such as `2130706433` → `127.0.0.1`, IPv6
 * compression), refusing anything that is not a bare authority (userinfo,
 * path, query, fragment, backslash).
 */
export function canonicalHostPort(hostPort: string): HostPort | undefined {
  if (hostPort === '' || /[@/\\?#%\s]/.test(hostPort)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${hostPort}/`);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.hostname === '') return undefined;
  // URL drops the port when it equals the scheme default (80 for http); keep what was written.
  const written = /:(\d+)$/.exec(hostPort);
  const port = url.port !== '' ? Number(url.port) : written && !hostPort.endsWith(']') ? Number(written[1]) : undefined;
  return { host: url.hostname, port };
}

/** Loopback hosts, reached over plain http like Docker's implicit insecure registries. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const v4 = parseIPv4(host);
  if (v4 !== undefined) return v4 >>> 24 === 127;
  const v6 = parseIPv6(stripBrackets(host));
  return v6 !== undefined && v6.every((g, i) => g === (i === 7 ? 1 : 0));
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Dotted-quad IPv4 to a 32-bit number, or undefined. */
export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
}

/** IPv6 text (no brackets, optional trailing dotted quad) to eight 16-bit groups, or undefined. */
export function parseIPv6(s: string): number[] | undefined {
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':')) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = parseIPv4(maybeV4);
    if (v4 === undefined) return undefined;
    tail = [v4 >>> 16, v4 & 0xffff];
    s = s.slice(0, lastColon + 1) + '0'; // placeholder group, replaced below
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = toGroups(halves[0]!);
  const rest = halves.length === 2 ? toGroups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  if (tail.length) {
    // drop the placeholder group
    if (halves.length === 2 && rest.length) rest.pop();
    else if (halves.length === 1) head.pop();
    else return undefined;
  }
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1 && explicit !== 8) return undefined;
  if (halves.length === 2 && explicit > 7) return undefined;
  const zeros = new Array<number>(8 - explicit).fill(0);
  return halves.length === 2 ? [...head, ...zeros, ...rest, ...tail] : [...head, ...tail];
}

/**
 * Why an IP address is not a public unicast address, or undefined when it is.
 * Covers loopback, RFC 1918, link-local, CGNAT, "this network", multicast and
 * reserved IPv4; IPv6 loopback, unspecified, unique-local, link-local,
 * multicast, IPv4-mapped/compatible, and NAT64/6to4 wrapping a private IPv4.
 */
export function privateAddressReason(ip: string): string | undefined {
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) return privateV4Reason(v4);
  const g = parseIPv6(stripBrackets(ip));
  if (g === undefined) return undefined;
  const [a, b] = g as [number, number];
  const first6Zero = g.slice(0, 6).every((x) => x === 0);
  if (g.every((x) => x === 0)) return 'unspecified address';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback address';
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return 'IPv4-mapped IPv6 address';
  if (first6Zero) return 'IPv4-compatible IPv6 address';
  if ((a & 0xfe00) === 0xfc00) return 'unique local address (fc00::/7)';
  if ((a & 0xffc0) === 0xfe80) return 'link-local address (fe80::/10)';
  if ((a & 0xff00) === 0xff00) return 'multicast address';
  const embedded = (hi: number, lo: number): number => ((hi << 16) | lo) >>> 0;
  if (a === 0x64 && b === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    const r = privateV4Reason(embedded(g[6]!, g[7]!));
    if (r) return `NAT64 address wrapping ${article(r)} ${r}`;
  }
  if (a === 0x2002) {
    const r = privateV4Reason(embedded(g[1]!, g[2]!));
    if (r) return `6to4 address wrapping ${article(r)} ${r}`;
  }
  return undefined;
}

function privateV4Reason(v4: number): string | undefined {
  const inNet = (net: string, bits: number): boolean => {
    const n = parseIPv4(net)!;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (v4 & mask) >>> 0 === (n & mask) >>> 0;
  };
  if (inNet('127.0.0.0', 8)) return 'loopback address';
  if (inNet('0.0.0.0', 8)) return '"this network" address (0.0.0.0/8)';
  if (inNet('10.0.0.0', 8) || inNet('172.16.0.0', 12) || inNet('192.168.0.0', 16)) return 'private address (RFC 1918)';
  if (inNet('169.254.0.0', 16)) return 'link-local address (169.254.0.0/16)';
  if (inNet('100.64.0.0', 10)) return 'shared address space (100.64.0.0/10)';
  if (inNet('192.0.0.0', 24)) return 'IETF protocol assignment address (192.0.0.0/24)';
  if (inNet('198.18.0.0', 15)) return 'benchmarking address (198.18.0.0/15)';
  if (inNet('224.0.0.0', 4)) return 'multicast address';
  if (inNet('240.0.0.0', 4)) return 'reserved address (240.0.0.0/4)';
  return undefined;
}

/** "a" or "an" before an address kind from privateAddressReason ("an IPv4-mapped …", "a loopback …"). */
export function article(kind: string): string {
  return /^(?:unspecified|IPv|IETF)/.test(kind) ? 'an' : 'a';
}

/** Is the host an IP literal (v4 dotted quad or bracketed/bare v6)? */
export function isIpLiteral(host: string): boolean {
  return parseIPv4(host) !== undefined || parseIPv6(stripBrackets(host)) !== undefined;
}

/**
 * Does any pattern allow this host on this port? A pattern without a port
 * means the scheme's default port (443 for https, 80 for http).
 */
export function matchesAny(
  patterns: readonly HostPattern[],
  host: string,
  port: number,
  scheme: 'https:' | 'http:',
  exactOnly = false,
): boolean {
  const defaultPort = scheme === 'http:' ? 80 : 443;
  return patterns.some((p) => (!exactOnly || p.exact) && (p.port ?? defaultPort) === port && p.matchHost(host));
}
