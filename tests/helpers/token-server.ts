/**
 * A token server for `docker-registry` token auth (distribution "Token Authentication
 * Specification"), on 127.0.0.1 and a random port. It checks Basic credentials (or serves
 * anonymous pull), and issues ES256 JWTs whose header carries the signing certificate in `x5c`;
 * the registry trusts it through `auth.token.rootcertbundle`.
 *
 * Knobs for tests are mutable fields: `expiresIn` (what the response says), `tokenLifetime`
 * (the JWT's real `exp`), `field` (`token`, `access_token` or both), and `requests` counts calls.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TokenRequestRecord {
  service: string | null;
  scopes: string[];
  username?: string;
  /** Whether the credentials were right (undefined: anonymous). */
  authenticated?: boolean;
}

export interface TokenServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The realm to configure: `${url}/token`. */
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate to give the registry as `rootcertbundle`. */
  certPath: string;
  /** Number of token requests answered (any outcome). */
  requests: number;
  log: TokenRequestRecord[];
  /** `expires_in` put in responses; undefined leaves it out (clients then assume 60 s). */
  expiresIn: number | undefined;
  /** Seconds until the JWT's `exp`. */
  tokenLifetime: number;
  field: 'token' | 'access_token' | 'both';
  /** Serve anonymous pull tokens. */
  anonymousPull: boolean;
  /** `aud` of issued tokens; set it to something else to issue tokens the registry refuses. */
  audience: string | undefined;
  stop(): Promise<void>;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/** `repository:NAME:pull,push` → access entry; other scope kinds are ignored. */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  const type = scope.slice(0, first);
  if (type !== 'repository') return undefined;
  return { type, name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') };
}

export async function startTokenServer(opts: {
  dir: string;
  users: Record<string, string>;
  service?: string;
  issuer?: string;
}): Promise<TokenServer> {
  const keyPath = join(opts.dir, 'token-key.pem');
  const certPath = join(opts.dir, 'token-cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=layerscope-test-token',
  ]);
  const key: KeyObject = createPrivateKey(await readFile(keyPath));
  const certDer = new X509Certificate(await readFile(certPath)).raw;

  const state: Omit<TokenServer, 'url' | 'realm' | 'stop'> = {
    service: opts.service ?? 'layerscope-test-registry',
    issuer: opts.issuer ?? 'layerscope-test-issuer',
    certPath,
    requests: 0,
    log: [],
    expiresIn: 300,
    tokenLifetime: 300,
    field: 'token',
    anonymousPull: true,
    audience: undefined,
  };

  const jwt = (subject: string, access: object[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: state.issuer,
      sub: subject,
      aud: state.audience ?? state.service,
      exp: now + state.tokenLifetime,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  };

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    state.requests++;
    const record: TokenRequestRecord = {
      service: u.searchParams.get('service'),
      scopes: u.searchParams.getAll('scope'),
    };
    state.log.push(record);
    let user: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const dec = Buffer.from(auth.slice(6), 'base64').toString();
      const colon = dec.indexOf(':');
      const name = dec.slice(0, colon);
      const pass = dec.slice(colon + 1);
      record.username = name;
      record.authenticated = opts.users[name] === pass;
      if (!record.authenticated) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      user = name;
    }
    const access: object[] = [];
    for (const s of record.scopes.flatMap((x) => x.split(' '))) {
      const a = parseScope(s);
      if (!a) continue;
      const actions = user ? a.actions : state.anonymousPull ? a.actions.filter((x) => x === 'pull') : [];
      access.push({ ...a, actions });
    }
    const token = jwt(user ?? '', access);
    const body: Record<string, unknown> = { issued_at: new Date().toISOString() };
    if (state.field !== 'access_token') body.token = token;
    if (state.field !== 'token') body.access_token = token;
    if (state.expiresIn !== undefined) body.expires_in = state.expiresIn;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const ts = state as TokenServer;
  ts.url = url;
  ts.realm = `${url}/token`;
  ts.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return ts;
}
