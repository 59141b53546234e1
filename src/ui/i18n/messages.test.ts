import { describe, expect, it } from 'vitest';
import { catalogs, en, format, ja, pickLocale } from './messages.ts';

describe('message catalog', () => {
  it('has the same keys in every language, none empty', () => {
    const keys = Object.keys(en).sort();
    for (const [locale, catalog] of Object.entries(catalogs)) {
      expect(Object.keys(catalog).sort(), locale).toEqual(keys);
      for (const [k, v] of Object.entries(catalog)) expect(v.trim(), `${locale}:${k}`).not.toBe('');
    }
  });

  it('keeps the same placeholders in every translation', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(en) as (keyof typeof en)[]) expect(names(ja[k]), k).toEqual(names(en[k]));
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format('Pulled {ref} in {s}s', { ref: 'alpine', s: 2 })).toBe('Pulled alpine in 2s');
    expect(format('{x} and {y}', { x: 1 })).toBe('1 and {y}');
  });

  it('picks the first supported browser language', () => {
    expect(pickLocale(['ja-JP', 'en-US'])).toBe('ja');
    expect(pickLocale(['fr-FR', 'en-GB'])).toBe('en');
    expect(pickLocale(['de'])).toBe('en');
    expect(pickLocale([])).toBe('en');
  });
});
