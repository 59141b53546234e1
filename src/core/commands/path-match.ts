/**
 * Go's path.Match, which the daemon's `reference` filter uses (moby daemon/images/image_list.go:
 * a malformed pattern fails the listing with `syntax error in pattern`). A port of the
 * algorithm, not a regular expression: `*` and `?` never match `/`, classes take ranges and
 * `^`, `\` escapes, and the whole pattern is checked for syntax even after a mismatch.
 */

export class BadPatternError extends Error {
  override name = 'BadPatternError';
  constructor() {
    super('syntax error in pattern');
  }
}

function scanChunk(p: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let i = 0;
  let star = false;
  while (i < p.length && p[i] === '*') {
    i++;
    star = true;
  }
  const start = i;
  let inRange = false;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      if (i + 1 < p.length) i++;
    } else if (c === '[') inRange = true;
    else if (c === ']') inRange = false;
    else if (c === '*' && !inRange) break;
  }
  return { star, chunk: p.slice(start, i), rest: p.slice(i) };
}

/** getEsc: one (possibly escaped) character of a class. */
function getEsc(chunk: string[], at: number): { r: number; next: number } {
  let i = at;
  if (i >= chunk.length || chunk[i] === '-' || chunk[i] === ']') throw new BadPatternError();
  if (chunk[i] === '\\') {
    i++;
    if (i >= chunk.length) throw new BadPatternError();
  }
  const r = chunk[i]!.codePointAt(0)!;
  i++;
  if (i >= chunk.length) throw new BadPatternError();
  return { r, next: i };
}

/** matchChunk: the rest of `s` after the chunk, or null; throws on bad syntax. */
function matchChunk(chunk: string[], s: string[]): string[] | null {
  let failed = false;
  let si = 0;
  let i = 0;
  while (i < chunk.length) {
    if (!failed && si >= s.length) failed = true;
    const c = chunk[i]!;
    if (c === '[') {
      let r = -1;
      if (!failed) r = s[si++]!.codePointAt(0)!;
      i++;
      let negated = false;
      if (i < chunk.length && chunk[i] === '^') {
        negated = true;
        i++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (i < chunk.length && chunk[i] === ']' && nrange > 0) {
          i++;
          break;
        }
        const lo = getEsc(chunk, i);
        let hi = lo.r;
        i = lo.next;
        if (chunk[i] === '-') {
          const h = getEsc(chunk, i + 1);
          hi = h.r;
          i = h.next;
        }
        if (lo.r <= r && r <= hi) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (c === '?') {
      if (!failed) {
        if (s[si] === '/') failed = true;
        si++;
      }
      i++;
    } else {
      let lit = c;
      if (c === '\\') {
        i++;
        if (i >= chunk.length) throw new BadPatternError();
        lit = chunk[i]!;
      }
      if (!failed) {
        if (lit !== s[si]) failed = true;
        si++;
      }
      i++;
    }
  }
  return failed ? null : s.slice(si);
}

/** path.Match(pattern, name). Throws BadPatternError as Go returns ErrBadPattern. */
export function pathMatch(pattern: string, name: string): boolean {
  let p = Array.from(pattern);
  let s = Array.from(name);
  outer: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p);
    p = rest;
    if (star && chunk.length === 0) return !s.includes('/');
    let err: unknown = null;
    let t: string[] | null = null;
    try {
      t = matchChunk(chunk, s);
    } catch (e) {
      err = e;
    }
    if (t && (t.length === 0 || p.length > 0)) {
      s = t;
      continue;
    }
    if (err) throw err;
    if (star) {
      for (let i = 0; i < s.length && s[i] !== '/'; i++) {
        const u = matchChunk(chunk, s.slice(i + 1));
        if (u) {
          if (p.length === 0 && u.length > 0) continue;
          s = u;
          continue outer;
        }
      }
    }
    // A mismatch still checks that the rest of the pattern is well formed.
    while (p.length > 0) {
      const next = scanChunk(p);
      p = next.rest;
      matchChunk(next.chunk, []);
    }
    return false;
  }
  return s.length === 0;
}
