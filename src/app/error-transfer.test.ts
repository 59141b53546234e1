import { afterAll, describe, expect, it } from 'vitest';
import * as Comlink from 'comlink';
import { installErrorTransfer } from './error-transfer.ts';
import { LayerscopeError } from '../core/errors.ts';
import { RegistryError } from '../core/registry/errors.ts';
import { StoreError } from '../store/errors.ts';
import { ArchiveError } from '../core/archive/errors.ts';

installErrorTransfer();

// Both ends in one thread, over a real MessageChannel: the values cross by structured clone,
// as between the page and the engine worker.
const channel = new MessageChannel();
const api = {
  registry(): never {
    throw new RegistryError('TOOMANYREQUESTS', 'toomanyrequests: slow down', {
      status: 429,
      rateLimit: { limit: 100, remaining: 0 },
    });
  },
  async store(): Promise<never> {
    throw new StoreError('QUOTA_EXCEEDED', 'quota', { what: 'put blob' }, { cause: new Error('idb') });
  },
  archive(): never {
    throw new ArchiveError('ARCHIVE_UNSAFE', 'a member escapes', '../x');
  },
  foreign(): never {
    throw new TypeError('a bug');
  },
  notAnError(): never {
    throw 'plain text';
  },
};
Comlink.expose(api, channel.port1);
const remote = Comlink.wrap<typeof api>(channel.port2);

afterAll(() => {
  channel.port1.close();
  channel.port2.close();
});

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('errors across comlink', () => {
  it('arrive as their class with code and fields', async () => {
    const r = await thrown(remote.registry());
    expect(r).toBeInstanceOf(RegistryError);
    expect(r).toMatchObject({ code: 'TOOMANYREQUESTS', status: 429, rateLimit: { limit: 100, remaining: 0 } });

    const s = await thrown(remote.store());
    expect(s).toBeInstanceOf(StoreError);
    expect(s).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { what: 'put blob' } });
    expect((s as StoreError).cause).toMatchObject({ message: 'idb' });

    const a = await thrown(remote.archive());
    expect(a).toBeInstanceOf(ArchiveError);
    expect(a).toMatchObject({ code: 'ARCHIVE_UNSAFE', member: '../x' });
  });

  it('a foreign error keeps its name and message, with code ERROR', async () => {
    const e = await thrown(remote.foreign());
    expect(e).toBeInstanceOf(LayerscopeError);
    expect(e).toMatchObject({ name: 'TypeError', code: 'ERROR', message: 'a bug' });
  });

  it('a thrown non-error is passed through as comlink does', async () => {
    expect(await thrown(remote.notAnError())).toBe('plain text');
  });
});
