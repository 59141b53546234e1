/**
 * The one place the "saved by sharing" figures come from, so the line above the images table
 * and the sharing panel can never disagree. Bytes are what this browser keeps: compressed
 * blobs, each once, however many images use it.
 */
import type { SharingSnapshot, StoreSummary } from '../../app/api.ts';

export interface SharingFigures {
  /** Bytes the store holds (every blob once). */
  stored: number;
  /** What the same images would take if no blob were shared. */
  withoutSharing: number;
  /** withoutSharing − stored. */
  saved: number;
  /** Uncompressed layer content stored once for several images (docker system df's view). */
  savedContent: number;
}

export function sharingFigures(summary: StoreSummary, sharing: SharingSnapshot | null): SharingFigures {
  const saved = Math.max(0, sharing?.sizes.savedDownloadBytes ?? 0);
  const savedContent = Math.max(0, sharing?.sizes.savedSize ?? 0);
  return { stored: summary.storedBytes, withoutSharing: summary.storedBytes + saved, saved, savedContent };
}
