/**
 * Platforms as containerd's `platforms` package reads and compares them: `Parse` (the
 * `--platform` grammar and its messages), `Normalize` (`x86_64` → `amd64`, `aarch64` → `arm64`,
 * `armhf` → `arm/v7`, `armel` → `arm/v6`, `i386` → `386`, `macOS` → `darwin`) and `Only`
 * (the requested platform first, then what it can also run: `amd64/v3` runs `v2`, `v1` and
 * `386`; `arm/v7` runs `v6` and `v5`; `arm64/v9` runs `v8.5`…`v8`, then 32-bit `arm/v8`…`v5`).
 * One implementation for every command that chooses or checks a platform: pull, load, save,
 * history, inspect. See README.md, "Platforms".
 */
import type { Platform } from './model.ts';

/** What Layerscope assumes where Docker would use the daemon's own platform. */
export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

// containerd platforms.go: the grammar of one specifier's components.
const OS_RE = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/;
const COMPONENT_RE = /^[A-Za-z0-9_.-]+$/;
const OS_RE_GO = '^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.%-]*)((?:\\+[A-Za-z0-9_.%-]+)*)\\))?$';
const COMPONENT_RE_GO = '^[A-Za-z0-9_.-]+$';

// containerd database.go isKnownOS / isKnownArch, plus Go's newer ports.
const KNOWN_OS = new Set(
  'aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris wasip1 windows zos'.split(
    ' ',
  ),
);
const KNOWN_ARCH = new Set(
  '386 amd64 amd64p32 arm armbe arm64 arm64be ppc64 ppc64le loong64 mips mipsle mips64 mips64le mips64p32 mips64p32le ppc riscv riscv64 s390 s390x sparc sparc64 wasm'.split(
    ' ',
  ),
);

/** Go's %q for the ASCII strings a specifier can hold (JSON's quoting agrees there). */
const q = (s: string) => JSON.stringify(s);

/** containerd normalizeOS. */
function normalizeOs(os: string): string {
  const l = os.toLowerCase();
  return l === 'macos' ? 'darwin' : l;
}

/** containerd normalizeArch. */
function normalizeArch(arch: string, variant: string): [string, string] {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386':
      a = '386';
      v = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      a = 'amd64';
      if (v === 'v1') v = '';
      break;
    case 'aarch64':
    case 'arm64':
      a = 'arm64';
      if (v === '8' || v === 'v8' || v === 'v8.0') v = '';
      else if (v === '9' || v === '9.0' || v === 'v9.0') v = 'v9';
      break;
    case 'armhf':
      a = 'arm';
      v = 'v7';
      break;
    case 'armel':
      a = 'arm';
      v = 'v6';
      break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (v === '5' || v === '6' || v === '8') v = `v${v}`;
      break;
  }
  return [a, v];
}

function make(os: string, architecture: string, variant: string, osVersion?: string): Platform {
  const p: Platform = { os, architecture };
  if (variant) p.variant = variant;
  if (osVersion) p['os.version'] = osVersion;
  return p;
}

/** containerd platforms.Normalize. */
export function normalizePlatform(p: Platform): Platform {
  const [arch, variant] = normalizeArch(p.architecture, p.variant ?? '');
  return make(normalizeOs(p.os), arch, variant, p['os.version']);
}

/** `linux/amd64`, `linux/arm/v7`, `unknown` (containerd platforms.Format). */
export function formatPlatform(p: Platform): string {
  if (!p.os) return 'unknown';
  return [p.os, p.architecture, p.variant].filter((x) => x).join('/');
}

export type PlatformParse = { ok: true; platform: Platform } | { ok: false; reason: string };

/**
 * containerd platforms.Parse: `os[(version)]`, `arch`, `os/arch`, `os/arch/variant`, normalized
 * as containerd does (`linux/arm` and `armhf` lose the implied `v7`, `linux/arm64/v8` keeps
 * its `v8`). A lone operating system takes `defaults`' architecture, a lone architecture its
 * operating system, where containerd takes the machine's. `reason` is containerd's message.
 * Layerscope also refuses an operating system no Go port knows in `os/arch`: no image can be
 * built for it, and a typo there would otherwise only show as "no matching manifest".
 */
export function tryParsePlatform(specifier: string, defaults: Platform = DEFAULT_PLATFORM): PlatformParse {
  const bad = (reason: string): PlatformParse => ({ ok: false, reason: `${reason}: invalid argument` });
  if (specifier.includes('*')) return bad(`${q(specifier)}: wildcards not yet supported`);
  // Go's strings.SplitN(s, "/", 4).
  const all = specifier.split('/');
  const parts = all.length > 4 ? [...all.slice(0, 3), all.slice(3).join('/')] : all;
  const osm = OS_RE.exec(parts[0]!);
  if (!osm) {
    return bad(
      `${q(parts[0]!)} is an invalid OS component of ${q(specifier)}: OSAndVersion specifier component must match ${q(OS_RE_GO)}`,
    );
  }
  for (const part of parts.slice(1)) {
    if (!COMPONENT_RE.test(part)) {
      return bad(
        `${q(part)} is an invalid component of ${q(specifier)}: platform specifier component must match ${q(COMPONENT_RE_GO)}`,
      );
    }
  }
  const os = normalizeOs(osm[1]!);
  let osVersion = osm[2] ?? '';
  try {
    if (osVersion.includes('%')) osVersion = decodeURIComponent(osVersion);
  } catch {
    return { ok: false, reason: `${q(specifier)} has an invalid OS version ${q(osm[2]!)}` };
  }
  switch (parts.length) {
    case 1: {
      if (KNOWN_OS.has(os)) {
        return { ok: true, platform: make(os, defaults.architecture, defaults.variant ?? '', osVersion) };
      }
      let [arch, variant] = normalizeArch(parts[0]!, '');
      if (arch === 'arm' && variant === 'v7') variant = '';
      if (KNOWN_ARCH.has(arch)) return { ok: true, platform: make(defaults.os, arch, variant) };
      return bad(`${q(specifier)}: unknown operating system or architecture`);
    }
    case 2:
    case 3: {
      if (!KNOWN_OS.has(os)) return bad(`${q(specifier)}: unknown operating system ${q(os)}`);
      let [arch, variant] = normalizeArch(parts[1]!, parts[2] ?? '');
      if (parts.length === 2 && arch === 'arm' && variant === 'v7') variant = '';
      if (parts.length === 3 && arch === 'arm64' && variant === '') variant = 'v8';
      return { ok: true, platform: make(os, arch, variant, osVersion) };
    }
  }
  return bad(`${q(specifier)}: cannot parse platform specifier`);
}

