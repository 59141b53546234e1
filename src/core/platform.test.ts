import { describe, expect, it } from 'vitest';
import {
  choosePlatform,
  formatPlatform,
  noMatchingManifestMessage,
  normalizePlatform,
  parsePlatform,
  platformMatches,
  tryParsePlatform,
} from './platform.ts';

// Expected values: containerd/platforms at 09756f59 (2026-03-31), compare_test.go TestOnly and
// platforms_test.go TestParseSelector. Where containerd takes the machine's OS or
// architecture for a lone component, Layerscope takes linux/amd64 (the daemon it stands in for).

describe('Only(platform).Match (compare_test.go TestOnly)', () => {
  const table: [string, string[], string[]][] = [
    ['linux/amd64', ['linux/amd64', 'linux/386'], ['linux/amd64/v2', 'linux/arm/v7', 'linux/arm64', 'windows/amd64']],
    [
      'linux/amd64/v2',
      ['linux/amd64', 'linux/amd64/v1', 'linux/amd64/v2', 'linux/386'],
      ['linux/amd64/v3', 'linux/amd64/v4', 'linux/arm/v7', 'linux/arm64', 'windows/amd64'],
    ],
    ['linux/386', ['linux/386'], ['linux/amd64', 'linux/arm/v7', 'linux/arm64']],
    [
      'linux/arm/v8',
      ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8'],
      ['linux/amd64', 'linux/arm/v4', 'linux/arm64', 'windows/arm'],
    ],
    [
      'linux/arm/v6',
      ['linux/arm/v5', 'linux/arm/v6'],
      ['linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64'],
    ],
    [
      'linux/arm64/v9.6',
      [
        'linux/arm',
        'linux/arm/v5',
        'linux/arm/v8',
        'linux/arm64',
        'linux/arm64/v8',
        'linux/arm64/v8.1',
        'linux/arm64/v8.9',
        'linux/arm64/v9',
        'linux/arm64/v9.0',
        'linux/arm64/v9.5',
        'linux/arm64/v9.6',
      ],
      ['linux/amd64', 'linux/arm/v4', 'windows/arm', 'linux/arm64/v8.10'],
    ],
    [
      'linux/arm64/v9',
      [
        'linux/arm',
        'linux/arm/v5',
        'linux/arm/v6',
        'linux/arm/v7',
        'linux/arm/v8',
        'linux/arm64',
        'linux/arm64/v8',
        'linux/arm64/v8.1',
        'linux/arm64/v8.5',
        'linux/arm64/v9',
        'linux/arm64/v9.0',
      ],
      ['linux/amd64', 'linux/arm/v4', 'windows/amd64', 'windows/arm', 'linux/arm64/v8.6'],
    ],
    [
      'linux/arm64/v8.1',
      ['linux/arm', 'linux/arm/v8', 'linux/arm64', 'linux/arm64/v8', 'linux/arm64/v8.1'],
      ['linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'windows/arm'],
    ],
    [
      'linux/arm64',
      ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'linux/arm64/v8'],
      ['linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'windows/amd64', 'windows/arm'],
    ],
  ];
  for (const [wanted, yes, no] of table) {
    it(wanted, () => {
      const w = parsePlatform(wanted);
      for (const c of yes) expect(platformMatches(w, parsePlatform(c)), `${wanted} runs ${c}`).toBe(true);
      for (const c of no) expect(platformMatches(w, parsePlatform(c)), `${wanted} does not run ${c}`).toBe(false);
    });
  }
});

describe('Parse and Normalize (platforms_test.go TestParseSelector)', () => {
  it.each([
    ['linux/arm64', 'linux/arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm64/v8', 'linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm', 'linux/arm', { os: 'linux', architecture: 'arm' }],
    ['linux/arm/v6', 'linux/arm/v6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/arm/v7', 'linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['armel', 'linux/arm/v6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['armhf', 'linux/arm', { os: 'linux', architecture: 'arm' }],
    ['Aarch64', 'linux/arm64', { os: 'linux', architecture: 'arm64' }],
    ['x86_64', 'linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['Linux/x86_64', 'linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['i386', 'linux/386', { os: 'linux', architecture: '386' }],
    ['s390x', 'linux/s390x', { os: 'linux', architecture: 's390x' }],
    ['macOS', 'darwin/amd64', { os: 'darwin', architecture: 'amd64' }],
    ['windows(10.0.17763)', 'windows/amd64', { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763' }],
  ])('%s → %s', (input, formatted, expected) => {
    const p = parsePlatform(input);
    expect(p).toEqual(expected);
    expect(formatPlatform(p)).toBe(formatted);
  });

  it('matches the normalized forms the table lists', () => {
    // linux/arm64 matches aarch64, aarch64/v8, arm64/v8; linux/arm matches arm/v7, armhf, arm/7.
    for (const [sel, cands] of [
      ['linux/arm64', [['aarch64'], ['aarch64', 'v8'], ['arm64', 'v8']]],
      ['linux/arm64/v8', [['aarch64'], ['aarch64', 'v8'], ['arm64']]],
      ['linux/arm', [['arm', 'v7'], ['armhf'], ['arm', '7']]],
      ['linux/arm/v6', [['armel']]],
      ['linux/arm/v7', [['arm'], ['armhf']]],
    ] as const) {
      for (const [architecture, variant] of cands) {
        const c = variant ? { os: 'linux', architecture, variant } : { os: 'linux', architecture };
        expect(platformMatches(parsePlatform(sel), c), `${sel} ~ ${architecture}/${variant ?? ''}`).toBe(true);
      }
    }
  });

  it('normalizes arm64 variants with dots and v9 spellings (database.go normalizeArch)', () => {
    expect(normalizePlatform({ os: 'linux', architecture: 'aarch64', variant: 'v8.1' })).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8.1',
    });
    expect(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: '9.0' }).variant).toBe('v9');
    expect(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: 'v8.0' }).variant).toBeUndefined();
    expect(normalizePlatform({ os: 'MacOS', architecture: 'x86_64' })).toEqual({ os: 'darwin', architecture: 'amd64' });
  });

  it("refuses with containerd's messages", () => {
    const reason = (s: string) => {
      const r = tryParsePlatform(s);
      return r.ok ? '' : r.reason;
    };
    expect(reason('foo')).toBe('"foo": unknown operating system or architecture: invalid argument');
    expect(reason('linux/*')).toBe('"linux/*": wildcards not yet supported: invalid argument');
    expect(reason('linux/a/b/c')).toBe('"linux/a/b/c": cannot parse platform specifier: invalid argument');
    expect(reason('linux/am d64')).toBe(
      '"am d64" is an invalid component of "linux/am d64": platform specifier component must match "^[A-Za-z0-9_.-]+$": invalid argument',
    );
    expect(() => parsePlatform('foo')).toThrow(
      'invalid platform: "foo": unknown operating system or architecture: invalid argument',
    );
  });
});

