import { catalogs, format, pickLocale, type Locale, type MessageKey } from '../i18n/messages.ts';

const KEY = 'layerscope.locale';

export class I18n {
  locale = $state<Locale>('en');

  constructor() {
    const saved = localStorage.getItem(KEY);
    this.locale = saved === 'en' || saved === 'ja' ? saved : pickLocale(navigator.languages ?? [navigator.language]);
    document.documentElement.lang = this.locale;
  }

  t = (key: MessageKey, params?: Record<string, string | number>): string => format(catalogs[this.locale][key], params);

  setLocale(locale: Locale): void {
    this.locale = locale;
    localStorage.setItem(KEY, locale);
    document.documentElement.lang = locale;
  }
}
