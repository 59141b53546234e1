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
  #applying = false;

  start(): void {
    addEventListener('online', () => (this.online = true));
    addEventListener('offline', () => (this.online = false));
    if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
    const wb = (this.#wb = new Workbox('/sw.js', { scope: '/' }));
    wb.addEventListener('waiting', () => (this.needRefresh = true));
    wb.addEventListener('installed', (e) => {
      if (!e.isUpdate) this.offlineReady = true;
    });
    // Reload only when the person chose Reload: a worker taking control for any other reason
    // (first install, another tab's update) must never reload a page mid-task.
    wb.addEventListener('controlling', () => {
      if (this.#applying) location.reload();
    });
    void wb.register();
  }

  applyUpdate(): void {
    this.#applying = true;
    this.#wb?.messageSkipWaiting();
  }

  dismiss(): void {
    this.needRefresh = false;
    this.offlineReady = false;
  }
}
