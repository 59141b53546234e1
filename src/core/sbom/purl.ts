/**
 * Package URLs (github.com/package-url/purl-spec, ECMA-427): `pkg:type/namespace/name@version
 * ?qualifiers#subpath`, in canonical form (qualifier keys lower-cased and sorted, empty values
 * dropped, components percent-encoded with ':' left as is).
 */
import type { Package } from '../packages/types.ts';

export interface PurlParts {
  type: string;
  namespace?: string | undefined;
  name: string;
  version?: string | undefined;
  qualifiers?: Record<string, string | undefined> | undefined;
  subpath?: string | undefined;
}

const KEEP = /[A-Za-z0-9.\-_~:]/;

function encode(s: string): string {
  let out = '';
  for (const ch of s) {
    if (KEEP.test(ch)) {
      out += ch;
      continue;
    }
    for (const b of new TextEncoder().encode(ch)) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function buildPurl(p: PurlParts): string {
  let s = `pkg:${p.type.toLowerCase()}/`;
  if (p.namespace) s += p.namespace.split('/').filter(Boolean).map(encode).join('/') + '/';
  s += encode(p.name);
  if (p.version) s += '@' + encode(p.version);
  const q = Object.entries(p.qualifiers ?? {})
    .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  if (q.length) s += '?' + q.map(([k, v]) => `${k}=${encode(v)}`).join('&');
  if (p.subpath)
    s +=
      '#' +
      p.subpath
        .split('/')
        .filter((c) => c && c !== '.' && c !== '..')
        .map(encode)
        .join('/');
  return s;
}

export interface Distro {
  id?: string | undefined;
  versionId?: string | undefined;
  prettyName?: string | undefined;
}

/** The distro qualifier as syft writes it: `ID-VERSION_ID` from os-release. */
export function distroQualifier(d: Distro | undefined): string | undefined {
  if (!d?.id) return undefined;
  return d.versionId ? `${d.id}-${d.versionId}` : d.id;
}

/** The purl of an installed OS package: the namespace is the distribution (os-release ID;
 * `debian` / `alpine` when unknown, as a deb or apk comes from one of those families). */
export function packagePurl(p: Package, distro?: Distro): string {
  const ns = distro?.id || (p.type === 'deb' ? 'debian' : p.type === 'apk' ? 'alpine' : undefined);
  const upstream = p.source && p.source !== p.name ? p.source : undefined;
  return buildPurl({
    type: p.type,
    namespace: ns,
    name: p.name,
    version: p.version,
    qualifiers: {
      arch: p.arch || undefined,
      distro: distroQualifier(distro),
      epoch: p.type === 'rpm' && p.epoch ? String(p.epoch) : undefined,
      upstream,
    },
  });
}

/** The purl of an OCI image (purl-spec `oci` type: the digest is the version). */
export function imagePurl(name: string, digest: string, repositoryUrl?: string): string {
  return buildPurl({
    type: 'oci',
    name: name.toLowerCase(),
    version: digest,
    qualifiers: { repository_url: repositoryUrl },
  });
}

/** The last path component of an image reference without its tag or digest
 * (`registry:5000/library/debian:12` → `debian`): the name an `oci` purl carries. */
export function repositoryName(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const last = noDigest.split('/').pop()!;
  return last.split(':')[0]!;
}
