import {
  normalizePlatform,
  normalizeProxyUrl,
  parseSettings,
  registryKey,
  defaultSettings,
  type Settings,
} from './settings.ts';

const KEY = 'layerscope.settings';

/** Settings kept in this browser's localStorage; credentials never leave it except to their registry. */
export class SettingsState {
  value = $state<Settings>(parseSettings(localStorage.getItem(KEY), location.origin));

  #save(next: Settings): void {
    this.value = next;
    localStorage.setItem(KEY, JSON.stringify(next));
  }

  setProxyUrl(input: string): void {
    this.#save({ ...this.value, proxyUrl: normalizeProxyUrl(input) });
  }

  resetProxyUrl(): void {
    this.#save({ ...this.value, proxyUrl: defaultSettings(location.origin).proxyUrl });
  }

  setDefaultPlatform(input: string): void {
    this.#save({ ...this.value, defaultPlatform: normalizePlatform(input) });
  }

  setCredential(registry: string, username: string, password: string): void {
    if (!username) throw new Error('a username is needed');
    this.#save({
      ...this.value,
      credentials: { ...this.value.credentials, [registryKey(registry)]: { username, password } },
    });
  }

  removeCredential(registry: string): void {
    const credentials = { ...this.value.credentials };
    delete credentials[registry];
    this.#save({ ...this.value, credentials });
  }
}
