import type { ExplorerState } from './explorer.svelte.ts';
import type { ImagesState } from './images.svelte.ts';
import { formatRoute, isNewPlace, parseRoute, resolveRef, type Route } from './route.ts';
import type { CompareState, CompareTarget } from './compare.svelte.ts';
import type { PeekState } from './peek.svelte.ts';

/**
 * Keeps the URL and the screen in step, both ways: what the person does is written to the
 * hash (a new history entry for a new view, image or tab; replaced for a layer or file within
 * it), and a hash that changes under the app (Back, Forward, a pasted or bookmarked link, the
 * first load) is shown. A link to an image this browser does not store offers to pull it.
 */
export class Router {
  view = $state<'images' | 'settings' | 'compare' | 'peek'>('images');
  /** The reference a link named that no stored image answers to. */
  missing = $state<string | null>(null);
  applying = $state(false);
  #current: Route = { view: 'images' };

  constructor(
    private explorer: ExplorerState,
    private images: ImagesState,
    private compare?: CompareState,
    private peek?: PeekState,
  ) {}

  /** The route the screen shows now (reads reactive state: call it from an effect). */
  route(): Route {
    if (this.view === 'settings') return { view: 'settings' };
    if (this.view === 'compare') return this.compare?.route() ?? { view: 'images' };
    if (this.view === 'peek') return this.peek?.route() ?? { view: 'peek' };
    const e = this.explorer;
    if (e.id) {
      return {
        view: 'image',
        ref: e.ref ?? e.id,
        tab: e.tab,
        ...(e.layer !== undefined ? { layer: e.layer } : {}),
        ...(e.file ? { file: e.file.path } : {}),
      };
    }
    if (this.missing) return { view: 'image', ref: this.missing, tab: 'summary' };
    return { view: 'images' };
  }

  /** Writes the screen to the URL; from an $effect, so it runs after every change. */
  sync(): void {
    const next = this.route();
    if (this.applying) return;
    const hash = formatRoute(next);
    if (hash !== location.hash) {
      if (isNewPlace(this.#current, next)) history.pushState(null, '', hash);
      else history.replaceState(null, '', hash);
    }
    this.#current = next;
  }

  /** Shows what the URL names. */
  async apply(hash: string = location.hash): Promise<void> {
    const r = parseRoute(hash);
    this.applying = true;
    try {
      this.missing = null;
      if (r.view === 'settings') {
        this.view = 'settings';
        return;
      }
      if (r.view === 'peek') {
        this.explorer.close();
        this.compare?.close();
        this.view = 'peek';
        await this.peek?.show(r.ref, r.file);
        return;
      }
      if (r.view === 'compare') {
        await this.images.ready;
        const aId = resolveRef(r.a, this.images.rows);
        const bId = resolveRef(r.b, this.images.rows);
        if (!aId || !bId) {
          this.view = 'images';
          this.explorer.close();
          this.missing = aId ? r.b : r.a;
          return;
        }
        this.explorer.close();
        this.view = 'compare';
        const { a, b, aLayer, bLayer, ...rest } = r;
        const t = {
          a,
          b,
          aId,
          bId,
          ...(aLayer !== undefined ? { aLayer } : {}),
          ...(bLayer !== undefined ? { bLayer } : {}),
        };
        await this.compare?.open(t, rest);
        return;
      }
      this.compare?.close();
      this.view = 'images';
      if (r.view === 'images') {
        this.explorer.close();
        return;
      }
      await this.images.ready;
      const id = resolveRef(r.ref, this.images.rows);
      if (!id) {
        this.explorer.close();
        this.missing = r.ref;
        return;
      }
      if (this.explorer.id !== id || this.explorer.ref !== r.ref) await this.explorer.open(id, r.ref);
      this.explorer.tab = r.tab;
      if (r.layer !== this.explorer.layer) {
        this.explorer.setQuery(r.layer === undefined ? { layer: undefined } : { layer: r.layer, mode: 'own' });
      }
      if (r.file && r.file !== this.explorer.file?.path) await this.explorer.openPath(r.file);
    } finally {
      this.#current = r;
      this.applying = false;
    }
  }

  /** The main navigation. */
  go(view: 'images' | 'settings' | 'peek'): void {
    this.missing = null;
    if (this.view === 'compare') this.compare?.close();
    this.view = view;
    if (view === 'images') this.explorer.close();
    if (view === 'peek') {
      this.explorer.close();
      void this.peek?.show(undefined);
    }
  }

  /** Opens a comparison (from the images list or an image's view). */
  openCompare(t: CompareTarget): void {
    this.missing = null;
    this.explorer.close();
    this.view = 'compare';
    void this.compare?.open(t);
  }
}
