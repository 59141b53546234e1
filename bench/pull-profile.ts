/**
 * CPU profiles of a pull in Chromium, over the Chrome DevTools Protocol: the V8 sampling
 * profiler of the page and of every worker, nested ones included (the hash workers live inside
 * the engine worker). playwright-core's CDPSession speaks to the page target only, so workers
 * are reached with Target.setAutoAttach (flatten: false) and their messages wrapped in
 * Target.sendMessageToTarget, recursively; each worker waits for the debugger at start, so its
 * profile covers its whole life.
 *
 * `classify` sorts each sample by the module its innermost JS frame comes from (hashing, tar,
 * IndexedDB, copies between threads, …; an unminified build marks its modules), natives by name
 * or by their caller; what no rule names is listed by function so the table can be extended.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  parent?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}
export interface TargetProfile {
  /** `page`, or the worker's name (`engine`, `sha256`). */
  name: string;
  profile: CpuProfile;
}

type Params = Record<string, unknown>;
interface Channel {
  send(method: string, params?: Params): Promise<Params>;
  on(method: string, fn: (params: Params) => void): void;
}

function fromSession(s: CDPSession): Channel {
  return {
    send: (m, p) => s.send(m as 'Profiler.enable', p as never) as Promise<Params>,
    on: (m, fn) => s.on(m as 'Profiler.consoleProfileStarted', fn as never),
  };
}

/** A target attached below `parent` in non-flat mode: its messages ride on the parent's. */
function childChannel(parent: Channel, sessionId: string): Channel {
  let next = 0;
  const pending = new Map<number, { resolve(p: Params): void; reject(e: Error): void }>();
  const handlers = new Map<string, ((p: Params) => void)[]>();
  parent.on('Target.receivedMessageFromTarget', (p) => {
    if (p.sessionId !== sessionId) return;
    const m = JSON.parse(p.message as string) as {
      id?: number;
      method?: string;
      params?: Params;
      result?: Params;
      error?: { message: string };
    };
    if (m.id !== undefined) {
      const w = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) w?.reject(new Error(m.error.message));
      else w?.resolve(m.result ?? {});
    } else if (m.method) {
      for (const fn of handlers.get(m.method) ?? []) fn(m.params ?? {});
    }
  });
  parent.on('Target.detachedFromTarget', (p) => {
    if (p.sessionId !== sessionId) return;
    for (const w of pending.values()) w.reject(new Error('target detached'));
    pending.clear();
  });
  return {
    send(method, params = {}) {
      const id = ++next;
      return new Promise<Params>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        parent
          .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
          .catch(reject);
      });
    },
    on(method, fn) {
      const list = handlers.get(method) ?? [];
      list.push(fn);
      handlers.set(method, list);
    },
  };
}

export interface Profiling {
  stop(): Promise<TargetProfile[]>;
}

/** Starts profiling the page and every worker it (or its workers) starts from now on. */
export async function startProfiling(context: BrowserContext, page: Page, intervalUs = 500): Promise<Profiling> {
  const targets: { name: string; ch: Channel; alive: boolean }[] = [];
  const setup = async (ch: Channel, name: string, waiting: boolean): Promise<void> => {
    const t = { name, ch, alive: true };
    targets.push(t);
    ch.on('Target.attachedToTarget', (p) => {
      const info = p.targetInfo as { type: string; title: string; url: string };
      const child = childChannel(ch, p.sessionId as string);
      const label = info.title && !info.title.startsWith('http') ? info.title : info.url.split('/').pop() || info.type;
      void setup(child, label, Boolean(p.waitingForDebugger)).catch((e: Error) =>
        console.log(`  profile: could not attach to ${label}: ${e.message}`),
      );
    });
    ch.on('Target.detachedFromTarget', () => {});
    await ch.send('Profiler.enable');
    await ch.send('Profiler.setSamplingInterval', { interval: intervalUs });
    await ch.send('Profiler.start');
    await ch
      .send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: false })
      .catch(() => {});
    if (waiting) await ch.send('Runtime.runIfWaitingForDebugger');
  };
  const session = await context.newCDPSession(page);
  await setup(fromSession(session), 'page', false);
  return {
    async stop() {
      const out: TargetProfile[] = [];
      for (const t of targets) {
        try {
          const r = (await t.ch.send('Profiler.stop')) as { profile: CpuProfile };
          out.push({ name: t.name, profile: r.profile });
        } catch (e) {
          console.log(`  profile: ${t.name} gave no profile (${(e as Error).message})`);
        }
      }
      await session.detach().catch(() => {});
      return out;
    },
  };
}

/**
 * The source module of each line of a bundle built with `--minify false`: rolldown marks each
 * module with a `// src/…` or `// node_modules/…` comment line.
 */
