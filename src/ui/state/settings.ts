/**
 * App settings: pure parsing and defaults, no DOM (tested in Node). The Svelte state class
 * in settings.svelte.ts persists them in localStorage.
 */
export interface Credential {
  username: string;
  password: string;
}

export interface Settings {
  /** Base URL of the CORS proxy; requests go to `${proxyUrl}${host}/${path}`. Ends with `/`. */
  proxyUrl: string;
  /** `os/arch[/variant]` chosen when an image has several platforms. */
  defaultPlatform: string;
  /** Keyed by registry as Docker names it (`docker.io`, `ghcr.io`, `localhost:5000`). */
  credentials: Record<string, Credential>;
}

export const DEFAULT_PLATFORM = 'linux/amd64';

export function defaultSettings(origin: string): Settings {
  return { proxyUrl: `${origin}/proxy/`, defaultPlatform: DEFAULT_PLATFORM, credentials: {} };
}

/** A proxy URL must be absolute http(s); it is returned with exactly one trailing slash. */
export function normalizeProxyUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(input)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`the proxy URL must start with http:// or https:// (got ${url.protocol})`);
  }
  if (url.search || url.hash) throw new Error('the proxy URL must not have a query or fragment');
  return url.href.replace(/\/*$/, '/');
}

const PLATFORM_RE = /^[a-z0-9_.-]+\/[a-z0-9_.-]+(\/[a-z0-9_.-]+)?$/;

export function normalizePlatform(input: string): string {
  const p = input.trim().toLowerCase();
  if (!PLATFORM_RE.test(p))
    throw new Error(`a platform is os/arch[/variant], e.g. linux/arm64 (got ${JSON.stringify(input)})`);
  return p;
}

/** Docker Hub has three names; credentials are filed under the one Docker uses, `docker.io`. */
export function registryKey(host: string): string {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '');
  if (h === 'index.docker.io' || h === 'registry-1.docker.io' || h === 'registry.hub.docker.com') return 'docker.io';
  if (!/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/.test(h)) {
    throw new Error(`not a registry host: ${JSON.stringify(host)}`);
  }
  return h;
}

/** Stored settings are read defensively: anything malformed falls back to the default. */
export function parseSettings(raw: string | null, origin: string): Settings {
  const base = defaultSettings(origin);
  if (!raw) return base;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return base;
  }
  if (typeof data !== 'object' || data === null) return base;
  const d = data as Record<string, unknown>;
  const out: Settings = { ...base, credentials: {} };
  if (typeof d.proxyUrl === 'string') {
    try {
      out.proxyUrl = normalizeProxyUrl(d.proxyUrl);
    } catch {
      /* keep default */
    }
  }
  if (typeof d.defaultPlatform === 'string') {
    try {
      out.defaultPlatform = normalizePlatform(d.defaultPlatform);
    } catch {
      /* keep default */
    }
  }
  if (typeof d.credentials === 'object' && d.credentials !== null) {
    for (const [k, v] of Object.entries(d.credentials as Record<string, unknown>)) {
      const c = v as Record<string, unknown> | null;
      if (c && typeof c.username === 'string' && typeof c.password === 'string') {
        try {
          out.credentials[registryKey(k)] = { username: c.username, password: c.password };
        } catch {
          /* drop */
        }
      }
    }
  }
  return out;
}
