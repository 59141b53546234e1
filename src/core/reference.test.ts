import { describe, expect, it } from 'vitest';
import {
  apiHost,
  canonicalString,
  familiarName,
  familiarString,
  InvalidReferenceError,
  isValidTag,
  normalizedName,
  parseDockerRef,
  parseReference,
  referenceString,
} from './reference.ts';

const D = `sha256:${'a'.repeat(64)}` as const;
const D2 = `sha256:${'0123456789abcdef'.repeat(4)}` as const;

// input → [registry, repository, tag, digest, familiarString]
const good: [string, string, string, string | undefined, string | undefined, string][] = [
  ['ubuntu', 'docker.io', 'library/ubuntu', 'latest', undefined, 'ubuntu:latest'],
  ['ubuntu:22.04', 'docker.io', 'library/ubuntu', '22.04', undefined, 'ubuntu:22.04'],
  ['library/ubuntu', 'docker.io', 'library/ubuntu', 'latest', undefined, 'ubuntu:latest'],
  ['docker.io/ubuntu', 'docker.io', 'library/ubuntu', 'latest', undefined, 'ubuntu:latest'],
  ['docker.io/library/ubuntu:x', 'docker.io', 'library/ubuntu', 'x', undefined, 'ubuntu:x'],
  ['index.docker.io/ubuntu', 'docker.io', 'library/ubuntu', 'latest', undefined, 'ubuntu:latest'],
  ['index.docker.io/user/app:1', 'docker.io', 'user/app', '1', undefined, 'user/app:1'],
  ['user/app', 'docker.io', 'user/app', 'latest', undefined, 'user/app:latest'],
  ['docker/whalesay', 'docker.io', 'docker/whalesay', 'latest', undefined, 'docker/whalesay:latest'],
  ['library/a/b', 'docker.io', 'library/a/b', 'latest', undefined, 'library/a/b:latest'],
  ['a/b/c/d', 'docker.io', 'a/b/c/d', 'latest', undefined, 'a/b/c/d:latest'],
  ['ghcr.io/o/x', 'ghcr.io', 'o/x', 'latest', undefined, 'ghcr.io/o/x:latest'],
  ['ghcr.io/x', 'ghcr.io', 'x', 'latest', undefined, 'ghcr.io/x:latest'],
  ['quay.io/coreos/etcd:v3.5', 'quay.io', 'coreos/etcd', 'v3.5', undefined, 'quay.io/coreos/etcd:v3.5'],
  ['localhost/foo', 'localhost', 'foo', 'latest', undefined, 'localhost/foo:latest'],
  ['localhost:5000/foo/bar:t', 'localhost:5000', 'foo/bar', 't', undefined, 'localhost:5000/foo/bar:t'],
  ['127.0.0.1:5000/x', '127.0.0.1:5000', 'x', 'latest', undefined, '127.0.0.1:5000/x:latest'],
  ['[::1]:5000/x', '[::1]:5000', 'x', 'latest', undefined, '[::1]:5000/x:latest'],
  ['[2001:db8::1]/x:y', '[2001:db8::1]', 'x', 'y', undefined, '[2001:db8::1]/x:y'],
  ['myhost:443/a', 'myhost:443', 'a', 'latest', undefined, 'myhost:443/a:latest'],
  [
    'reg-1.example.com/a_b/c__d/e-f/g--h/i.j',
    'reg-1.example.com',
    'a_b/c__d/e-f/g--h/i.j',
    'latest',
    undefined,
    'reg-1.example.com/a_b/c__d/e-f/g--h/i.j:latest',
  ],
  // A first part with upper case is a host (namespaces never have upper case).
  ['Foo/bar', 'Foo', 'bar', 'latest', undefined, 'Foo/bar:latest'],
  // `localhost:5000` with no slash is a Hub name with a tag.
  ['localhost:5000', 'docker.io', 'library/localhost', '5000', undefined, 'localhost:5000'],
  [`ubuntu@${D}`, 'docker.io', 'library/ubuntu', undefined, D, `ubuntu@${D}`],
  [`ubuntu:22.04@${D}`, 'docker.io', 'library/ubuntu', '22.04', D, `ubuntu:22.04@${D}`],
  [`ghcr.io/o/x@${D2}`, 'ghcr.io', 'o/x', undefined, D2, `ghcr.io/o/x@${D2}`],
  [`localhost:5000/x:t@${D}`, 'localhost:5000', 'x', 't', D, `localhost:5000/x:t@${D}`],
  ['x:' + 'T'.repeat(128), 'docker.io', 'library/x', 'T'.repeat(128), undefined, 'x:' + 'T'.repeat(128)],
  ['x:_under.score-dash', 'docker.io', 'library/x', '_under.score-dash', undefined, 'x:_under.score-dash'],
  [
    'a' + '/b'.repeat(100),
    'docker.io',
    'a' + '/b'.repeat(100),
    'latest',
    undefined,
    'a' + '/b'.repeat(100) + ':latest',
  ],
];

