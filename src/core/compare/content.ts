/**
 * Content digests for the comparison's candidates: one pass over a layer's tar, hashing the
 * bodies at the requested data offsets and skipping everything else, stopping as soon as all
 * are found. Each layer is read at most once however many of its files are candidates.
 */
import type { Digest } from '../digest.ts';
import { createSha256 } from '../sha256.ts';
import { readTar } from '../tar/reader.ts';
import { LayerscopeError } from '../errors.ts';

/** SHA-256 of each body whose data starts at one of `offsets` in the tar `source`. */
export async function hashBodiesAt(
  source: AsyncIterable<Uint8Array>,
  offsets: Iterable<number>,
  signal?: AbortSignal,
): Promise<Map<number, Digest>> {
  const want = new Set(offsets);
  const out = new Map<number, Digest>();
  if (want.size === 0) return out;
  for await (const t of readTar(source, signal ? { signal } : {})) {
    if (!want.has(t.header.offset)) {
      await t.skip();
      continue;
    }
    const h = createSha256();
    for await (const piece of t.body()) h.update(piece);
    out.set(t.header.offset, h.digest());
    want.delete(t.header.offset);
    if (want.size === 0) break;
  }
  if (want.size > 0) {
    throw new LayerscopeError(
      'LAYER_CHANGED',
      `the layer no longer holds ${want.size} of its indexed files (pull it again)`,
    );
  }
  return out;
}
