/**
 * Images and tags. An image and its tags are committed in ONE transaction that first checks
 * every blob and manifest the image needs, so a crash leaves no half image visible. Every
 * mutation here holds the store lock (see kernel.ts): its checks read records another tab may
 * be changing. Deleting an image leaves its blobs to the next gc.
 */
import type { Digest } from '../core/digest.ts';
import { manifestDigestsOf, withoutRefManifests } from '../core/image-refs.ts';
import type { ImageRecord, RemovalStep, TagRecord } from '../core/model.ts';
import { StoreError } from './errors.ts';
import { quiet, type StoreKernel } from './kernel.ts';
import { checkDigest, checkImage, checkRemovalSteps, checkTagName, MAX_TAG_NAME, short } from './validate.ts';

export interface CommitResult {
  imageId: Digest;
  /** The image was not stored before. */
  newImage: boolean;
  /** Tags that pointed to another image and now point here (`Downloaded newer image`). */
  moved: { name: string; from: Digest }[];
  /** Tags that did not exist before. */
  added: string[];
  /** Tags that already pointed to this image (`Image is up to date`). */
  unchanged: string[];
}

export async function commitImage(k: StoreKernel, image: ImageRecord, tagNames: string[]): Promise<CommitResult> {
  checkImage(image);
  tagNames.forEach(checkTagName);
  const names = [...new Set(tagNames)];
  return k.write(
    ['images', 'tags', 'blobs', 'manifests'],
    `save image ${short(image.id)}`,
    async (tx) => {
      const manifests = tx.objectStore('manifests');
      const blobs = tx.objectStore('blobs');
      const manifestKeys = manifestDigestsOf(image);
      const missingManifests: string[] = [];
      for (const d of manifestKeys) if ((await manifests.getKey(d)) === undefined) missingManifests.push(d);
      if (missingManifests.length) {
        throw new StoreError(
          'MANIFEST_MISSING',
          `image ${short(image.id)}: manifest not stored: ${missingManifests.join(', ')}`,
          { missing: missingManifests },
        );
      }
      const missing: string[] = [];
      for (const d of new Set([image.id, ...image.layers.map((l) => l.digest)])) {
        const rec = await blobs.get(d);
        if (!rec?.complete) missing.push(d);
      }
      if (missing.length) {
        throw new StoreError(
          'BLOB_INCOMPLETE',
          `image ${short(image.id)}: ${missing.length} blob(s) missing or incomplete: ${missing.join(', ')}`,
          { missing },
        );
      }
      const images = tx.objectStore('images');
      const existing = await images.get(image.id);
      let repoDigests = [...new Set([...(existing?.repoDigests ?? []), ...image.repoDigests])];
      const refManifests = { ...existing?.refManifests, ...image.refManifests };
      // A digest reference names one image: the first to get it keeps it (moby's reference
      // store refuses to move a digest; distribution `addDigestReference` logs "cannot update").
      const added = repoDigests.filter((d) => !existing?.repoDigests.includes(d));
      if (added.length > 0) {
        const held = new Set<string>();
        for (const other of await images.getAll()) {
          if (other.id === image.id) continue;
          for (const d of other.repoDigests) if (added.includes(d)) held.add(d);
        }
        if (held.size > 0) repoDigests = repoDigests.filter((d) => !held.has(d));
        for (const d of held) delete refManifests[d];
      }
      const refs = Object.keys(refManifests).length > 0 ? { refManifests } : {};
      const record: ImageRecord = existing
        ? { ...image, repoDigests, ...refs, storedAt: Math.min(existing.storedAt, image.storedAt) }
        : { ...image, repoDigests, ...refs };
      await images.put(record);
      const tags = tx.objectStore('tags');
      const out: CommitResult = { imageId: image.id, newImage: !existing, moved: [], added: [], unchanged: [] };
      for (const name of names) {
        const prev = await tags.get(name);
        if (prev?.imageId === image.id) {
          out.unchanged.push(name);
          continue;
        }
        if (prev) {
          out.moved.push({ name, from: prev.imageId });
          const old = await images.get(prev.imageId);
          if (old?.refManifests?.[name]) await images.put(withoutRefManifests(old, [name]));
        } else out.added.push(name);
        await tags.put({ name, imageId: image.id });
      }
      return out;
    },
    { lock: 'store', announce: () => ({ op: 'commitImage', imageId: image.id, names }) },
  );
}

