import { describe, expect, it } from 'vitest';
import type { SharingSnapshot, StoreSummary } from '../../app/api.ts';
import { sharingFigures } from './sharing-figures.ts';

const summary: StoreSummary = { images: 2, logicalBytes: 5000, storedBytes: 1300, unsharedBytes: 1900 };
const sizes = (savedDownloadBytes: number, savedSize: number) =>
  ({
    layers: [],
    sizes: {
      images: [],
      logicalSize: 0,
      uniqueContentSize: 0,
      savedSize,
      logicalDownloadSize: 0,
      storedBytes: 0,
      savedDownloadBytes,
    },
  }) as unknown as SharingSnapshot;

describe('sharing figures', () => {
  it('saved is what the store keeps once for several images; the totals add up', () => {
    const f = sharingFigures(summary, sizes(600, 611));
    expect(f).toEqual({ stored: 1300, withoutSharing: 1900, saved: 600, savedContent: 611 });
    expect(f.withoutSharing - f.stored).toBe(f.saved);
  });
  it('nothing is saved without a sharing snapshot (one image)', () => {
    expect(sharingFigures(summary, null)).toEqual({ stored: 1300, withoutSharing: 1300, saved: 0, savedContent: 0 });
  });
  it('never reports a negative saving', () => {
    expect(sharingFigures(summary, sizes(-5, -1)).saved).toBe(0);
  });
});
