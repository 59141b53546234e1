/** Folding PullEvents into what the pull dialog shows: pure, tested in Node. */
import type { LayerStatus, PullEvent } from '../../core/pull-events.ts';

export interface LayerProgress {
  id: string;
  status: LayerStatus;
  current: number;
  total: number;
}

export interface PullProgress {
  heading: string;
  layers: LayerProgress[];
  warnings: string[];
  digest: string;
  status: string;
  reference: string;
}

export const emptyProgress = (): PullProgress => ({
  heading: '',
  layers: [],
  warnings: [],
  digest: '',
  status: '',
  reference: '',
});

export function applyPullEvent(p: PullProgress, e: PullEvent): PullProgress {
  switch (e.type) {
    case 'start':
      return { ...p, heading: `${e.tagOrDigest}: Pulling from ${e.repository}` };
    case 'layer': {
      const i = p.layers.findIndex((l) => l.id === e.id);
      const prev = i >= 0 ? p.layers[i] : undefined;
      const next: LayerProgress = {
        id: e.id,
        status: e.status,
        current:
          e.current ??
          (e.status === 'Download complete' || e.status === 'Pull complete'
            ? (prev?.total ?? 0)
            : (prev?.current ?? 0)),
        total: e.total ?? prev?.total ?? 0,
      };
      const layers = p.layers.slice();
      if (i >= 0) layers[i] = next;
      else layers.push(next);
      return { ...p, layers };
    }
    case 'warning':
      return { ...p, warnings: [...p.warnings, e.text] };
    case 'digest':
      return { ...p, digest: e.digest };
    case 'status':
      return { ...p, status: e.text };
    case 'done':
      return { ...p, reference: e.reference };
  }
}

/** 0..1 for a bar; layers already stored or complete are full. */
export function layerFraction(l: LayerProgress): number {
  if (l.status === 'Already exists' || l.status === 'Pull complete' || l.status === 'Download complete') return 1;
  if (l.total <= 0) return 0;
  return Math.min(1, l.current / l.total);
}

/**
 * Bytes this pull downloads, done and total, over its layers. Layers already stored are not
 * downloaded and do not count; a layer whose size is not known yet adds nothing to either.
 */
export function pullBytes(p: PullProgress): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const l of p.layers) {
    if (l.status === 'Already exists' || l.total <= 0) continue;
    total += l.total;
    done += layerFraction(l) * l.total;
  }
  return { done: Math.round(done), total };
}
