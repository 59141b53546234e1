/**
 * Platforms and choosing one manifest from an index (containerd `platforms`, moby
 * `filterManifests`): both sides normalized (`aarch64` → `arm64`, `arm64/v8` ≈ `arm64`, `arm` →
 * `arm/v7`), compatible fallbacks ranked after the exact match (`arm/v7` also runs `v6`, `v5`;
 * `amd64` also runs `386`), attestation entries (`unknown/unknown`) never chosen.
 */
import type { Platform } from '../model.ts';
import { RegistryError } from './errors.ts';
import type { Descriptor } from './manifests.ts';

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

const COMPONENT = /^[A-Za-z0-9_-]{1,64}$/;
const KNOWN_OS = new Set([
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'illumos',
  'ios',
  'js',
  'linux',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'wasip1',
  'windows',
]);
const KNOWN_ARCH = new Set([
  '386',
  'amd64',
  'amd64p32',
  'arm',
  'armbe',
  'arm64',
  'arm64be',
  'ppc64',
  'ppc64le',
  'mips',
  'mipsle',
  'mips64',
  'mips64le',
  'mips64p32',
  'mips64p32le',
  'ppc',
  'riscv',
  'riscv64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'wasm',
  'loong64',
  'x86_64',
  'x86-64',
  'aarch64',
  'armhf',
  'armel',
  'i386',
]);

/**
 * `--platform` value: `os/arch[/variant]`, or a bare architecture (`arm64` → linux/arm64) or
 * operating system. Lower-cased, not yet normalized.
 */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  const bad = (why: string) => new Error(`invalid platform ${JSON.stringify(s.slice(0, 100))}: ${why}`);
  if (parts.length > 3 || parts.some((p) => !COMPONENT.test(p))) {
    throw bad('expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8');
  }
  if (parts.length === 1) {
    const [only] = parts as [string];
    if (KNOWN_ARCH.has(only)) return { os: 'linux', architecture: only };
    if (KNOWN_OS.has(only)) return { os: only, architecture: DEFAULT_PLATFORM.architecture };
    throw bad('unknown operating system or architecture');
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  if (!KNOWN_OS.has(os)) throw bad(`unknown operating system ${JSON.stringify(os)}`);
  const p: Platform = { os, architecture };
  if (variant !== undefined) p.variant = variant;
  return p;
}

/** containerd platforms.Normalize for the fields that matter when matching. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase();
  let arch = p.architecture.toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = '';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (/^[568]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  const out: Platform = { os, architecture: arch };
  if (variant) out.variant = variant;
  return out;
}

/** `linux/amd64`, `linux/arm/v7`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x).join('/');
}

/** The requested platform first, then what it can also run, best first (platforms.Only). */
function platformVector(p: Platform): Platform[] {
  const v: Platform[] = [p];
  const n = /^v(\d+)$/.exec(p.variant ?? '');
  switch (p.architecture) {
    case 'amd64': {
      if (n && Number(n[1]) > 1) {
        for (let k = Number(n[1]) - 1; k >= 1; k--) {
          v.push(k === 1 ? { os: p.os, architecture: 'amd64' } : { ...p, variant: `v${k}` });
        }
      }
      v.push({ os: p.os, architecture: '386' });
      break;
    }
    case 'arm': {
      if (n && Number(n[1]) > 5) {
        for (let k = Number(n[1]) - 1; k >= 5; k--) v.push({ ...p, variant: `v${k}` });
      }
      break;
    }
    case 'arm64': {
      // 64-bit ARM runs 32-bit ARM (v8 → v7 → …).
      v.push(...platformVector({ os: p.os, architecture: 'arm', variant: p.variant ?? 'v8' }));
      break;
    }
  }
  return v;
}

function same(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/** Attestation manifests (BuildKit) sit in indexes with platform `unknown/unknown`. */
export function isAttestation(d: Descriptor): boolean {
  return (
    (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown') ||
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
  );
}

/**
 * Choose the manifest for `wanted` (default linux/amd64) from an index's entries. Throws
 * Docker's `no matching manifest for linux/amd64 in the manifest list entries`.
 */
export function selectManifest(manifests: readonly Descriptor[], wanted: Platform = DEFAULT_PLATFORM): Descriptor {
  const vector = platformVector(normalizePlatform(wanted));
  let best: Descriptor | undefined;
  let bestRank = Infinity;
  for (const d of manifests) {
    if (isAttestation(d) || !d.platform) continue;
    const p = normalizePlatform(d.platform);
    const rank = vector.findIndex((w) => same(w, p));
    if (rank >= 0 && rank < bestRank) {
      best = d;
      bestRank = rank;
    }
  }
  if (!best) {
    throw new RegistryError(
      'NO_MATCHING_MANIFEST',
      `no matching manifest for ${formatPlatform(wanted)} in the manifest list entries`,
      { status: 404, retryable: false },
    );
  }
  return best;
}