export async function tag(k: StoreKernel, imageId: Digest, name: string): Promise<{ previous?: Digest }> {
  checkDigest(imageId, 'image id');
  checkTagName(name);
  return k.write(
    ['images', 'tags'],
    `tag ${name}`,
    async (tx) => {
      if ((await tx.objectStore('images').getKey(imageId)) === undefined) {
        throw new StoreError('NOT_FOUND', `No such image: ${imageId}`, { imageId });
      }
      const tags = tx.objectStore('tags');
      const prev = await tags.get(name);
      if (prev?.imageId !== imageId) await tags.put({ name, imageId });
      if (prev && prev.imageId !== imageId) await dropRefManifests(tx.objectStore('images'), prev.imageId, [name]);
      return prev && prev.imageId !== imageId ? { previous: prev.imageId } : {};
    },
    { lock: 'store', announce: () => ({ op: 'tag', imageId, names: [name] }) },
  );
}

export async function untag(k: StoreKernel, name: string): Promise<Digest> {
  checkTagName(name);
  return k.write(
    ['tags', 'images'],
    `untag ${name}`,
    async (tx) => {
      const tags = tx.objectStore('tags');
      const prev = await tags.get(name);
      if (!prev) throw new StoreError('NOT_FOUND', `No such image: ${name}`, { name });
      await tags.delete(name);
      await dropRefManifests(tx.objectStore('images'), prev.imageId, [name]);
      return prev.imageId;
    },
    { lock: 'store', announce: (imageId) => ({ op: 'untag', imageId, names: [name] }) },
  );
}

export async function deleteImage(
  k: StoreKernel,
  id: Digest,
  opts: { force?: boolean } = {},
): Promise<{ untagged: string[] }> {
  checkDigest(id, 'image id');
  const untagged = await k.write(
    ['images', 'tags'],
    `delete image ${short(id)}`,
    async (tx) => {
      const images = tx.objectStore('images');
      if ((await images.getKey(id)) === undefined)
        throw new StoreError('NOT_FOUND', `No such image: ${id}`, { imageId: id });
      const tags = tx.objectStore('tags');
      const names = (await tags.index('imageId').getAllKeys(id)).map(String);
      if (names.length && !opts.force) {
        throw new StoreError('IMAGE_REFERENCED', `image ${short(id)} is referenced by ${names.join(', ')}`, {
          imageId: id,
          tags: names,
        });
      }
      await Promise.all([...names.map((n) => quiet(tags.delete(n))), quiet(images.delete(id))]);
      return names;
    },
    { lock: 'store', announce: (names) => ({ op: 'deleteImage', imageId: id, names }) },
  );
  return { untagged };
}

export async function applyRemoval(k: StoreKernel, steps: readonly RemovalStep[]): Promise<void> {
  checkRemovalSteps(steps);
  await k.write(
    ['images', 'tags'],
    'remove images',
    async (tx) => {
      const tags = tx.objectStore('tags');
      const images = tx.objectStore('images');
      for (const st of steps) {
        if (st.kind === 'untag') {
          const t = await tags.get(st.name);
          if (t === undefined) throw new StoreError('NOT_FOUND', `No such image: ${st.name}`, { name: st.name });
          await tags.delete(st.name);
          await dropRefManifests(images, t.imageId, [st.name]);
        } else if (st.kind === 'untagDigest') {
          const img = await images.get(st.imageId);
          if (!img) throw new StoreError('NOT_FOUND', `No such image: ${st.imageId}`, { imageId: st.imageId });
          const kept = withoutRefManifests(img, [st.reference]);
          await images.put({ ...kept, repoDigests: img.repoDigests.filter((d) => d !== st.reference) });
        } else {
          if ((await images.getKey(st.imageId)) === undefined)
            throw new StoreError('NOT_FOUND', `No such image: ${st.imageId}`, { imageId: st.imageId });
          const names = (await tags.index('imageId').getAllKeys(st.imageId)).map(String);
          if (names.length) {
            throw new StoreError(
              'IMAGE_REFERENCED',
              `image ${short(st.imageId)} is still referenced by ${names.join(', ')}`,
              { imageId: st.imageId, tags: names },
            );
          }
          await images.delete(st.imageId);
        }
      }
    },
    {
      lock: 'store',
      announce: () => ({ op: 'deleteImage', names: steps.flatMap((s) => (s.kind === 'untag' ? [s.name] : [])) }),
    },
  );
}

