import { describe, expect, it } from 'vitest';
import { RegistryError } from './errors.ts';
import type { Descriptor } from './manifests.ts';
import { formatPlatform, normalizePlatform, parsePlatform, selectManifest } from './platform.ts';

const d = (
  n: number,
  os: string,
  architecture: string,
  variant?: string,
  extra: Partial<Descriptor> = {},
): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 100,
  platform: variant ? { os, architecture, variant } : { os, architecture },
  ...extra,
});

describe('parsePlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['Linux/ARM/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['arm64', { os: 'linux', architecture: 'arm64' }],
    ['windows', { os: 'windows', architecture: 'amd64' }],
  ])('%s', (s, p) => expect(parsePlatform(s)).toEqual(p));

  it.each(['', 'linux/', 'a/b/c/d', 'linux//amd64', 'foo', 'nope/amd64', 'linux/am d64'])('refuses %j', (s) => {
    expect(() => parsePlatform(s)).toThrow(/invalid platform/);
  });
});

describe('normalizePlatform', () => {
  it.each([
    [{ os: 'linux', architecture: 'aarch64' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'arm' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'armhf' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'arm', variant: '6' }, 'linux/arm/v6'],
    [{ os: 'linux', architecture: 'x86_64' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'i386' }, 'linux/386'],
  ])('%j → %s', (p, s) => expect(formatPlatform(normalizePlatform(p))).toBe(s));
});

describe('selectManifest', () => {
  const att = d(9, 'unknown', 'unknown', undefined, {
    annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
  });
  const list = [
    att,
    d(1, 'linux', 'amd64'),
    d(2, 'linux', 'arm64', 'v8'),
    d(3, 'linux', 'arm', 'v7'),
    d(4, 'linux', 'arm', 'v6'),
    d(5, 'windows', 'amd64'),
  ];

  it('defaults to linux/amd64 and skips attestations', () => {
    expect(selectManifest(list).digest).toBe(list[1]!.digest);
  });
  it('arm64 ≈ arm64/v8', () => {
    expect(selectManifest(list, parsePlatform('linux/arm64')).digest).toBe(list[2]!.digest);
    expect(selectManifest(list, parsePlatform('linux/arm64/v8')).digest).toBe(list[2]!.digest);
  });
  it('arm defaults to v7; v6 exact; v8 falls back to v7', () => {
    expect(selectManifest(list, parsePlatform('linux/arm')).digest).toBe(list[3]!.digest);
    expect(selectManifest(list, parsePlatform('linux/arm/v6')).digest).toBe(list[4]!.digest);
    expect(selectManifest(list, parsePlatform('linux/arm/v8')).digest).toBe(list[3]!.digest);
  });
  it('an entry without variant matches arm/v7; exact beats fallback regardless of order', () => {
    const l = [d(4, 'linux', 'arm', 'v6'), d(3, 'linux', 'arm')];
    expect(selectManifest(l, parsePlatform('linux/arm/v7')).digest).toBe(l[1]!.digest);
  });
  it('amd64 runs 386 as a fallback only', () => {
    expect(selectManifest([d(7, 'linux', '386')]).digest).toBe(d(7, 'linux', '386').digest);
    expect(selectManifest([d(7, 'linux', '386'), d(1, 'linux', 'amd64')]).digest).toBe(d(1, 'linux', 'amd64').digest);
  });
  it("no match: Docker's message, typed error", () => {
    let err: unknown;
    try {
      selectManifest([att, d(2, 'linux', 'arm64')]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).code).toBe('NO_MATCHING_MANIFEST');
    expect((err as Error).message).toBe('no matching manifest for linux/amd64 in the manifest list entries');
    expect(() => selectManifest(list, parsePlatform('linux/s390x'))).toThrow(
      'no matching manifest for linux/s390x in the manifest list entries',
    );
    expect(() => selectManifest([att])).toThrow(/no matching manifest/);
  });
});
