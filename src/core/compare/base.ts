/**
 * An image's base among stored images: the one whose layers are the longest proper prefix of
 * this image's layers (by diff_id), which is what `FROM base` leaves behind. An image with the
 * same layers (a retag, or a rebuild that added only config) is not a base: nothing was added.
 */
export interface LayeredImage {
  id: string;
  diffIds: readonly string[];
}

export function findBase(image: LayeredImage, stored: readonly LayeredImage[]): LayeredImage | undefined {
  let best: LayeredImage | undefined;
  for (const c of stored) {
    if (c.id === image.id || c.diffIds.length === 0 || c.diffIds.length >= image.diffIds.length) continue;
    if (!c.diffIds.every((d, i) => d === image.diffIds[i])) continue;
    if (!best || c.diffIds.length > best.diffIds.length) best = c;
  }
  return best;
}
