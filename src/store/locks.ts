/**
 * Cross-context locks. In the browser the Web Locks API (`navigator.locks`) serializes writers
 * across tabs and workers of the origin, and a lock dies with its tab. Node tests (and any
 * realm without Web Locks) use an in-process provider with the same semantics (FIFO queue,
 * shared/exclusive modes, `query()` of held locks).
 */

export type LockMode = 'exclusive' | 'shared';

export interface HeldLock {
  name?: string;
  mode?: LockMode;
}

/** The subset of `LockManager` the store uses. */
export interface LockProvider {
  request<T>(name: string, options: { mode: LockMode }, callback: () => Promise<T>): Promise<T>;
  query(): Promise<{ held?: HeldLock[] }>;
}

/** Adapts `navigator.locks`. */
export function webLocks(manager: LockManager): LockProvider {
  return {
    request: (name, options, callback) => manager.request(name, options, () => callback()),
    query: async () => {
      const snapshot = await manager.query();
      return { held: (snapshot.held ?? []).map((l) => ({ name: l.name, mode: l.mode })) };
    },
  };
}

interface LockState {
  mode: LockMode | null;
  count: number;
  queue: { mode: LockMode; grant: () => void }[];
}

/** An in-process lock manager with Web Locks semantics, for Node and tests. */
export function memoryLocks(): LockProvider {
  const states = new Map<string, LockState>();

  const pump = (name: string, s: LockState) => {
    for (;;) {
      const head = s.queue[0];
      if (!head) break;
      const compatible = s.count === 0 || (s.mode === 'shared' && head.mode === 'shared');
      if (!compatible) break;
      s.queue.shift();
      s.mode = head.mode;
      s.count++;
      head.grant();
    }
    if (s.count === 0 && s.queue.length === 0) states.delete(name);
  };

  return {
    async request<T>(name: string, options: { mode: LockMode }, callback: () => Promise<T>): Promise<T> {
      let s = states.get(name);
      if (!s) states.set(name, (s = { mode: null, count: 0, queue: [] }));
      const state = s;
      await new Promise<void>((grant) => {
        state.queue.push({ mode: options.mode, grant });
        pump(name, state);
      });
      try {
        return await callback();
      } finally {
        state.count--;
        if (state.count === 0) state.mode = null;
        pump(name, state);
      }
    },
    async query() {
      const held: HeldLock[] = [];
      for (const [name, s] of states) {
        for (let i = 0; i < s.count; i++) held.push({ name, mode: s.mode ?? 'exclusive' });
      }
      return { held };
    },
  };
}

/**
 * Takes a lock and keeps it until the returned release function is called. Resolves once the
 * lock is granted.
 */
export function holdLock(locks: LockProvider, name: string, mode: LockMode): Promise<() => void> {
  return new Promise((resolveGranted, rejectGranted) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    locks
      .request(name, { mode }, async () => {
        resolveGranted(release);
        await released;
      })
      .catch(rejectGranted);
  });
}
