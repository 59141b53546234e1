/**
 * What went wrong in a worker call, as the person is told: any thrown value becomes a plain
 * `{ code, message }` (the engine's errors keep their code across the worker boundary), and the
 * catalog key for the plain-language explanation comes from errors.ts. One addition here: a
 * network failure while the browser is offline says "offline" instead of blaming the proxy.
 */
import type { RateLimit } from '../../core/errors.ts';
import type { MessageKey } from '../i18n/messages.ts';
import { errorMessageKey, rateLimitText } from './errors.ts';

/** What the UI keeps of an error: the engine's code (an ErrorCode, or `NETWORK` for a fetch that
 * got no response), its message, and what the explanations quote. */
export interface Failure {
  code: string;
  message: string;
  detail?: string;
  status?: number;
  rateLimit?: RateLimit;
}

export function toFailure(e: unknown): Failure {
  if (e && typeof e === 'object') {
    const o = e as {
      code?: unknown;
      message?: unknown;
      detail?: unknown;
      status?: unknown;
      name?: unknown;
      rateLimit?: RateLimit;
    };
    const message = typeof o.message === 'string' ? o.message : String(e);
    // fetch() rejects with a TypeError when no response came at all (no network, refused).
    const code = typeof o.code === 'string' ? o.code : o.name === 'TypeError' ? 'NETWORK' : '';
    return {
      code,
      message,
      ...(typeof o.detail === 'string' ? { detail: o.detail } : {}),
      ...(typeof o.status === 'number' ? { status: o.status } : {}),
      ...(o.rateLimit && typeof o.rateLimit === 'object' ? { rateLimit: o.rateLimit } : {}),
    };
  }
  return { code: '', message: String(e) };
}

const NETWORK_CODES = new Set(['PROXY_UNREACHABLE', 'NETWORK']);

/** The catalog key for a failure; `online` is navigator.onLine when it happened. */
export function failureKey(f: Failure, online: boolean): MessageKey {
  if (!online && NETWORK_CODES.has(f.code)) return 'error.offline';
  return errorMessageKey(f);
}

/** The `{detail}` an explanation quotes: Docker Hub's rate-limit figures, else the registry's detail. */
export function failureDetail(f: Failure): string {
  return f.rateLimit ? rateLimitText(f) : (f.detail ?? '');
}
