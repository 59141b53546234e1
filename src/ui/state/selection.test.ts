import { describe, expect, it } from 'vitest';
import { allState, emptySelection, retain, setAll, toggle, type Selection } from './selection.ts';

const order = ['a', 'b', 'c', 'd', 'e'];
const keys = (s: Selection) => [...s.keys].sort();

describe('images list selection', () => {
  it('toggles one row and makes it the anchor', () => {
    let s = toggle(emptySelection, order, 'b', false);
    expect(keys(s)).toEqual(['b']);
    expect(s.anchor).toBe('b');
    s = toggle(s, order, 'b', false);
    expect(keys(s)).toEqual([]);
  });

  it('Shift+click selects the range from the anchor, either direction, anchor kept', () => {
    let s = toggle(emptySelection, order, 'b', false);
    s = toggle(s, order, 'd', true);
    expect(keys(s)).toEqual(['b', 'c', 'd']);
    expect(s.anchor).toBe('b');
    s = toggle(toggle(emptySelection, order, 'd', false), order, 'a', true);
    expect(keys(s)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('Shift+click on a selected row clears the range', () => {
    let s = setAll(emptySelection, order, true);
    s = toggle(s, order, 'b', false); // b off, anchor b
    s = toggle(s, order, 'd', true); // d is on → the range goes off
    expect(keys(s)).toEqual(['a', 'e']);
  });

  it('Shift+click without an anchor, or with one no longer shown, toggles one row', () => {
    expect(keys(toggle(emptySelection, order, 'c', true))).toEqual(['c']);
    const s = toggle(emptySelection, ['x', ...order], 'x', false);
    expect(keys(toggle(s, order, 'c', true))).toEqual(['c', 'x']);
  });

  it('select all covers the shown rows only; the header state follows', () => {
    const s = setAll(toggle(emptySelection, ['hidden'], 'hidden', false), order, true);
    expect(keys(s)).toEqual(['a', 'b', 'c', 'd', 'e', 'hidden']);
    expect(allState(s, order)).toBe('all');
    expect(allState(toggle(s, order, 'a', false), order)).toBe('some');
    expect(allState(setAll(s, order, false), order)).toBe('none');
    expect(keys(setAll(s, order, false))).toEqual(['hidden']);
    expect(allState(emptySelection, [])).toBe('none');
  });

  it('rows that went away leave the selection (and the anchor)', () => {
    const s = toggle(toggle(emptySelection, order, 'a', false), order, 'c', false);
    const r = retain(s, ['a', 'b']);
    expect(keys(r)).toEqual(['a']);
    expect(r.anchor).toBeNull();
    expect(retain(r, ['a', 'b'])).toBe(r);
  });
});
