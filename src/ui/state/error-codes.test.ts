import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../core/errors.ts';
import { en, ja } from '../i18n/messages.ts';
import { errorMessageKey, messageKeyForCode, rateLimitText } from './errors.ts';

describe('every error code has an explanation', () => {
  it.each(ERROR_CODES.map((c) => [c] as const))('%s', (code) => {
    const key = messageKeyForCode(code);
    expect(en[key], key).toBeTypeOf('string');
    expect(ja[key], key).toBeTypeOf('string');
    expect(errorMessageKey({ code, message: 'x' })).toBe(key);
  });

  it('a code this build does not know reads as generic', () => {
    expect(errorMessageKey({ code: 'FROM_A_NEWER_WORKER', message: 'x' })).toBe('error.generic');
  });

  it('the rate-limit figures fill {detail}', () => {
    expect(
      rateLimitText({
        name: 'RegistryError',
        code: 'TOOMANYREQUESTS',
        message: 'm',
        rateLimit: { limit: 100, remaining: 0 },
      }),
    ).toBe('limit 100, remaining 0');
    expect(rateLimitText({ name: 'RegistryError', code: 'TOOMANYREQUESTS', message: 'm' })).toBe('');
  });
});
