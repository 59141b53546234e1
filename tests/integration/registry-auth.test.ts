/**
 * Authentication against a real docker-registry: Basic (htpasswd) and Bearer (token server
 * fixture). Token requests are counted at the token server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference, type Reference } from '../../src/core/reference.ts';
import {
  pullScope,
  RegistryClient,
  resolveImage,
  type Credentials,
  type RegistryClientOptions,
} from '../../src/core/registry/index.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushTestImage, type PushedImage } from '../helpers/registry-images.ts';
import { caught } from '../helpers/caught.ts';

interface Sent {
  url: string;
  authorization: string | null;
}

/** A client whose fetch records every request's URL and Authorization header. */
function spyClient(opts: Omit<RegistryClientOptions, 'fetch'> = {}): { client: RegistryClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = new RegistryClient({
    ...opts,
    fetch: (input, init) => {
      const h = new Headers(init?.headers);
      sent.push({ url: input, authorization: h.get('authorization') });
      return fetch(input, init);
    },
  });
  return { client, sent };
}

const credsFor =
  (reg: TestRegistry, password = reg.password!) =>
  (registry: string): Credentials | undefined =>
    registry === reg.host ? { username: reg.username!, password } : undefined;

describe('Basic auth (htpasswd)', () => {
  let reg: TestRegistry;
  let img: PushedImage;
  let ref: Reference;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'basic' });
    img = await pushTestImage(reg, { name: 'auth/basic', tag: '1', files: { 'basic.txt': 'b\n' } });
    ref = parseReference(img.reference);
  }, 120_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('right credentials: pulls, and sends them only to that registry', async () => {
    const { client, sent } = spyClient({ credentials: credsFor(reg) });
    const got = await resolveImage(client, ref);
    expect(got.manifestDigest).toBe(img.manifestDigest);
    expect(got.layers).toEqual(img.layers);
    const withAuth = sent.filter((s) => s.authorization);
    expect(withAuth.length).toBeGreaterThan(0);
    for (const s of withAuth) {
      expect(new URL(s.url).host).toBe(reg.host);
      expect(s.authorization).toBe(`Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}`);
    }
  });

  it('no credentials: UNAUTHORIZED', async () => {
    const err = await caught(resolveImage(new RegistryClient({ fetch }), ref));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.status).toBe(401);
  });

  it('wrong password: UNAUTHORIZED, and the password is not in the message', async () => {
    const wrong = 'wrong-Passw0rd-123';
    const client = new RegistryClient({ fetch, credentials: credsFor(reg, wrong) });
    const err = await caught(resolveImage(client, ref));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).not.toContain(wrong);
    expect(JSON.stringify(err.toData())).not.toContain(wrong);
  });

  it('credentials saved for another registry are never sent', async () => {
    const asked: string[] = [];
    const { client, sent } = spyClient({
      credentials: (r) => {
        asked.push(r);
        return r === 'ghcr.io' ? { username: 'u', password: 'p' } : undefined;
      },
    });
    const err = await caught(resolveImage(client, ref));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(asked.every((r) => r === reg.host)).toBe(true);
    expect(sent.every((s) => s.authorization === null)).toBe(true);
  });
});