/** Inside a write transaction: the image no longer has these references (tags or digests). */
async function dropRefManifests(
  images: { get(id: string): Promise<ImageRecord | undefined>; put(v: ImageRecord): Promise<unknown> },
  id: Digest,
  names: readonly string[],
): Promise<void> {
  const img = await images.get(id);
  if (!img) return;
  const next = withoutRefManifests(img, names);
  if (next !== img) await images.put(next);
}

// ── reads ────────────────────────────────────────────────────────────────────────────────

export async function getImage(k: StoreKernel, id: Digest): Promise<ImageRecord | undefined> {
  checkDigest(id, 'image id');
  return k.read(['images'], 'read an image', (tx) => tx.objectStore('images').get(id));
}

export async function getImages(k: StoreKernel, ids: readonly Digest[]): Promise<(ImageRecord | undefined)[]> {
  ids.forEach((id, i) => checkDigest(id, `image id ${i}`));
  return k.read(['images'], 'read images', (tx) => {
    const images = tx.objectStore('images');
    return Promise.all(ids.map((id) => images.get(id)));
  });
}

export function listImages(k: StoreKernel): Promise<ImageRecord[]> {
  return k.read(['images'], 'list images', (tx) => tx.objectStore('images').getAll());
}

export function listTags(k: StoreKernel): Promise<TagRecord[]> {
  return k.read(['tags'], 'list tags', (tx) => tx.objectStore('tags').getAll());
}

export async function getTag(k: StoreKernel, name: string): Promise<TagRecord | undefined> {
  if (typeof name !== 'string' || name.length > MAX_TAG_NAME) return undefined;
  return k.read(['tags'], 'read a tag', (tx) => tx.objectStore('tags').get(name));
}

export async function tagsOf(k: StoreKernel, id: Digest): Promise<string[]> {
  checkDigest(id, 'image id');
  const keys = await k.read(['tags'], 'list tags', (tx) => tx.objectStore('tags').index('imageId').getAllKeys(id));
  return keys.map(String).sort();
}

export async function lookup(
  k: StoreKernel,
  ref: string,
  opts: { name?: string } = {},
): Promise<ImageRecord | undefined> {
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > MAX_TAG_NAME) return undefined;
  const full = /^(?:sha256:)?([0-9a-f]{64})$/.exec(ref);
  if (full) return getImage(k, `sha256:${full[1]}`);
  return k.read(['images', 'tags'], 'look up an image', async (tx) => {
    const images = tx.objectStore('images');
    for (const name of new Set([opts.name, ref])) {
      if (!name) continue;
      const t = await tx.objectStore('tags').get(name);
      if (t) return images.get(t.imageId);
    }
    const all = await images.getAll();
    for (const name of new Set([opts.name, ref])) {
      if (!name?.includes('@sha256:')) continue;
      const hit = all.find((i) => i.repoDigests.includes(name));
      if (hit) return hit;
    }
    const prefix = /^(?:sha256:)?([0-9a-f]{1,63})$/.exec(ref);
    if (!prefix) return undefined;
    const matches = all.filter((i) => i.id.startsWith(`sha256:${prefix[1]}`));
    if (matches.length > 1) {
      throw new StoreError('AMBIGUOUS_ID', `image ID prefix ${prefix[1]} matches ${matches.length} images`, {
        prefix: prefix[1]!,
        matches: matches.map((i) => i.id),
      });
    }
    return matches[0];
  });
}
