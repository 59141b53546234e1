import { describe, expect, it } from 'vitest';
import { findBase } from './base.ts';

const img = (id: string, ...diffIds: string[]) => ({ id, diffIds });

describe('findBase', () => {
  const app = img('app', 'l1', 'l2', 'l3', 'l4');
  it('picks the longest proper prefix', () => {
    const stored = [img('os', 'l1'), img('runtime', 'l1', 'l2'), img('other', 'l1', 'x2'), app];
    expect(findBase(app, stored)?.id).toBe('runtime');
  });
  it('ignores the image itself, images with the same layers, and longer ones', () => {
    const stored = [app, img('retag', 'l1', 'l2', 'l3', 'l4'), img('child', 'l1', 'l2', 'l3', 'l4', 'l5')];
    expect(findBase(app, stored)).toBeUndefined();
  });
  it('needs the prefix from the first layer on', () => {
    expect(findBase(app, [img('mid', 'l2', 'l3'), img('empty')])).toBeUndefined();
  });
});
