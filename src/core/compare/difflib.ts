/**
 * The list comparison container-diff uses for history and metadata lines: Python's
 * `difflib.SequenceMatcher` (as ported to Go by go-difflib), without a junk function and with
 * the "autojunk" heuristic, reduced to what a list diff needs: the matching blocks and the
 * additions and deletions between them.
 */

interface Block {
  a: number;
  b: number;
  size: number;
}

/** The matching blocks of `a` and `b`, in order, ending with the sentinel `{a.length, b.length, 0}`. */
export function matchingBlocks(a: readonly string[], b: readonly string[]): Block[] {
  // b2j: where each element of b occurs. Autojunk: in a b of 200 or more, an element that
  // occurs more than 1% of the time (plus one) is "popular" and never starts a match.
  const b2j = new Map<string, number[]>();
  b.forEach((x, j) => {
    const at = b2j.get(x);
    if (at) at.push(j);
    else b2j.set(x, [j]);
  });
  if (b.length >= 200) {
    const ntest = Math.floor(b.length / 100) + 1;
    for (const [x, at] of b2j) if (at.length > ntest) b2j.delete(x);
  }

  const longest = (alo: number, ahi: number, blo: number, bhi: number): Block => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const next = new Map<number, number>();
      for (const j of b2j.get(a[i]!) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) ?? 0) + 1;
        next.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = next;
    }
    // No junk function, so difflib's extension passes reduce to this one: grow the match over
    // equal neighbours (popular elements, which never start a match, can still extend one).
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) {
      bestsize++;
    }
    return { a: besti, b: bestj, size: bestsize };
  };

  const found: Block[] = [];
  const queue: [number, number, number, number][] = [[0, a.length, 0, b.length]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop()!;
    const m = longest(alo, ahi, blo, bhi);
    if (m.size === 0) continue;
    found.push(m);
    if (alo < m.a && blo < m.b) queue.push([alo, m.a, blo, m.b]);
    if (m.a + m.size < ahi && m.b + m.size < bhi) queue.push([m.a + m.size, ahi, m.b + m.size, bhi]);
  }
  found.sort((x, y) => x.a - y.a || x.b - y.b);

  // Collapse adjacent blocks, as difflib does.
  const out: Block[] = [];
  for (const m of found) {
    const last = out[out.length - 1];
    if (last && last.a + last.size === m.a && last.b + last.size === m.b) last.size += m.size;
    else out.push({ ...m });
  }
  out.push({ a: a.length, b: b.length, size: 0 });
  return out;
}

/** What `b` has that `a` lacks, and what `a` has that `b` lacks, in list order
 * (container-diff's `GetAdditions` / `GetDeletions`: the replace, insert and delete opcodes). */
export function listChanges(a: readonly string[], b: readonly string[]): { adds: string[]; dels: string[] } {
  const adds: string[] = [];
  const dels: string[] = [];
  let i = 0;
  let j = 0;
  for (const m of matchingBlocks(a, b)) {
    dels.push(...a.slice(i, m.a));
    adds.push(...b.slice(j, m.b));
    i = m.a + m.size;
    j = m.b + m.size;
  }
  return { adds, dels };
}
