/**
 * Typed registry errors (OCI distribution spec, "Error Codes"), in the one error model of
 * src/core/errors.ts: plain fields only, `toJSON()` (alias `toData()`) and `reviveError()` (alias
 * `RegistryError.fromData()`) round-trip them through structured clone.
 */
import {
  LayerscopeError,
  REGISTRY_ERROR_CODES,
  registerErrorClass,
  reviveError,
  type RateLimit,
  type RegistryErrorCode,
} from '../errors.ts';

export type { RateLimit, RegistryErrorCode };

export interface RegistryErrorData {
  name: 'RegistryError';
  code: RegistryErrorCode;
  message: string;
  status: number;
  retryable: boolean;
  detail?: string;
  rateLimit?: RateLimit;
  registryCode?: string;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(REGISTRY_ERROR_CODES);

export class RegistryError extends LayerscopeError {
  override readonly name = 'RegistryError' as const;
  declare readonly code: RegistryErrorCode;
  /** HTTP status, 0 when no response was received. */
  readonly status: number;
  readonly retryable: boolean;
  readonly detail?: string;
  readonly rateLimit?: RateLimit;
  /**
   * The code text the registry's error body carried. `code` is the same when Layerscope knows
   * it, and `REGISTRY_ERROR` for a code a registry invented.
   */
  readonly registryCode?: string;

  constructor(
    code: RegistryErrorCode,
    message: string,
    opts: {
      status?: number;
      retryable?: boolean;
      detail?: string;
      rateLimit?: RateLimit;
      registryCode?: string;
      cause?: unknown;
    } = {},
  ) {
    super(code, message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.status = opts.status ?? 0;
    this.retryable = opts.retryable ?? isRetryableStatus(this.status);
    if (opts.detail !== undefined) this.detail = opts.detail;
    if (opts.rateLimit !== undefined) this.rateLimit = opts.rateLimit;
    if (opts.registryCode !== undefined) this.registryCode = opts.registryCode;
  }

  override toJSON(): RegistryErrorData {
    return super.toJSON() as RegistryErrorData;
  }

  /** Alias of `toJSON()`. */
  toData(): RegistryErrorData {
    return this.toJSON();
  }

  /** Alias of `reviveError()` for registry error data. */
  static fromData(d: RegistryErrorData): RegistryError {
    const e = reviveError(d);
    if (e instanceof RegistryError) return e;
    throw new TypeError('not RegistryError data');
  }
}
registerErrorClass('RegistryError', RegistryError);

/** The code for a registry's code text: itself when known, `REGISTRY_ERROR` otherwise. */
export function registryErrorCode(text: string): RegistryErrorCode {
  return KNOWN_CODES.has(text) ? (text as RegistryErrorCode) : 'REGISTRY_ERROR';
}

export function isRegistryErrorData(x: unknown): x is RegistryErrorData {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as { name?: unknown }).name === 'RegistryError' &&
    typeof (x as { code?: unknown }).code === 'string' &&
    typeof (x as { message?: unknown }).message === 'string'
  );
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status === 502 || status === 503 || status === 504;
}

/** Error bodies are read up to this many bytes; the rest is dropped. */
export const ERROR_BODY_CAP = 64 * 1024;
const MAX_MESSAGE = 500;

/** `MANIFEST_UNKNOWN` → `manifest unknown`, as distribution's errcode prints a code. */
function codeText(code: string): string {
  return code.toLowerCase().replace(/_/g, ' ');
}

function fallbackCode(status: number): RegistryErrorCode {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'DENIED';
    case 429:
      return 'TOOMANYREQUESTS';
    default:
      return 'HTTP_ERROR';
  }
}