describe('parseReference: good names', () => {
  it.each(good)('%s', (input, registry, repository, tag, digest, familiar) => {
    const ref = parseReference(input);
    expect(ref).toEqual({
      registry,
      repository,
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined ? { digest } : {}),
    });
    expect(familiarString(ref)).toBe(familiar);
    // The full form parses back to itself.
    expect(parseReference(referenceString(ref))).toEqual(ref);
  });
});

// input → Docker's exact message
const bad: [string, string][] = [
  ['', 'invalid reference format'],
  [':', 'invalid reference format'],
  ['ubuntu:', 'invalid reference format'],
  ['ubuntu@', 'invalid reference format'],
  ['/ubuntu', 'invalid reference format'],
  ['ubuntu/', 'invalid reference format'],
  ['a//b', 'invalid reference format'],
  ['-a', 'invalid reference format'],
  ['a-', 'invalid reference format'],
  ['a..b', 'invalid reference format'],
  ['a___b', 'invalid reference format'],
  ['a b', 'invalid reference format'],
  ['ubuntu:tag:tag', 'invalid reference format'],
  ['ubuntu:-tag', 'invalid reference format'],
  ['ubuntu:.tag', 'invalid reference format'],
  ['x:' + 'a'.repeat(129), 'invalid reference format'],
  ['ubuntu@sha256:abc', 'invalid reference format'],
  ['ubuntu@sha256', 'invalid reference format'],
  ['http://ghcr.io/x', 'invalid reference format'],
  ['ghcr.io:/x', 'invalid reference format'],
  ['-host.io/x', 'invalid reference format'],
  ['host-.io/x', 'invalid reference format'],
  ['a'.repeat(2000), 'invalid reference format'],
  ['Foo', 'invalid reference format: repository name (library/Foo) must be lowercase'],
  ['Ubuntu:latest', 'invalid reference format: repository name (library/Ubuntu) must be lowercase'],
  ['user/App', 'invalid reference format: repository name (user/App) must be lowercase'],
  ['ghcr.io/Org/x:1', 'invalid reference format: repository name (Org/x) must be lowercase'],
  ['docker.io/Foo', 'invalid reference format: repository name (library/Foo) must be lowercase'],
  ['a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
  ['x/' + 'a'.repeat(254), 'repository name must not be more than 255 characters'],
  ['ubuntu@sha256:' + 'a'.repeat(40), 'invalid checksum digest length'],
  ['ubuntu@sha256:' + 'A'.repeat(64), 'invalid checksum digest format'],
  ['ubuntu@md5:' + 'a'.repeat(32), 'unsupported digest algorithm'],
];

describe('parseReference: bad names', () => {
  it.each(bad)('%j', (input, message) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidReferenceError);
    expect((err as Error).message).toBe(message);
  });
});

describe('string forms', () => {
  it('normalized, full, familiar and canonical', () => {
    const hub = parseReference('ubuntu');
    expect(normalizedName(hub)).toBe('docker.io/library/ubuntu');
    expect(referenceString(hub)).toBe('docker.io/library/ubuntu:latest');
    expect(familiarName(hub)).toBe('ubuntu');
    expect(canonicalString(hub, D)).toBe(`docker.io/library/ubuntu@${D}`);
    expect(familiarName(parseReference('user/app:1'))).toBe('user/app');
    expect(familiarName(parseReference('ghcr.io/o/x'))).toBe('ghcr.io/o/x');
    expect(familiarName(parseReference('docker.io/library/a/b'))).toBe('library/a/b');
    expect(referenceString(parseReference(`x:t@${D}`))).toBe(`docker.io/library/x:t@${D}`);
  });

  it('apiHost maps Docker Hub, leaves others', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('index.docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('ghcr.io')).toBe('ghcr.io');
    expect(apiHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });

  it('isValidTag', () => {
    expect(isValidTag('latest')).toBe(true);
    expect(isValidTag('v1.0-rc_1')).toBe(true);
    expect(isValidTag('.x')).toBe(false);
    expect(isValidTag('a'.repeat(129))).toBe(false);
  });
});

// distribution/reference normalize_test.go TestParseDockerRef, input → expected String().
const BUSYBOX_D = 'sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';
describe('parseDockerRef (distribution/reference TestParseDockerRef)', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:latest', 'docker.io/library/busybox:latest'],
    [`busybox@${BUSYBOX_D}`, `docker.io/library/busybox@${BUSYBOX_D}`],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox:latest', 'docker.io/library/busybox:latest'],
    ['library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['gcr.io/library/busybox', 'gcr.io/library/busybox:latest'],
    [`gcr.io/library/busybox:latest@${BUSYBOX_D}`, `gcr.io/library/busybox@${BUSYBOX_D}`],
  ])('%s', (input, expected) => {
    expect(referenceString(parseDockerRef(input))).toBe(expected);
  });
});
