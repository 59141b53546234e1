import { describe, expect, it } from 'vitest';
import { failureKey, toFailure } from './failure.ts';

describe('toFailure', () => {
  it('keeps an engine error code and detail', () => {
    const e = Object.assign(new Error('denied'), { code: 'DENIED', detail: 'scope', status: 403 });
    expect(toFailure(e)).toEqual({ code: 'DENIED', message: 'denied', detail: 'scope', status: 403 });
  });
  it('reads a fetch TypeError as a network failure', () => {
    expect(toFailure(new TypeError('Failed to fetch'))).toEqual({ code: 'NETWORK', message: 'Failed to fetch' });
  });
  it('accepts plain objects (errors revived from postMessage) and non-errors', () => {
    expect(toFailure({ code: 'QUOTA_EXCEEDED', message: 'full' })).toEqual({ code: 'QUOTA_EXCEEDED', message: 'full' });
    expect(toFailure('plain')).toEqual({ code: '', message: 'plain' });
  });
});

describe('failureKey', () => {
  it('says offline when the network failed while the browser is offline', () => {
    expect(failureKey({ code: 'PROXY_UNREACHABLE', message: 'x' }, false)).toBe('error.offline');
    expect(failureKey({ code: 'NETWORK', message: 'x' }, false)).toBe('error.offline');
  });
  it('blames the proxy only while online', () => {
    expect(failureKey({ code: 'PROXY_UNREACHABLE', message: 'x' }, true)).toBe('error.proxyUnreachable');
  });
  it('other codes keep their explanation offline too', () => {
    expect(failureKey({ code: 'QUOTA_EXCEEDED', message: 'x' }, false)).toBe('error.quota');
    expect(failureKey({ code: '', message: 'x' }, false)).toBe('error.generic');
  });
});