/** tryParsePlatform, throwing Docker's `invalid platform: …` (docker/cli's wrapping). */
export function parsePlatform(specifier: string, defaults?: Platform): Platform {
  const r = tryParsePlatform(specifier, defaults);
  if (!r.ok) throw new Error(`invalid platform: ${r.reason}`);
  return r.platform;
}

// containerd compare.go: which arm64 variants a variant runs, newest first.
const ARM64_VERSIONS: Record<string, { major: number[]; minor: number[] }> = {
  v8: { major: [8], minor: [0] },
  'v8.0': { major: [8], minor: [0] },
  ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`v8.${i + 1}`, { major: [8], minor: [i + 1] }])),
  v9: { major: [9, 8], minor: [0, 5] },
  'v9.0': { major: [9, 8], minor: [0, 5] },
  ...Object.fromEntries(
    Array.from({ length: 7 }, (_, i) => [`v9.${i + 1}`, { major: [9, 8], minor: [i + 1, Math.min(i + 6, 9)] }]),
  ),
};

/** containerd platformVector: `p` first, then what it also runs, best first. */
function platformVector(p: Platform): Platform[] {
  const at = (architecture: string, variant = '') => make(p.os, architecture, variant, p['os.version']);
  const n = /^v?(\d+)$/.exec(p.variant ?? '');
  switch (p.architecture) {
    case 'amd64': {
      const v = [p];
      if (n && Number(n[1]) > 1) for (let k = Number(n[1]) - 1; k >= 1; k--) v.push(at('amd64', `v${k}`));
      v.push(at('386'));
      return v;
    }
    case 'arm': {
      const v = [p];
      if (n && Number(n[1]) > 5) for (let k = Number(n[1]) - 1; k >= 5; k--) v.push(at('arm', `v${k}`));
      return v;
    }
    case 'arm64': {
      let variant = p.variant || 'v8';
      const versions = ARM64_VERSIONS[variant];
      if (!versions) return [];
      const v: Platform[] = [];
      versions.major.forEach((major, i) => {
        for (let minor = versions.minor[i]!; minor >= 0; minor--) {
          v.push(at('arm64', minor === 0 ? `v${major}` : `v${major}.${minor}`));
        }
      });
      // Every arm64 v8.x and v9.x runs 32-bit arm up to v8.
      if (variant.startsWith('v8') || variant.startsWith('v9')) variant = 'v8';
      return [...v, ...platformVector(at('arm', variant))];
    }
    default:
      return [p];
  }
}

function same(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/**
 * containerd platforms.Only(wanted): the rank of `candidate` (0 = the platform asked for,
 * higher = a compatible fallback), or -1 when `wanted` cannot run it.
 */
function platformRank(wanted: Platform, candidate: Platform): number {
  const c = normalizePlatform(candidate);
  return platformVector(normalizePlatform(wanted))
    .map(normalizePlatform)
    .findIndex((w) => same(w, c));
}

/** containerd platforms.Only(wanted).Match(candidate). */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  return platformRank(wanted, candidate) >= 0;
}

/** An index entry: what choosing among them needs. */
export interface PlatformEntry {
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** Attestation manifests (BuildKit) sit in indexes with platform `unknown/unknown`. */
export function isAttestation(d: PlatformEntry): boolean {
  return (
    (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown') ||
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
  );
}

/**
 * The entry of an index for `wanted`: the best-ranked platform, the first listed among equals
 * (moby's filterManifests sorts with platforms.Only and a stable sort); attestations and
 * entries without a platform are never chosen. Undefined when nothing matches: callers say
 * Docker's `no matching manifest for <platform> …` in their own error type.
 */
export function choosePlatform<D extends PlatformEntry>(entries: readonly D[], wanted: Platform): D | undefined {
  let best: D | undefined;
  let bestRank = Infinity;
  for (const d of entries) {
    if (isAttestation(d) || !d.platform) continue;
    const rank = platformRank(wanted, d.platform);
    if (rank >= 0 && rank < bestRank) {
      best = d;
      bestRank = rank;
    }
  }
  return best;
}

/** Docker's message when an index has nothing for `wanted` (moby distribution pull); several
 * platforms (`docker load --platform a,b`) are listed in the order asked. */
export function noMatchingManifestMessage(wanted: Platform | readonly Platform[]): string {
  const list = Array.isArray(wanted) ? (wanted as readonly Platform[]) : [wanted as Platform];
  return `no matching manifest for ${list.map(formatPlatform).join(', ')} in the manifest list entries`;
}
