/**
 * What every component reaches without props: the engine client, the message catalog and the
 * settings. App.svelte creates them once and sets the context; components call `useI18n()` and
 * friends. Components never call the engine themselves: they hand it to a `.svelte.ts` state
 * class, which owns the worker calls, their errors and their ordering.
 */
import { createContext } from 'svelte';
import type { EngineClient } from './state/engine-client.ts';
import type { I18n } from './state/i18n.svelte.ts';
import type { SettingsState } from './state/settings.svelte.ts';
import type { CompareState, CompareTarget } from './state/compare.svelte.ts';

export interface AppContext {
  engine: EngineClient;
  i18n: I18n;
  settings: SettingsState;
}

const [getApp, setApp] = createContext<AppContext>();

/** Called once, by App.svelte, during its initialisation. */
export const provideApp = (ctx: AppContext): AppContext => setApp(ctx);
export const useI18n = (): I18n => getApp().i18n;
export const useEngine = (): EngineClient => getApp().engine;
export const useSettings = (): SettingsState => getApp().settings;

/** The comparison, for the images list's and an image's "Compare" actions (App.svelte sets it). */
export interface CompareContext {
  compare: CompareState;
  /** Stored images' rows, to pick the other side and name it. */
  rows: () => readonly { repository: string; tag: string; id: string; reference?: string; dangling: boolean }[];
  open: (t: CompareTarget) => void;
}
const [getCompare, setCompare] = createContext<CompareContext>();
export const provideCompare = (ctx: CompareContext): CompareContext => setCompare(ctx);
export const useCompare = (): CompareContext => getCompare();
