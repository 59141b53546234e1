/**
 * The store's invariants, checked like `git fsck` (tests, diagnostics, and the app's "Check
 * stored data"): every tag points to an image; every image's manifests and blobs are stored and
 * complete; every blob's chunks are exactly [0, chunkCount) with the right lengths and add up to
 * what its record says; after a gc, nothing unreferenced survives but what a lock protects.
 */
import { isDigest } from '../core/digest.ts';
import { manifestDigestsOf } from '../core/image-refs.ts';
import type { StoreKernel } from './kernel.ts';
import { short } from './validate.ts';

export async function checkInvariants(
  k: StoreKernel,
  opts: { afterGc?: boolean; deep?: boolean } = {},
): Promise<string[]> {
  const deep = opts.deep ?? true;
  const held = opts.afterGc ? await k.protectedDigests() : new Set<string>();
  return k.read(['blobs', 'chunks', 'manifests', 'images', 'tags', 'layerIndex'], 'check the store', async (tx) => {
    const problems: string[] = [];
    const images = await tx.objectStore('images').getAll();
    const imageIds = new Set(images.map((i) => i.id));
    const blobRecs = new Map((await tx.objectStore('blobs').getAll()).map((b) => [b.digest as string, b]));
    const manifestKeys = new Set((await tx.objectStore('manifests').getAllKeys()).map(String));
    const indexKeys = new Set((await tx.objectStore('layerIndex').getAllKeys()).map(String));

    for (const t of await tx.objectStore('tags').getAll()) {
      if (!imageIds.has(t.imageId)) problems.push(`tag ${t.name} points to missing image ${t.imageId}`);
    }
    const referenced = new Set<string>();
    for (const img of images) {
      if (!isDigest(img.id)) problems.push(`image with invalid id ${JSON.stringify(img.id)}`);
      for (const m of manifestDigestsOf(img)) {
        referenced.add(m);
        if (!manifestKeys.has(m)) problems.push(`image ${short(img.id)}: manifest ${m} missing`);
      }
      for (const [what, d] of [
        ['config', img.id] as const,
        ...img.layers.map((l, i) => [`layer ${i}`, l.digest] as const),
      ]) {
        referenced.add(d);
        const b = blobRecs.get(d);
        if (!b) problems.push(`image ${short(img.id)}: ${what} blob ${d} missing`);
        else if (!b.complete) problems.push(`image ${short(img.id)}: ${what} blob ${d} not complete`);
      }
      for (const l of img.layers) referenced.add(l.diffId);
    }

    // Chunks in key order: per digest, n ascending.
    const seen = new Map<string, { count: number; bytes: number; ns: number[]; badLen: number[] }>();
    const visit = (digest: string, n: number, length: number | undefined) => {
      const b = blobRecs.get(digest);
      if (!b) return problems.push(`chunk ${n} of ${short(digest)} has no blob record`);
      let s = seen.get(digest);
      if (!s) seen.set(digest, (s = { count: 0, bytes: 0, ns: [], badLen: [] }));
      s.count++;
      s.ns.push(n);
      const want = Math.min(b.chunkSize, b.size - n * b.chunkSize);
      s.bytes += length ?? want;
      if (length !== undefined && length !== want) s.badLen.push(n);
    };
    if (deep) {
      let cursor = await tx.objectStore('chunks').openCursor();
      while (cursor) {
        const c = cursor.value;
        visit(c.digest, c.n, c.bytes.byteLength);
        cursor = await cursor.continue();
      }
    } else {
      // Keys only: all in one request (a cursor costs a round trip per chunk).
      for (const [digest, n] of await tx.objectStore('chunks').getAllKeys()) visit(digest, n, undefined);
    }
    for (const b of blobRecs.values()) {
      const s = seen.get(b.digest) ?? { count: 0, bytes: 0, ns: [], badLen: [] };
      const where = `blob ${short(b.digest)}`;
      if (s.count !== b.chunkCount || s.ns.some((n, i) => n !== i))
        problems.push(`${where}: chunks [${s.ns.join(',')}] stored, record says ${b.chunkCount}`);
      if (s.bytes !== b.bytesWritten)
        problems.push(`${where}: chunks hold ${s.bytes} bytes, record says ${b.bytesWritten} written`);
      if (s.badLen.length) problems.push(`${where}: chunks [${s.badLen.join(',')}] have the wrong length`);
      if (b.bytesWritten > b.size)
        problems.push(`${where}: ${b.bytesWritten} bytes written, more than its size ${b.size}`);
      if (b.complete && (b.bytesWritten !== b.size || b.chunkCount !== Math.ceil(b.size / b.chunkSize))) {
        problems.push(`${where}: marked complete with ${b.bytesWritten} of ${b.size} bytes in ${b.chunkCount} chunks`);
      }
      if (opts.afterGc && b.complete && !referenced.has(b.digest) && !held.has(b.digest)) {
        problems.push(`${where}: complete, unreferenced, survived gc`);
      }
    }
    if (opts.afterGc) {
      for (const m of manifestKeys)
        if (!referenced.has(m) && !held.has(m)) problems.push(`manifest ${short(m)}: unreferenced, survived gc`);
      for (const d of indexKeys)
        if (!referenced.has(d) && !held.has(d)) problems.push(`layer index ${short(d)}: unreferenced, survived gc`);
    }
    return problems;
  });
}
