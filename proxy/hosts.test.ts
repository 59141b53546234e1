import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALLOW_HOSTS,
  canonicalHostPort,
  isLoopbackHost,
  matchesAny,
  parseHostPattern,
  parseIPv6,
  privateAddressReason,
} from './hosts.ts';

const defaults = DEFAULT_ALLOW_HOSTS.map(parseHostPattern);
const allowed = (host: string, port = 443): boolean => matchesAny(defaults, host, port, 'https:');

describe('default allowlist', () => {
  it.each([
    'registry-1.docker.io',
    'auth.docker.io',
    'production.cloudflare.docker.com',
    'docker-images-prod.s3.dualstack.us-east-1.amazonaws.com',
    'ghcr.io',
    'pkg-containers.githubusercontent.com',
    'quay.io',
    'cdn.quay.io',
    'cdn01.quay.io',
    'cdn03.quay.io',
    'gcr.io',
    'k8s.gcr.io',
    'us-central1-docker.pkg.dev',
    'europe-docker.pkg.dev',
    'storage.googleapis.com',
    'public.ecr.aws',
    'd2glxqk2uabbnd.cloudfront.net',
    'mcr.microsoft.com',
    'westus2.data.mcr.microsoft.com',
    'registry.k8s.io',
    'prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com',
  ])('allows %s', (host) => expect(allowed(host)).toBe(true));

  it.each([
    'evil.example.com',
    'docker.io.evil.example', // suffix tricks
    'registry-1.docker.io.evil.example',
    'evilquay.io',
    'cdn01.quay.io.evil.example',
    'x.cdn01.quay.io', // `cdn*` is one label, not a subtree
    'data.mcr.microsoft.com', // `*.` needs at least one label
    'docker.pkg.dev',
    'evil-bucket.s3.amazonaws.com',
    'docker-images-prod.s3.dualstack.a.b.amazonaws.com', // middle `*` is exactly one label
    'attacker.cloudfront.net',
  ])('refuses %s', (host) => expect(allowed(host)).toBe(false));

  it('matches only the default port when no port is written', () => {
    expect(allowed('ghcr.io', 443)).toBe(true);
    expect(allowed('ghcr.io', 8443)).toBe(false);
  });
});

describe('parseHostPattern', () => {
  it('parses host:port and matches that port only', () => {
    const p = parseHostPattern('LocalHost:5000');
    expect(p.exact).toBe(true);
    expect(matchesAny([p], 'localhost', 5000, 'http:')).toBe(true);
    expect(matchesAny([p], 'localhost', 5001, 'http:')).toBe(false);
    expect(matchesAny([p], 'localhost', 80, 'http:')).toBe(false);
  });
  it('normalises IP literals like the URL parser', () => {
    expect(parseHostPattern('[0:0::1]:5000').matchHost('[::1]')).toBe(true);
    expect(parseHostPattern('127.1').matchHost('127.0.0.1')).toBe(true);
  });
  it('wildcards are never exact', () => {
    expect(parseHostPattern('*.example.com').exact).toBe(false);
  });
  it.each(['', 'a b', 'user@host', 'host/path', 'host:0', 'host:70000', '*.com', 'exa_mple.com:*'])(
    'rejects %j with a message naming it',
    (entry) => expect(() => parseHostPattern(entry)).toThrow(/invalid host entry/),
  );
});

describe('canonicalHostPort', () => {
  it.each([
    ['Registry-1.Docker.IO', 'registry-1.docker.io', undefined],
    ['localhost:5000', 'localhost', 5000],
    ['localhost:80', 'localhost', 80],
    ['2130706433', '127.0.0.1', undefined],
    ['0x7f.1:5000', '127.0.0.1', 5000],
    ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', undefined],
    ['[::1]:5000', '[::1]', 5000],
  ])('%s → %s %s', (input, host, port) => expect(canonicalHostPort(input)).toEqual({ host, port }));
  it.each(['', 'a@b', 'a/b', 'a?b', 'a#b', 'a%2eb', 'a\\b', 'a b', '[zz::1]'])('refuses %j', (input) =>
    expect(canonicalHostPort(input)).toBeUndefined(),
  );
});

describe('private addresses', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '[::1]',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:8.8.8.8', // mapped: refused whatever it wraps
    '[::ffff:7f00:1]',
    '64:ff9b::10.0.0.1',
    '2002:a00:1::',
  ])('%s is refused', (ip) => expect(privateAddressReason(ip)).toBeTypeOf('string'));
  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1', '64:ff9b::8.8.8.8'])('%s is public', (ip) =>
    expect(privateAddressReason(ip)).toBeUndefined(),
  );
  it('parses IPv6 forms', () => {
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIPv6('1::2::3')).toBeUndefined();
    expect(parseIPv6('1:2:3:4:5:6:7')).toBeUndefined();
  });
  it('knows loopback hosts (plain http is allowed only to them)', () => {
    for (const h of ['localhost', '127.0.0.1', '127.9.9.9', '[::1]']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['10.0.0.1', 'localhost.example.com', '[::2]', 'quay.io']) expect(isLoopbackHost(h)).toBe(false);
  });
});
