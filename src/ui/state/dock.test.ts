import { describe, expect, it } from 'vitest';
import { clampDockHeight, DOCK_DEFAULT, DOCK_MIN, parseDock } from './dock.ts';

describe('command bar layout', () => {
  it('reads what was stored', () => {
    expect(parseDock('{"collapsed":true,"height":300}')).toEqual({ collapsed: true, height: 300 });
  });
  it('falls back on nothing, garbage or wrong types', () => {
    const d = { collapsed: false, height: DOCK_DEFAULT };
    expect(parseDock(null)).toEqual(d);
    expect(parseDock('{')).toEqual(d);
    expect(parseDock('"x"')).toEqual(d);
    expect(parseDock('{"collapsed":"yes","height":"big"}')).toEqual(d);
    expect(parseDock('{"height":1e999}')).toEqual(d);
  });
  it('clamps the height to the window', () => {
    expect(clampDockHeight(10, 800)).toBe(DOCK_MIN);
    expect(clampDockHeight(2000, 800)).toBe(480);
    expect(clampDockHeight(250.4, 800)).toBe(250);
    // A tiny window still leaves the minimum.
    expect(clampDockHeight(500, 50)).toBe(DOCK_MIN);
    expect(clampDockHeight(Number.NaN, 800)).toBe(DOCK_DEFAULT);
  });
});