describe('choosePlatform', () => {
  const e = (architecture: string, variant?: string) => ({
    platform: variant ? { os: 'linux', architecture, variant } : { os: 'linux', architecture },
  });
  it('arm64/v9 takes the best of v8.x, v8 or no variant (compare.go platformVector order)', () => {
    const plain = e('arm64');
    const v82 = e('arm64', 'v8.2');
    const arm = e('arm', 'v7');
    expect(choosePlatform([arm, plain, v82], parsePlatform('linux/arm64/v9'))).toBe(v82);
    expect(choosePlatform([arm, plain], parsePlatform('linux/arm64/v9'))).toBe(plain);
    expect(choosePlatform([arm], parsePlatform('linux/arm64/v9'))).toBe(arm);
    expect(choosePlatform([e('arm64', 'v8.6')], parsePlatform('linux/arm64/v9'))).toBeUndefined();
  });
  it('names the platform as parsed (normalized) in the no-match message', () => {
    expect(noMatchingManifestMessage(parsePlatform('aarch64'))).toBe(
      'no matching manifest for linux/arm64 in the manifest list entries',
    );
    expect(noMatchingManifestMessage(parsePlatform('Linux/x86_64'))).toBe(
      'no matching manifest for linux/amd64 in the manifest list entries',
    );
  });
});
