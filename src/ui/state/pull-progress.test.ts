import { describe, expect, it } from 'vitest';
import { applyPullEvent, emptyProgress, layerFraction } from './pull-progress.ts';
import type { PullEvent } from '../../core/pull-events.ts';

describe('pull progress', () => {
  it('tracks each layer through Docker states in arrival order', () => {
    const events: PullEvent[] = [
      { type: 'start', tagOrDigest: 'latest', repository: 'library/alpine' },
      { type: 'layer', id: 'aaaaaaaaaaaa', status: 'Already exists' },
      { type: 'layer', id: 'bbbbbbbbbbbb', status: 'Pulling fs layer' },
      { type: 'layer', id: 'bbbbbbbbbbbb', status: 'Downloading', current: 50, total: 200 },
      { type: 'digest', digest: 'sha256:x' },
    ];
    const p = events.reduce(applyPullEvent, emptyProgress());
    expect(p.heading).toBe('latest: Pulling from library/alpine');
    expect(p.layers.map((l) => [l.id, l.status])).toEqual([
      ['aaaaaaaaaaaa', 'Already exists'],
      ['bbbbbbbbbbbb', 'Downloading'],
    ]);
    expect(layerFraction(p.layers[0]!)).toBe(1);
    expect(layerFraction(p.layers[1]!)).toBe(0.25);
    const q = applyPullEvent(p, { type: 'layer', id: 'bbbbbbbbbbbb', status: 'Pull complete' });
    expect(q.layers[1]).toMatchObject({ current: 200, total: 200, status: 'Pull complete' });
  });
});