/** `ratelimit-limit: 100;w=21600` (Docker Hub). */
export function parseRateLimit(headers: Headers): RateLimit | undefined {
  const rl: RateLimit = {};
  for (const [name, key] of [
    ['ratelimit-limit', 'limit'],
    ['ratelimit-remaining', 'remaining'],
  ] as const) {
    const v = headers.get(name);
    if (v === null) continue;
    const m = /^\s*(\d{1,12})\s*(?:;\s*w\s*=\s*(\d{1,12}))?/.exec(v);
    if (!m) continue;
    rl[key] = Number(m[1]);
    if (m[2] !== undefined) rl.windowSeconds = Number(m[2]);
  }
  return rl.limit !== undefined || rl.remaining !== undefined ? rl : undefined;
}

/** Read at most `cap` bytes of a body, then cancel the rest. */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  cap: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (body === null) return { bytes: new Uint8Array(0), truncated: false };
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.byteLength > cap) {
        parts.push(value.subarray(0, cap - total));
        total = cap;
        truncated = true;
        break;
      }
      parts.push(value);
      total += value.byteLength;
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.byteLength;
  }
  return { bytes, truncated };
}

/** Replace every secret (token, password, Authorization value) found in `text`. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out;
}

/** Drop the query string and fragment: signed blob URLs carry credentials there. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Build a RegistryError from a failed response: the first error of the JSON body
 * (`{"errors":[{"code","message","detail"}]}`) when there is one, the status otherwise.
 * The body is read with a cap.
 */
export async function errorFromResponse(
  res: Response,
  what: string,
  secrets: Iterable<string> = [],
): Promise<RegistryError> {
  const { bytes } = await readCapped(res.body, ERROR_BODY_CAP).catch(() => ({
    bytes: new Uint8Array(0),
  }));
  const rateLimit = parseRateLimit(res.headers);
  let code: string | undefined;
  let message: string | undefined;
  let detail: string | undefined;
  try {
    const j: unknown = JSON.parse(new TextDecoder().decode(bytes));
    const first = (j as { errors?: unknown }).errors;
    if (Array.isArray(first) && first.length > 0 && typeof first[0] === 'object' && first[0]) {
      const e = first[0] as { code?: unknown; message?: unknown; detail?: unknown };
      if (typeof e.code === 'string' && /^[A-Z0-9_]{1,64}$/.test(e.code)) code = e.code;
      if (typeof e.message === 'string') message = e.message;
      if (e.detail !== undefined) {
        detail = typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail);
      }
    } else if (typeof (j as { details?: unknown }).details === 'string') {
      // Token servers (Docker Hub's auth) answer {"details": "..."}.
      message = (j as { details: string }).details;
    }
  } catch {
    // not JSON: fall back to the status
  }
  const finalCode = code !== undefined ? registryErrorCode(code) : fallbackCode(res.status);
  let text: string;
  if (code !== undefined) {
    text = `${codeText(code)}: ${message ?? codeText(code)}`;
  } else if (message !== undefined) {
    text = `${codeText(finalCode)}: ${message}`;
  } else if (res.status === 401) {
    text = 'unauthorized: authentication required';
  } else if (res.status === 429) {
    text = 'toomanyrequests: too many requests';
  } else {
    text = `${what}: unexpected HTTP status ${res.status}`;
  }
  if (res.status === 429 && rateLimit) {
    const parts: string[] = [];
    if (rateLimit.limit !== undefined) parts.push(`limit ${rateLimit.limit}`);
    if (rateLimit.remaining !== undefined) parts.push(`remaining ${rateLimit.remaining}`);
    if (rateLimit.windowSeconds !== undefined) parts.push(`window ${rateLimit.windowSeconds}s`);
    text += ` (rate limit: ${parts.join(', ')})`;
  }
  const opts: { status: number; detail?: string; rateLimit?: RateLimit; registryCode?: string } = {
    status: res.status,
  };
  if (code !== undefined) opts.registryCode = code;
  if (detail !== undefined) opts.detail = redact(detail, secrets).slice(0, MAX_MESSAGE);
  if (rateLimit !== undefined) opts.rateLimit = rateLimit;
  return new RegistryError(finalCode, redact(text, secrets).slice(0, MAX_MESSAGE), opts);
}
