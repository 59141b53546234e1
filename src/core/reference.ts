/**
 * Image references as Docker reads them (distribution/reference `normalize.go`, `regexp.go`).
 *
 * Defaults, as `docker pull` applies them:
 * - no registry → Docker Hub, `docker.io` (its API host is `registry-1.docker.io`;
 *   `index.docker.io` is the legacy name of the same registry);
 * - a one-part Hub name gets `library/`: `ubuntu` → `docker.io/library/ubuntu`;
 * - neither tag nor digest → tag `latest`;
 * - the first path part is a registry host when it contains `.` or `:`, is `localhost`, or has
 *   upper case letters (a repository namespace never may).
 *
 * A Reference is plain data (it crosses `postMessage`); the string forms are functions.
 */
import { isDigest, type Digest } from './digest.ts';
import { codedError, registerErrorClass } from './errors.ts';

export interface Reference {
  /** Normalized registry host, with port when given: `docker.io`, `ghcr.io`, `localhost:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/ubuntu`, `user/app`. */
  repository: string;
  /** Tag; `latest` when the reference named neither tag nor digest. */
  tag?: string;
  /** Pinned manifest (or index) digest. */
  digest?: Digest;
}

export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
/** distribution/reference NameTotalLengthMax. */
const NAME_MAX = 255;
/** Longer input is refused before any regular expression runs (bounded work on hostile input). */
const INPUT_MAX = 1024;

/** Docker's parse failures, message for message (distribution/reference errors). */
export class InvalidReferenceError extends codedError('INVALID_REFERENCE', 'InvalidReferenceError') {
  override name = 'InvalidReferenceError';
}
registerErrorClass('InvalidReferenceError', InvalidReferenceError);

// Grammar of distribution/reference regexp.go.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const NAME = `(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)`;
const REFERENCE_RE = new RegExp(`^${NAME}(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const TAG_RE = new RegExp(`^${TAG}$`);

/**
 * Parse what a person types after `docker pull`. Throws InvalidReferenceError with Docker's
 * message: `invalid reference format`, `invalid reference format: repository name (library/Foo)
 * must be lowercase`, …
 */
export function parseReference(s: string): Reference {
  if (s.length > INPUT_MAX) throw new InvalidReferenceError('invalid reference format');
  if (ANCHORED_IDENTIFIER_RE.test(s)) {
    throw new InvalidReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new InvalidReferenceError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const full = `${domain}/${remainder}`;
  const m = REFERENCE_RE.exec(full);
  if (!m) {
    if (REFERENCE_RE.test(full.toLowerCase())) {
      throw new InvalidReferenceError('repository name must be lowercase');
    }
    throw new InvalidReferenceError('invalid reference format');
  }
  const [, registry = domain, repository = '', tag, digest] = m;
  if (repository.length > NAME_MAX) {
    throw new InvalidReferenceError(`repository name must not be more than ${NAME_MAX} characters`);
  }
  const ref: Reference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = validateDigest(digest);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/**
 * distribution/reference `ParseDockerRef`: a reference that names both a tag and a digest
 * (`alpine:3.19@sha256:…`) keeps only the digest, the image it pins. Docker applies it where
 * a reference selects content: `docker pull` sends the digest alone to the daemon (docker/cli
 * client `getAPITagFromNamedRef`) and records no tag; `rmi`, `inspect` and `history` look the
 * digest up in the repository and ignore the tag (moby daemon/containerd `resolveImage`).
 */
export function dockerRef(ref: Reference): Reference {
  return ref.digest !== undefined ? { registry: ref.registry, repository: ref.repository, digest: ref.digest } : ref;
}

/** `parseReference` then `dockerRef`: distribution/reference `ParseDockerRef`. */
export function parseDockerRef(s: string): Reference {
  return dockerRef(parseReference(s));
}

/** go-digest's checks, with its messages; Layerscope verifies sha256 only. */
function validateDigest(d: string): Digest {
  const i = d.indexOf(':');
  const algorithm = d.slice(0, i);
  const encoded = d.slice(i + 1);
  if (algorithm !== 'sha256') {
    // sha384/sha512 are valid to Docker; our store is keyed by sha256 digests only.
    throw new InvalidReferenceError('unsupported digest algorithm');
  }
  if (encoded.length !== 64) throw new InvalidReferenceError('invalid checksum digest length');
  if (!isDigest(d)) throw new InvalidReferenceError('invalid checksum digest format');
  return d;
}

/** normalize.go splitDockerDomain: decide whether the first path part is a registry host. */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  let domain: string;
  let remainder: string;
  if (slash < 0) {
    domain = DOCKER_HUB;
    remainder = name;
  } else {
    const first = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (first === LEGACY_DOCKER_HUB) {
      domain = DOCKER_HUB;
      remainder = rest;
    } else if (first === 'localhost' || first.includes('.') || first.includes(':') || first.toLowerCase() !== first) {
      domain = first;
      remainder = rest;
    } else {
      domain = DOCKER_HUB;
      remainder = name;
    }
  }
  if (domain === DOCKER_HUB && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/** True when `s` is a valid tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(s: string): boolean {
  return TAG_RE.test(s);
}

/** The host that serves the registry API: Docker Hub's differs from its name. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB || registry === LEGACY_DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** `docker.io/library/ubuntu` — registry and repository, no tag or digest. */
export function normalizedName(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The full normalized form: `docker.io/library/ubuntu:latest`, `…@sha256:…`, or both. */
export function referenceString(ref: Reference): string {
  let s = normalizedName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/**
 * The name Docker shows: `docker.io/library/ubuntu` → `ubuntu`, `docker.io/user/app` →
 * `user/app`, others unchanged (`ghcr.io/o/x`). Only a two-part `library/x` loses `library/`.
 */
export function familiarName(ref: Pick<Reference, 'registry' | 'repository'>): string {
  if (ref.registry !== DOCKER_HUB) return normalizedName(ref);
  const parts = ref.repository.split('/');
  if (parts.length === 2 && parts[0] === 'library') return parts[1]!;
  return ref.repository;
}

/** Familiar name with tag and digest: `ubuntu:latest`, `ghcr.io/o/x@sha256:…`. */
export function familiarString(ref: Reference): string {
  let s = familiarName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** `registry/repository@digest`: Docker's RepoDigests entry for a pulled manifest. */
export function canonicalString(ref: Pick<Reference, 'registry' | 'repository'>, digest: Digest): string {
  return `${normalizedName(ref)}@${digest}`;
}