export function moduleMap(dist: string): (url: string, line: number) => string | undefined {
  const cache = new Map<string, [number, string][]>();
  return (url, line) => {
    const file = url.split('/').pop() ?? '';
    if (!file.endsWith('.js')) return undefined;
    let marks = cache.get(file);
    if (!marks) {
      marks = [];
      try {
        const lines = readFileSync(join(dist, 'assets', file), 'utf8').split('\n');
        lines.forEach((l, i) => {
          const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(l);
          if (m) marks!.push([i, m[1]!]);
        });
      } catch {
        // not one of ours (a Chromium-internal script)
      }
      cache.set(file, marks);
    }
    let found: string | undefined;
    for (const [at, mod] of marks) {
      if (at > line) break;
      found = mod;
    }
    return found;
  };
}

/** What a module's code does in a pull, first match wins. */
const MODULES: [RegExp, string][] = [
  [/^src\/core\/sha256/, 'SHA-256 (JS)'],
  [/^src\/workers\/hasher/, 'hash batches: copy, postMessage (transfer)'],
  [/^src\/store\/blob-writer/, 'copy into 4 MiB chunks (blob writer)'],
  [/^(src\/store\/|node_modules\/idb\/)/, 'IndexedDB (store code, idb, value clone)'],
  [/^src\/core\/tar\/bytes/, 'stream plumbing (fetch body → decoder → tar)'],
  [/^src\/core\/(tar\/|layer\/entry|layer\/size)/, 'tar index'],
  [/^src\/core\/(layer\/ingest|pull-layer|compression)/, 'stream plumbing (fetch body → decoder → tar)'],
  [/^node_modules\/fflate|^node_modules\/fzstd/, 'decompression (JS)'],
  [/^src\/core\/registry\//, 'registry client'],
  [/^(node_modules\/comlink|src\/app\/)/, 'events to the page (comlink), engine'],
  [/^(src\/ui\/|node_modules\/svelte|node_modules\/esm-env)/, 'UI (Svelte)'],
];
const IDB_API = new Set(['put', 'get', 'getAll', 'add', 'delete', 'transaction', 'objectStore', 'openCursor', 'count']);

export interface Breakdown {
  name: string;
  /** ms by category. */
  byCategory: Map<string, number>;
  /** ms of what no rule names, by function and its callers, for extending the rules. */
  unnamed: Map<string, number>;
  totalMs: number;
  busyMs: number;
}

/**
 * Each sample goes to a category by its innermost frame: V8's own entries (GC, idle,
 * program), IndexedDB's and postMessage's native API functions by name, JS by the module it
 * comes from (`moduleOf`), other natives to their caller's category; a native called straight
 * from the event loop (no JS caller) is a callback of the platform: DecompressionStream's inflate
 * and the other stream internals.
 */
export function classify(tp: TargetProfile, moduleOf: (url: string, line: number) => string | undefined): Breakdown {
  const p = tp.profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string | undefined>();
  const categoryOf = (id: number): string | undefined => {
    if (memo.has(id)) return memo.get(id);
    const f = byId.get(id)!.callFrame;
    let cat: string | undefined;
    if (f.functionName === '(garbage collector)') cat = 'garbage collection';
    else if (f.functionName === '(idle)') cat = 'idle';
    else if (f.functionName === '(program)') cat = 'native, outside JS (V8 and Blink work between tasks)';
    else if (f.functionName === '(root)')
      cat = 'native callbacks from the event loop (DecompressionStream inflate, stream internals)';
    else if (f.url === '' && IDB_API.has(f.functionName)) cat = 'IndexedDB (store code, idb, value clone)';
    else if (f.url === '' && f.functionName === 'postMessage') cat = 'postMessage';
    else if (f.url === '' && f.functionName === 'digest') cat = 'WebCrypto digest';
    else if (f.url === '') {
      const up = parent.get(id);
      cat = up !== undefined ? categoryOf(up) : undefined;
    } else {
      const mod = moduleOf(f.url, f.lineNumber);
      cat = mod ? (MODULES.find(([re]) => re.test(mod))?.[1] ?? `other JS (${mod})`) : undefined;
    }
    memo.set(id, cat);
    return cat;
  };
  const byCategory = new Map<string, number>();
  const unnamed = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: it belongs to the previous one.
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const id = p.samples[i]!;
    total += ms;
    const cat = categoryOf(id);
    if (cat) byCategory.set(cat, (byCategory.get(cat) ?? 0) + ms);
    else {
      const names: string[] = [];
      for (let q: number | undefined = id; q !== undefined && names.length < 4; q = parent.get(q)) {
        const f = byId.get(q)!.callFrame;
        names.push(`${f.functionName || '(anonymous)'}@${f.url.split('/').pop()}:${f.lineNumber + 1}`);
      }
      const key = names.join(' < ');
      unnamed.set(key, (unnamed.get(key) ?? 0) + ms);
      byCategory.set('other', (byCategory.get('other') ?? 0) + ms);
    }
  }
  return { name: tp.name, byCategory, unnamed, totalMs: total, busyMs: total - (byCategory.get('idle') ?? 0) };
}
