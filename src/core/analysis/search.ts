/**
 * Path search over a merged view: a substring, or a glob when the query has `*`, `?` or `[`.
 *   `*` any run of characters but `/`, `?` one character but `/`, `[abc]` `[a-z]` `[!x]`/`[^x]`
 *   a class, `**` any run including `/` (`**\/` also matches no directory at all), `\x` x itself.
 * A glob with a `/` matches the whole path (a leading `/` is allowed); without one it matches
 * the base name, as `find -name` does. Matching is an NFA walk, linear in path × pattern: a
 * pattern cannot make it backtrack exponentially, which a RegExp translation could.
 */
import { baseOf, type UnionView } from '../union/apply.ts';

/** Longer queries are refused: nobody types them, and each costs path × pattern steps. */
export const MAX_QUERY_LENGTH = 1024;

type Token =
  | { k: 'lit'; c: string }
  | { k: 'one' }
  | { k: 'class'; neg: boolean; set: string; ranges: [string, string][] }
  | { k: 'star' } // *
  | { k: 'gstar' } // ** not followed by /
  | { k: 'gskip' } // **/ entry: may match nothing (ε to the body and past it)
  | { k: 'gbody' }; // **/ body: anything, left only through a /

export interface Glob {
  /** True when matched against the whole path, false for the base name. */
  fullPath: boolean;
  test(s: string): boolean;
}

export function isGlob(query: string): boolean {
  return /[*?[]/.test(query);
}

export function compileGlob(pattern: string, caseSensitive = true): Glob {
  if (pattern.length > MAX_QUERY_LENGTH)
    throw new RangeError(`search pattern longer than ${MAX_QUERY_LENGTH} characters`);
  let p = caseSensitive ? pattern : pattern.toLowerCase();
  const fullPath = p.includes('/');
  if (fullPath) p = p.replace(/^\/+/, '');
  const tokens: Token[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\' && i + 1 < p.length) {
      tokens.push({ k: 'lit', c: p[++i]! });
    } else if (c === '*') {
      if (p[i + 1] === '*') {
        while (p[i + 1] === '*') i++;
        if (p[i + 1] === '/') {
          i++;
          tokens.push({ k: 'gskip' }, { k: 'gbody' });
        } else tokens.push({ k: 'gstar' });
      } else if (tokens.at(-1)?.k !== 'star') tokens.push({ k: 'star' });
    } else if (c === '?') {
      tokens.push({ k: 'one' });
    } else if (c === '[') {
      const cls = parseClass(p, i);
      if (cls) {
        tokens.push(cls.token);
        i = cls.end;
      } else tokens.push({ k: 'lit', c });
    } else tokens.push({ k: 'lit', c });
  }
  // A literal run the subject must contain: a cheap filter before the NFA walk.
  let best = '';
  let run = '';
  for (const t of tokens) {
    if (t.k === 'lit') run += t.c;
    else run = '';
    if (run.length > best.length) best = run;
  }
  const m = tokens.length;
  let cur = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  const closure = (s: Uint8Array) => {
    for (let i = 0; i < m; i++) {
      if (!s[i]) continue;
      const k = tokens[i]!.k;
      if (k === 'star' || k === 'gstar') s[i + 1] = 1;
      else if (k === 'gskip') s[i + 1] = s[i + 2] = 1;
    }
  };
  return {
    fullPath,
    test(subject: string): boolean {
      const s = caseSensitive ? subject : subject.toLowerCase();
      if (best && !s.includes(best)) return false;
      cur.fill(0);
      cur[0] = 1;
      closure(cur);
      for (let j = 0; j < s.length; j++) {
        const c = s[j]!;
        next.fill(0);
        let any = false;
        for (let i = 0; i < m; i++) {
          if (!cur[i]) continue;
          const t = tokens[i]!;
          switch (t.k) {
            case 'lit':
              if (c === t.c) {
                next[i + 1] = 1;
                any = true;
              }
              break;
            case 'one':
              if (c !== '/') {
                next[i + 1] = 1;
                any = true;
              }
              break;
            case 'class':
              if (c !== '/' && inClass(t, c)) {
                next[i + 1] = 1;
                any = true;
              }
              break;
            case 'star':
              if (c !== '/') {
                next[i] = 1;
                any = true;
              }
              break;
            case 'gstar':
              next[i] = 1;
              any = true;
              break;
            case 'gbody':
              next[i] = 1;
              if (c === '/') next[i + 1] = 1;
              any = true;
              break;
          }
        }
        if (!any) return false;
        [cur, next] = [next, cur];
        closure(cur);
      }
      return cur[m] === 1;
    },
  };
}

function parseClass(p: string, at: number): { token: Token; end: number } | null {
  let i = at + 1;
  let neg = false;
  if (p[i] === '!' || p[i] === '^') {
    neg = true;
    i++;
  }
  let set = '';
  const ranges: [string, string][] = [];
  let first = true;
  for (; i < p.length; i++) {
    const c = p[i]!;
    if (c === ']' && !first) return { token: { k: 'class', neg, set, ranges }, end: i };
    first = false;
    if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
      ranges.push([c, p[i + 2]!]);
      i += 2;
    } else set += c;
  }
  return null; // unterminated: `[` is a literal
}

function inClass(t: Extract<Token, { k: 'class' }>, c: string): boolean {
  let hit = t.set.includes(c);
  if (!hit) for (const [lo, hi] of t.ranges) if (c >= lo && c <= hi) hit = true;
  return hit !== t.neg;
}

export interface SearchOptions {
  /** Default false. */
  caseSensitive?: boolean;
  /** At most this many paths (after sorting). */
  limit?: number;
}

/** Paths of the view matching `query` (substring or glob), sorted. '' matches nothing. */
export function searchPaths(view: UnionView, query: string, opts: SearchOptions = {}): string[] {
  if (query.length > MAX_QUERY_LENGTH) throw new RangeError(`search query longer than ${MAX_QUERY_LENGTH} characters`);
  if (query === '') return [];
  const cs = opts.caseSensitive ?? false;
  const out: string[] = [];
  if (isGlob(query)) {
    const g = compileGlob(query, cs);
    for (const p of view.entries.keys()) if (g.test(g.fullPath ? p : baseOf(p))) out.push(p);
  } else {
    const q = cs ? query.replace(/^\/+/, '') : query.replace(/^\/+/, '').toLowerCase();
    for (const p of view.entries.keys()) if ((cs ? p : p.toLowerCase()).includes(q)) out.push(p);
  }
  out.sort();
  return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
}
