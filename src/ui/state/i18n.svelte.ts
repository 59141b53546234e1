import {
  catalogs,
  format,
  pickLocale,
  pluralKey,
  type Locale,
  type MessageKey,
  type PluralBase,
} from '../i18n/messages.ts';

const KEY = 'layerscope.locale';

export class I18n {
  locale = $state<Locale>('en');

  constructor() {
    const saved = localStorage.getItem(KEY);
    this.locale = saved === 'en' || saved === 'ja' ? saved : pickLocale(navigator.languages ?? [navigator.language]);
    document.documentElement.lang = this.locale;
  }

  t = (key: MessageKey, params?: Record<string, string | number>): string => format(catalogs[this.locale][key], params);

  /** A message with a count: the plural form `n` takes in this language, `{n}` filled in. */
  tn = (base: PluralBase, n: number, params?: Record<string, string | number>): string =>
    this.t(pluralKey(this.locale, base, n), { n, ...params });

  setLocale(locale: Locale): void {
    this.locale = locale;
    localStorage.setItem(KEY, locale);
    document.documentElement.lang = locale;
  }
}
