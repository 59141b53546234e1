import { Workbox } from 'workbox-window';

/**
 * Service worker registration through workbox-window, with an explicit update prompt: a new
 * version waits until the person chooses Reload (skipWaiting), then the page reloads once.
 */
export class PwaState {
  needRefresh = $state(false);
  offlineReady = $state(false);
  online = $state(navigator.onLine);
  #wb: Workbox | undefined;

  start(): void {
    addEventListener('online', () => (this.online = true));
    addEventListener('offline', () => (this.online = false));
    if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
    const wb = (this.#wb = new Workbox('/sw.js', { scope: '/' }));
    wb.addEventListener('waiting', () => (this.needRefresh = true));
    wb.addEventListener('installed', (e) => {
      if (!e.isUpdate) this.offlineReady = true;
    });
    // isExternal: a new worker found by the browser's own update check (or another tab),
    // not by this page's registration; it takes control after Reload just the same.
    wb.addEventListener('controlling', (e) => {
      if (e.isUpdate || e.isExternal) location.reload();
    });
    void wb.register();
  }

  applyUpdate(): void {
    this.#wb?.messageSkipWaiting();
  }

  dismiss(): void {
    this.needRefresh = false;
    this.offlineReady = false;
  }
}
