import { describe, expect, it } from 'vitest';
import { squarify } from './treemap.ts';

describe('squarified treemap', () => {
  it('fills the area exactly, with areas proportional to sizes', () => {
    const items = [6, 6, 4, 3, 2, 2, 1].map((size, i) => ({ key: `k${i}`, label: `k${i}`, size }));
    const rects = squarify(items, 6, 4);
    expect(rects).toHaveLength(7);
    const area = rects.reduce((n, r) => n + r.w * r.h, 0);
    expect(area).toBeCloseTo(24, 9);
    for (const r of rects) expect(r.w * r.h).toBeCloseTo(r.size, 9); // total 24 on a 6×4 box
    for (const r of rects) {
      expect(r.x).toBeGreaterThanOrEqual(-1e-9);
      expect(r.y).toBeGreaterThanOrEqual(-1e-9);
      expect(r.x + r.w).toBeLessThanOrEqual(6 + 1e-9);
      expect(r.y + r.h).toBeLessThanOrEqual(4 + 1e-9);
    }
    // the paper's example: the first two squares are 3×2 each
    expect(rects[0]).toMatchObject({ x: 0, y: 0 });
    expect(rects[0]!.w).toBeCloseTo(3, 9);
  });
  it('drops empty items and handles an empty input', () => {
    expect(squarify([{ key: 'a', label: 'a', size: 0 }], 10, 10)).toEqual([]);
    expect(squarify([], 10, 10)).toEqual([]);
  });
});
