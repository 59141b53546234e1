import { describe, expect, it } from 'vitest';
import { catalogs, en, format, ja, pickLocale, pluralKey } from './messages.ts';

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

  it('picks plural forms by the language’s rules (CLDR, through Intl.PluralRules)', () => {
    expect(format(en[pluralKey('en', 'files.matches', 1)], { n: 1 })).toBe('1 match');
    expect(format(en[pluralKey('en', 'files.matches', 0)], { n: 0 })).toBe('0 matches');
    expect(format(en[pluralKey('en', 'files.matches', 2)], { n: 2 })).toBe('2 matches');
    expect(format(en[pluralKey('en', 'settings.check.problems', 1)], { n: 1 })).toBe('1 problem found:');
    expect(format(en[pluralKey('en', 'count.images', 1)], { n: 1 })).toBe('1 image');
    // Japanese has one form: "other" for every count.
    expect(pluralKey('ja', 'files.matches', 1)).toBe('files.matches.other');
    expect(format(ja[pluralKey('ja', 'count.images', 1)], { n: 1 })).toBe('イメージ 1 個');
  });

  it('has a one and an other form for every plural key in English', () => {
    for (const k of Object.keys(en).filter((k) => k.endsWith('.other'))) {
      expect(Object.keys(en), k).toContain(k.replace(/\.other$/, '.one'));
    }
  });

  it('picks the first supported browser language', () => {
    expect(pickLocale(['ja-JP', 'en-US'])).toBe('ja');
    expect(pickLocale(['fr-FR', 'en-GB'])).toBe('en');
    expect(pickLocale(['de'])).toBe('en');
    expect(pickLocale([])).toBe('en');
  });
});
