/**
 * Multi-select over a list (the images table): pure, so the rules are tested in Node.
 * Keys are the rows' stable keys; `order` is the list as shown (filtered and sorted).
 */
export interface Selection {
  readonly keys: ReadonlySet<string>;
  /** The row a Shift+click range starts from: the last row toggled without Shift. */
  readonly anchor: string | null;
}

export const emptySelection: Selection = { keys: new Set(), anchor: null };

/**
 * A click on `key`'s checkbox. Without `range` it toggles that row and makes it the anchor.
 * With `range` (Shift+click) every row from the anchor to `key` takes the state `key` is
 * switched to, as in file managers; with no anchor (or one no longer shown) it toggles `key`.
 */
export function toggle(sel: Selection, order: readonly string[], key: string, range: boolean): Selection {
  const on = !sel.keys.has(key);
  const next = new Set(sel.keys);
  const from = sel.anchor === null ? -1 : order.indexOf(sel.anchor);
  const to = order.indexOf(key);
  if (range && from >= 0 && to >= 0) {
    const [a, b] = from <= to ? [from, to] : [to, from];
    for (const k of order.slice(a, b + 1)) {
      if (on) next.add(k);
      else next.delete(k);
    }
    return { keys: next, anchor: sel.anchor };
  }
  if (on) next.add(key);
  else next.delete(key);
  return { keys: next, anchor: key };
}

/** Select all shown rows, or clear them (the header checkbox). Rows not shown keep their state. */
export function setAll(sel: Selection, order: readonly string[], on: boolean): Selection {
  const next = new Set(sel.keys);
  for (const k of order) {
    if (on) next.add(k);
    else next.delete(k);
  }
  return { keys: next, anchor: sel.anchor };
}

/** The header checkbox: all shown rows selected, some, or none. */
export function allState(sel: Selection, order: readonly string[]): 'all' | 'some' | 'none' {
  const n = order.filter((k) => sel.keys.has(k)).length;
  return n === 0 ? 'none' : n === order.length ? 'all' : 'some';
}

/** After the list changed (a refresh, another tab): rows that are gone leave the selection. */
export function retain(sel: Selection, existing: readonly string[]): Selection {
  const have = new Set(existing);
  const keys = new Set([...sel.keys].filter((k) => have.has(k)));
  const anchor = sel.anchor !== null && have.has(sel.anchor) ? sel.anchor : null;
  return keys.size === sel.keys.size && anchor === sel.anchor ? sel : { keys, anchor };
}