describe('Bearer auth (token server)', () => {
  let reg: TestRegistry;
  let img: PushedImage;
  let ref: Reference;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token' });
    img = await pushTestImage(reg, { name: 'auth/token', tag: '1', files: { 'token.txt': 't\n' } });
    ref = parseReference(img.reference);
  }, 120_000);
  afterAll(async () => {
    await reg?.stop();
  });

  const ts = () => reg.tokenServer!;
  const reset = () => {
    ts().expiresIn = 300;
    ts().tokenLifetime = 300;
    ts().field = 'token';
    ts().audience = undefined;
    ts().anonymousPull = true;
  };

  it('with credentials: one token for manifest and config, then cached', async () => {
    reset();
    const { client, sent } = spyClient({ credentials: credsFor(reg) });
    const before = ts().requests;
    const got = await resolveImage(client, ref);
    expect(got.manifestDigest).toBe(img.manifestDigest);
    expect(got.configDigest).toBe(img.configDigest);
    expect(ts().requests - before).toBe(1);
    const last = ts().log.at(-1)!;
    expect(last).toMatchObject({
      service: ts().service,
      scopes: [pullScope('auth/token')],
      username: reg.username,
      authenticated: true,
    });
    await resolveImage(client, ref);
    expect(ts().requests - before).toBe(1);
    // Basic credentials went to the realm only; the token only to the registry.
    for (const s of sent) {
      const host = new URL(s.url).host;
      if (s.authorization?.startsWith('Basic ')) expect(s.url.startsWith(ts().realm)).toBe(true);
      if (s.authorization?.startsWith('Bearer ')) expect(host).toBe(reg.host);
    }
    expect(sent.some((s) => s.authorization?.startsWith('Bearer '))).toBe(true);
  });

  it('anonymous pull token', async () => {
    reset();
    const before = ts().requests;
    const got = await resolveImage(new RegistryClient({ fetch }), ref);
    expect(got.manifestDigest).toBe(img.manifestDigest);
    expect(ts().requests - before).toBe(1);
    expect(ts().log.at(-1)!.username).toBeUndefined();
  });

  it('token given as access_token only', async () => {
    reset();
    ts().field = 'access_token';
    const got = await resolveImage(new RegistryClient({ fetch, credentials: credsFor(reg) }), ref);
    expect(got.manifestDigest).toBe(img.manifestDigest);
  });

  it('expiry: refreshed after expires_in (and 60 s when absent)', async () => {
    reset();
    let now = 1_000_000;
    const client = new RegistryClient({ fetch, credentials: credsFor(reg), now: () => now });
    ts().expiresIn = 30;
    const before = ts().requests;
    await resolveImage(client, ref);
    now += 29_000;
    await resolveImage(client, ref);
    expect(ts().requests - before).toBe(1);
    now += 2_000;
    await resolveImage(client, ref);
    expect(ts().requests - before).toBe(2);

    ts().expiresIn = undefined; // clients assume 60 s
    const c2 = new RegistryClient({ fetch, credentials: credsFor(reg), now: () => now });
    const b2 = ts().requests;
    await resolveImage(c2, ref);
    now += 59_000;
    await resolveImage(c2, ref);
    expect(ts().requests - b2).toBe(1);
    now += 2_000;
    await resolveImage(c2, ref);
    expect(ts().requests - b2).toBe(2);
  });

  it('a 401 with a cached token: one retry with a fresh token', async () => {
    reset();
    const client = new RegistryClient({ fetch, credentials: credsFor(reg) });
    // Cache a token the registry refuses (wrong audience), as a revoked token would be.
    ts().audience = 'someone-else';
    expect((await caught(resolveImage(client, ref))).code).toBe('UNAUTHORIZED');
    ts().audience = undefined;
    const before = ts().requests;
    const got = await resolveImage(client, ref);
    expect(got.manifestDigest).toBe(img.manifestDigest);
    expect(ts().requests - before).toBe(1);
  });

  it('only one retry: still refused → UNAUTHORIZED, no loop', async () => {
    reset();
    const client = new RegistryClient({ fetch, credentials: credsFor(reg) });
    ts().audience = 'someone-else';
    await caught(resolveImage(client, ref)); // caches a refused token
    const before = ts().requests;
    const err = await caught(resolveImage(client, ref));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(ts().requests - before).toBe(1);
    reset();
  });

  it('wrong credentials: UNAUTHORIZED from the token server, password redacted', async () => {
    reset();
    const wrong = 'not-the-Passw0rd';
    const err = await caught(resolveImage(new RegistryClient({ fetch, credentials: credsFor(reg, wrong) }), ref));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.status).toBe(401);
    expect(err.message).toBe('unauthorized: incorrect username or password');
    expect(err.message).not.toContain(wrong);
    expect(ts().log.at(-1)).toMatchObject({ username: reg.username, authenticated: false });
  });

  it('anonymous pull refused by the token server: UNAUTHORIZED', async () => {
    reset();
    ts().anonymousPull = false;
    const err = await caught(resolveImage(new RegistryClient({ fetch }), ref));
    expect(err.code).toBe('UNAUTHORIZED');
    reset();
  });
});
