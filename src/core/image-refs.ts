/**
 * The references of a stored image and the manifests they name (`ImageRecord.refManifests`):
 * which manifests a record needs kept, and the record once references leave it.
 */
import type { Digest } from './digest.ts';
import type { ImageRecord } from './model.ts';
import { canonicalString, dockerRef, normalizedName, parseReference } from './reference.ts';
import { parseManifest } from './registry/manifests.ts';

/** Every manifest and index digest an image record needs stored (its own and its references'). */
export function manifestDigestsOf(image: ImageRecord): Digest[] {
  const out = new Set<Digest>([image.manifestDigest]);
  if (image.indexDigest) out.add(image.indexDigest);
  for (const m of Object.values(image.refManifests ?? {})) {
    out.add(m.manifestDigest);
    if (m.indexDigest) out.add(m.indexDigest);
  }
  return [...out];
}

/** A record without the references named in `names` (a tag moved or removed, a digest untagged). */
export function withoutRefManifests(image: ImageRecord, names: readonly string[]): ImageRecord {
  if (!image.refManifests || !names.some((n) => n in image.refManifests!)) return image;
  const refManifests = { ...image.refManifests };
  for (const n of names) delete refManifests[n];
  return { ...image, refManifests };
}

/** What a view of one image shows of its manifest: the one the opened reference names. */
export interface ManifestView {
  manifestDigest: Digest;
  manifestMediaType: string;
  indexDigest?: Digest;
  /** The reference whose manifest this is (normalized), when it has its own record. */
  reference?: string;
}

/**
 * The manifest a reference of the image names: `name` is what the person opened (`repo:tag`,
 * `repo@sha256:…`, familiar or normalized, or an image ID). A tag or digest reference pulled
 * through its own manifest shows that one; anything else (an ID, a local tag, a record stored
 * before references kept their manifests) shows the image's own.
 */
export function manifestViewOf(image: ImageRecord, name?: string): ManifestView {
  const own: ManifestView = {
    manifestDigest: image.manifestDigest,
    manifestMediaType: image.manifestMediaType,
    ...(image.indexDigest ? { indexDigest: image.indexDigest } : {}),
  };
  if (!name || !image.refManifests) return own;
  let key: string;
  try {
    const ref = dockerRef(parseReference(name));
    key = ref.digest !== undefined ? canonicalString(ref, ref.digest) : `${normalizedName(ref)}:${ref.tag}`;
  } catch {
    return own;
  }
  const m = image.refManifests[key];
  if (!m) return own;
  return {
    manifestDigest: m.manifestDigest,
    manifestMediaType: m.manifestMediaType,
    ...(m.indexDigest ? { indexDigest: m.indexDigest } : {}),
    reference: key,
  };
}

/**
 * The layer descriptors (digest, media type, size) of a stored manifest, bottom first, when it
 * is an OCI or Docker schema 2 manifest of `count` layers; undefined otherwise (schema 1, or a
 * manifest that does not describe these layers), and the image's own records are shown.
 */
export function manifestLayers(
  bytes: Uint8Array,
  mediaType: string,
  count: number,
): { digest: Digest; mediaType: string; size: number }[] | undefined {
  let parsed;
  try {
    parsed = parseManifest(bytes, mediaType);
  } catch {
    return undefined;
  }
  if (parsed.manifest.kind !== 'manifest' || parsed.manifest.layers.length !== count) return undefined;
  return parsed.manifest.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size }));
}
