/**
 * The references of a stored image and the manifests they name (`ImageRecord.refManifests`):
 * which manifests a record needs kept, and the record once references leave it.
 */
import type { Digest } from './digest.ts';
import type { ImageRecord } from './model.ts';

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
