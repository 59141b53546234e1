import { describe, expect, it } from 'vitest';
import { formatDuration, RateMeter } from './rate.ts';
import { applyPullEvent, emptyProgress, pullBytes } from './pull-progress.ts';
import type { PullEvent } from '../../core/pull-events.ts';

describe('RateMeter', () => {
  it('knows nothing from one sample', () => {
    const m = new RateMeter();
    m.add(0, 0);
    expect(m.rate()).toBeNull();
    expect(m.eta(0, 100)).toBeNull();
  });
  it('measures bytes per second and the time left', () => {
    const m = new RateMeter();
    m.add(0, 0);
    m.add(1000, 1_000_000);
    m.add(2000, 2_000_000);
    expect(m.rate()).toBe(1_000_000);
    expect(m.eta(2_000_000, 10_000_000)).toBe(8);
  });
  it('follows the last seconds only: a stall shows', () => {
    const m = new RateMeter(5000);
    m.add(0, 0);
    m.add(1000, 5_000_000);
    for (let t = 2000; t <= 8000; t += 1000) m.add(t, 5_000_000);
    expect(m.rate()).toBe(0);
    expect(m.eta(5_000_000, 6_000_000)).toBeNull();
  });
  it('samples at the same instant keep the larger count', () => {
    const m = new RateMeter();
    m.add(0, 0);
    m.add(1000, 100);
    m.add(1000, 300);
    expect(m.rate()).toBe(300);
  });
});

describe('pullBytes', () => {
  it('sums what this pull downloads; stored layers and unknown sizes count for nothing', () => {
    const events: PullEvent[] = [
      { type: 'layer', id: 'a', status: 'Already exists' },
      { type: 'layer', id: 'b', status: 'Downloading', current: 50, total: 200 },
      { type: 'layer', id: 'c', status: 'Pulling fs layer' },
      { type: 'layer', id: 'd', status: 'Downloading', current: 100, total: 100 },
      { type: 'layer', id: 'd', status: 'Pull complete' },
    ];
    expect(pullBytes(events.reduce(applyPullEvent, emptyProgress()))).toEqual({ done: 150, total: 300 });
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [42.4, '42 s'],
    [185, '3 min 05 s'],
    [3720, '1 h 02 min'],
  ])('%s → %s', (s, text) => expect(formatDuration(s)).toBe(text));
});
