import { describe, expect, it } from 'vitest';
import { errorMessageKey } from './errors.ts';

describe('pull errors in plain words', () => {
  it.each([
    ['MANIFEST_UNKNOWN', 'error.notFound'],
    ['NAME_UNKNOWN', 'error.notFound'],
    ['UNAUTHORIZED', 'error.unauthorized'],
    ['DENIED', 'error.unauthorized'],
    ['TOOMANYREQUESTS', 'error.rateLimit'],
    ['PROXY_UNREACHABLE', 'error.proxyUnreachable'],
    ['HOST_NOT_ALLOWED', 'error.hostNotAllowed'],
    ['QUOTA_EXCEEDED', 'error.quota'],
    ['LAYER_DIGEST_MISMATCH', 'error.generic'],
    ['LAYER_FILE_MISMATCH', 'error.peekChanged'],
    ['LAYER_DIFFID_MISMATCH', 'error.generic'],
  ])('%s → %s', (code, key) => {
    expect(errorMessageKey({ code, message: 'x' })).toBe(key);
  });
});
