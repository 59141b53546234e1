import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  errorCode,
  isErrorCode,
  LayerscopeError,
  reviveError,
  toErrorData,
  type ErrorCode,
  type ErrorData,
} from './errors.ts';
import { ArchiveError } from './archive/errors.ts';
import { CompressionError } from './compression-error.ts';
import { FormatError } from './docker/formatter.ts';
import { LayerError } from './layer/errors.ts';
import { PullError } from './pull-error.ts';
import { InvalidReferenceError, parseReference } from './reference.ts';
import { errorFromResponse, RegistryError } from './registry/errors.ts';
import { TarError } from './tar/errors.ts';
import { UnionError } from './union/errors.ts';
import { StoreError } from '../store/errors.ts';

/** What postMessage does to the data: a structured clone. */
const acrossPostMessage = (e: LayerscopeError): LayerscopeError | undefined => reviveError(structuredClone(e.toJSON()));

/** Own enumerable fields (what a subclass adds), as comparable data. */
const fields = (e: object): Record<string, unknown> => Object.fromEntries(Object.entries(e));

describe('every error class survives structured clone with its class, code and fields', () => {
  const cases: [string, LayerscopeError, new (...args: never[]) => LayerscopeError][] = [
    [
      'RegistryError',
      new RegistryError('TOOMANYREQUESTS', 'toomanyrequests: slow down', {
        status: 429,
        detail: '{"Reason":"x"}',
        rateLimit: { limit: 100, remaining: 0, windowSeconds: 21600 },
        registryCode: 'TOOMANYREQUESTS',
      }),
      RegistryError,
    ],
    ['LayerError', new LayerError('LAYER_DIFFID_MISMATCH', 'layer x: diff_id', 'sha256:ab', 'etc/x'), LayerError],
    ['TarError', new TarError('TAR_PATH_ESCAPE', 'path escapes the root: ../x', '../x'), TarError],
    ['ArchiveError', new ArchiveError('ARCHIVE_MISSING', 'blobs/x is missing', 'blobs/x', 'sha256:cd'), ArchiveError],
    ['UnionError', new UnionError('hardlink-missing', 'a/b', 'hard link target a/c does not exist'), UnionError],
    ['CompressionError', new CompressionError('COMPRESSION_LIMIT', 'zstd: window too large'), CompressionError],
    ['PullError', new PullError('DOWNLOAD_INTERRUPTED', 'download of layer x was interrupted'), PullError],
    [
      'StoreError',
      new StoreError('AMBIGUOUS_ID', 'prefix a matches 2 images', { prefix: 'a', matches: ['sha256:a1', 'sha256:a2'] }),
      StoreError,
    ],
    ['InvalidReferenceError', new InvalidReferenceError('invalid reference format'), InvalidReferenceError],
    ['LayerscopeError', new LayerscopeError('NOT_A_FILE', '/etc is not a regular file'), LayerscopeError],
  ];

  it.each(cases)('%s', (name, original, ctor) => {
    const back = acrossPostMessage(original);
    expect(back).toBeInstanceOf(ctor);
    expect(back).toBeInstanceOf(LayerscopeError);
    expect(back).toBeInstanceOf(Error);
    expect(back!.name).toBe(name);
    expect(back!.code).toBe(original.code);
    expect(back!.message).toBe(original.message);
    expect(fields(back!)).toEqual(fields(original));
    // The revived error is a real Error, so it can itself be cloned or thrown again.
    expect(Object.prototype.toString.call(back)).toBe('[object Error]');
    expect(acrossPostMessage(back!)!.toJSON()).toEqual(original.toJSON());
  });

  it('a structured clone of the error itself loses what toJSON keeps (why the pair exists)', () => {
    const e = new RegistryError('DENIED', 'denied', { status: 403 });
    const cloned = structuredClone(e) as unknown as Record<string, unknown>;
    expect(cloned.status).toBeUndefined();
    expect(acrossPostMessage(e)).toMatchObject({ status: 403 });
  });

  it('toJSON holds plain data only: no stack, no undefined fields, copies not shared objects', () => {
    const details = { prefix: 'a' };
    const e = new StoreError('NOT_FOUND', 'no', details);
    const d = e.toJSON();
    expect(d).toEqual({ name: 'StoreError', code: 'NOT_FOUND', message: 'no', details: { prefix: 'a' } });
    expect('stack' in d).toBe(false);
    expect(d.details).not.toBe(details);
    expect(JSON.parse(JSON.stringify(new TarError('TAR_TRUNCATED', 'eof')))).toEqual({
      name: 'TarError',
      code: 'TAR_TRUNCATED',
      message: 'eof',
    });
  });

  it('keeps the cause chain (ES2022 `cause`), as error data', () => {
    const idb = new DOMException('disk full', 'QuotaExceededError');
    const store = new StoreError('QUOTA_EXCEEDED', 'quota', undefined, { cause: idb });
    const archive = new ArchiveError('ARCHIVE_STORE', 'the store refused', undefined, undefined, { cause: store });
    const back = acrossPostMessage(archive)!;
    expect(back).toBeInstanceOf(ArchiveError);
    expect(back.cause).toBeInstanceOf(StoreError);
    expect((back.cause as StoreError).code).toBe('QUOTA_EXCEEDED');
    const inner = (back.cause as StoreError).cause as LayerscopeError;
    expect(inner).toBeInstanceOf(LayerscopeError);
    expect(inner).toMatchObject({ name: 'QuotaExceededError', code: 'ERROR', message: 'disk full' });
  });

  it('a cycle of causes ends instead of recursing forever', () => {
    const a = new LayerscopeError('ERROR', 'a');
    const b = new LayerscopeError('ERROR', 'b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    let depth = 0;
    for (let d: ErrorData | undefined = a.toJSON(); d; d = d.cause) depth++;
    expect(depth).toBeLessThan(10);
  });
});

describe('reviveError', () => {
  it('refuses what is not error data', () => {
    expect(reviveError(null)).toBeUndefined();
    expect(reviveError('boom')).toBeUndefined();
    expect(reviveError({ name: 'TarError', message: 'no code' })).toBeUndefined();
  });

  it('an unknown code (from another build) reads as ERROR; an unknown name as the base class', () => {
    const back = reviveError({ name: 'FutureError', code: 'SOMETHING_NEW', message: 'm' });
    expect(back).toBeInstanceOf(LayerscopeError);
    expect(back).toMatchObject({ name: 'FutureError', code: 'ERROR', message: 'm' });
  });

  it('does not run the constructor: a RegistryError keeps its status and retryable as sent', () => {
    const back = reviveError({
      name: 'RegistryError',
      code: 'HTTP_ERROR',
      message: 'm',
      status: 503,
      retryable: false,
    });
    // The constructor would have derived retryable = true from 503.
    expect(back).toMatchObject({ status: 503, retryable: false });
  });
});

describe('toErrorData for anything thrown', () => {
  it('foreign errors keep name and message; AbortError is ABORTED', () => {
    expect(toErrorData(new TypeError('Failed to fetch'))).toEqual({
      name: 'TypeError',
      code: 'ERROR',
      message: 'Failed to fetch',
    });
    expect(toErrorData(new DOMException('cancelled', 'AbortError'))).toMatchObject({ code: 'ABORTED' });
    expect(toErrorData('text')).toEqual({ name: 'Error', code: 'ERROR', message: 'text' });
    expect(toErrorData(Object.assign(new Error('x'), { code: 'NOT_FOUND' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(toErrorData(Object.assign(new Error('x'), { code: 'ENOENT' }))).toMatchObject({ code: 'ERROR' });
    expect(errorCode(new PullError('CONFIG_INVALID', 'x'))).toBe('CONFIG_INVALID');
  });

  it('command-bar errors carry their codes', () => {
    expect(() => parseReference('Upper')).toThrow(InvalidReferenceError);
    try {
      parseReference('Upper');
    } catch (e) {
      expect(errorCode(e)).toBe('INVALID_REFERENCE');
    }
    expect(new FormatError('template parsing error: x')).toMatchObject({ name: 'FormatError', code: 'FORMAT_ERROR' });
  });
});

describe('codes', () => {
  it('are listed once each', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const c of ERROR_CODES) expect(isErrorCode(c)).toBe(true);
    expect(isErrorCode('lower case!')).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });

  it('form a closed union (checked by the compiler, not at run time)', () => {
    // @ts-expect-error an arbitrary string is not an ErrorCode
    const c: ErrorCode = 'NOT_A_CODE';
    expect(isErrorCode(c)).toBe(false);
  });

  it('a code a registry invents becomes REGISTRY_ERROR, its text kept in registryCode', async () => {
    const e = await errorFromResponse(
      new Response(JSON.stringify({ errors: [{ code: 'PAYMENT_REQUIRED', message: 'pay up' }] }), { status: 402 }),
      'manifest',
    );
    expect(e).toMatchObject({ code: 'REGISTRY_ERROR', registryCode: 'PAYMENT_REQUIRED', status: 402 });
    // distribution's errcode text of the registry's own code, unchanged.
    expect(e.message).toBe('payment required: pay up');
    expect(acrossPostMessage(e)).toMatchObject({ code: 'REGISTRY_ERROR', registryCode: 'PAYMENT_REQUIRED' });
  });

  it('a known registry code stays itself and is also kept as registryCode', async () => {
    const e = await errorFromResponse(
      new Response(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known' }] }), {
        status: 404,
      }),
      'manifest',
    );
    expect(e).toMatchObject({ code: 'NAME_UNKNOWN', registryCode: 'NAME_UNKNOWN' });
  });
});
