/**
 * A URL for every view, in the hash (the app is one page; the service worker serves it for any
 * path, the hash never reaches a server):
 *
 *   #/images                     the images list
 *   #/settings                   settings
 *   #/image/<ref>/<tab>?layer=2&file=etc/os-release
 *   #/compare/<refA>/<refB>?aLayer=1&bLayer=3&kind=added,modified&path=etc&sort=delta&file=etc/passwd
 *   #/compare/<refA>/<refB>/packages?pkind=added,upgraded&pkg=libc   (packages changed)
 *   #/peek                       peeked images, and a reference to peek at
 *   #/peek/<ref>?file=etc/os-release   an image peeked at in its registry (nothing pulled)
 *
 * `<ref>` is what the person opened: an image ID (`sha256:…`) or a name (`alpine:3.20`),
 * percent-encoded. Parsing is total: anything unknown falls back to the images list, a bad
 * tab to the summary, a bad layer or file is dropped.
 */
const TABS = ['summary', 'layers', 'files', 'treemap', 'history', 'inspect', 'packages'] as const;
export type RouteTab = (typeof TABS)[number];

export type Route =
  | { view: 'images' }
  | { view: 'settings' }
  | { view: 'image'; ref: string; tab: RouteTab; layer?: number; file?: string }
  | CompareRoute
  | PeekRoute;

/** A registry image browsed without pulling it (src/app/peek.ts); no ref: the peek list. */
export interface PeekRoute {
  view: 'peek';
  ref?: string;
  file?: string;
}

export const CHANGE_KINDS = ['added', 'removed', 'modified', 'metadata'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
/** Two images (or two layers of one: the same ref twice) compared; absent filters: all kinds,
 * no path filter, sorted by path. */
export interface CompareRoute {
  view: 'compare';
  a: string;
  b: string;
  aLayer?: number;
  bLayer?: number;
  kinds?: ChangeKind[];
  path?: string;
  sort?: 'delta';
  file?: string;
  /** The Packages tab (whole images only); absent: the files. */
  tab?: 'packages';
  /** Package changes shown (absent: all kinds), and the name/version filter. */
  pkgKinds?: PackageDiffKind[];
  pkg?: string;
}

export const PACKAGE_DIFF_KINDS = ['added', 'removed', 'upgraded', 'downgraded', 'changed'] as const;
export type PackageDiffKind = (typeof PACKAGE_DIFF_KINDS)[number];

/** Longest reference or path the router accepts (anything longer is not a real one). */
const MAX_PART = 4096;

function decode(s: string): string | null {
  try {
    const d = decodeURIComponent(s);
    return d.length > 0 && d.length <= MAX_PART ? d : null;
  } catch {
    return null;
  }
}

export function parseRoute(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] === 'settings') return { view: 'settings' };
  if (parts[0] === 'compare') return parseCompare(parts, query);
  if (parts[0] === 'peek') {
    const r: PeekRoute = { view: 'peek' };
    const ref = parts[1] ? decode(parts[1]) : null;
    if (ref) {
      r.ref = ref;
      const file = query.get('file');
      if (file && file.length <= MAX_PART) r.file = file.replace(/^\/+/, '');
    }
    return r;
  }
  if (parts[0] !== 'image' || !parts[1]) return { view: 'images' };
  const ref = decode(parts[1]);
  if (!ref) return { view: 'images' };
  const tab = (TABS as readonly string[]).includes(parts[2] ?? '') ? (parts[2] as RouteTab) : 'summary';
  const route: Route = { view: 'image', ref, tab };
  const layer = query.get('layer');
  if (layer !== null && /^\d{1,4}$/.test(layer)) route.layer = Number(layer);
  const file = query.get('file');
  if (file !== null && file.length > 0 && file.length <= MAX_PART) route.file = file.replace(/^\/+/, '');
  return route;
}

function parseCompare(parts: string[], query: URLSearchParams): Route {
  const a = parts[1] ? decode(parts[1]) : null;
  const b = parts[2] ? decode(parts[2]) : null;
  if (!a || !b) return { view: 'images' };
  const route: CompareRoute = { view: 'compare', a, b };
  for (const side of ['aLayer', 'bLayer'] as const) {
    const v = query.get(side);
    if (v !== null && /^\d{1,4}$/.test(v)) route[side] = Number(v);
  }
  const kind = query.get('kind');
  if (kind !== null) {
    const kinds = CHANGE_KINDS.filter((k) => kind.split(',').includes(k));
    if (kinds.length < CHANGE_KINDS.length) route.kinds = kinds;
  }
  const path = query.get('path');
  if (path && path.length <= MAX_PART) route.path = path;
  if (query.get('sort') === 'delta') route.sort = 'delta';
  const file = query.get('file');
  if (file && file.length <= MAX_PART) route.file = file.replace(/^\/+/, '');
  if (parts[3] === 'packages') {
    route.tab = 'packages';
    const pkind = query.get('pkind');
    if (pkind !== null) {
      const kinds = PACKAGE_DIFF_KINDS.filter((k) => pkind.split(',').includes(k));
      if (kinds.length < PACKAGE_DIFF_KINDS.length) route.pkgKinds = kinds;
    }
    const pkg = query.get('pkg');
    if (pkg && pkg.length <= MAX_PART) route.pkg = pkg;
  }
  return route;
}

function formatCompare(r: CompareRoute): string {
  const query = new URLSearchParams();
  if (r.aLayer !== undefined) query.set('aLayer', String(r.aLayer));
  if (r.bLayer !== undefined) query.set('bLayer', String(r.bLayer));
  if (r.kinds && r.kinds.length < CHANGE_KINDS.length) query.set('kind', r.kinds.join(','));
  if (r.path) query.set('path', r.path);
  if (r.sort) query.set('sort', r.sort);
  if (r.file) query.set('file', r.file);
  if (r.tab === 'packages') {
    if (r.pkgKinds && r.pkgKinds.length < PACKAGE_DIFF_KINDS.length) query.set('pkind', r.pkgKinds.join(','));
    if (r.pkg) query.set('pkg', r.pkg);
  }
  const qs = query.toString();
  const tab = r.tab === 'packages' ? '/packages' : '';
  return `#/compare/${encodeURIComponent(r.a)}/${encodeURIComponent(r.b)}${tab}${qs ? `?${qs}` : ''}`;
}

export function formatRoute(r: Route): string {
  if (r.view === 'compare') return formatCompare(r);
  if (r.view === 'peek') {
    if (!r.ref) return '#/peek';
    return `#/peek/${encodeURIComponent(r.ref)}${r.file ? `?${new URLSearchParams({ file: r.file }).toString()}` : ''}`;
  }
  if (r.view !== 'image') return `#/${r.view}`;
  const query = new URLSearchParams();
  if (r.layer !== undefined) query.set('layer', String(r.layer));
  if (r.file) query.set('file', r.file);
  const qs = query.toString();
  return `#/image/${encodeURIComponent(r.ref)}/${r.tab}${qs ? `?${qs}` : ''}`;
}

/** Moving to `next` from `prev` is a new place (a history entry) or a detail of the same one. */
export function isNewPlace(prev: Route, next: Route): boolean {
  if (prev.view !== next.view) return true;
  if (prev.view === 'compare' && next.view === 'compare') {
    return (
      prev.a !== next.a ||
      prev.b !== next.b ||
      prev.aLayer !== next.aLayer ||
      prev.bLayer !== next.bLayer ||
      prev.tab !== next.tab
    );
  }
  if (prev.view === 'peek' && next.view === 'peek') return prev.ref !== next.ref;
  if (prev.view !== 'image' || next.view !== 'image') return false;
  return prev.ref !== next.ref || prev.tab !== next.tab;
}

/** Which stored image a reference names: an ID (full or short), `repo:tag`, `repo@sha256:…` (a
 * row's reference), or `repo` (:latest). */
export function resolveRef(
  ref: string,
  rows: readonly { repository: string; tag: string; id: string; reference?: string }[],
): string | undefined {
  const named = rows.find((r) => r.reference !== undefined && r.reference === ref);
  if (named) return named.id;
  const hex = ref.startsWith('sha256:') ? ref.slice(7) : ref;
  if (/^[0-9a-f]{12,64}$/.test(hex)) {
    const byId = rows.find((r) => r.id.slice(7).startsWith(hex));
    if (byId) return byId.id;
  }
  const at = ref.lastIndexOf(':');
  const slash = ref.lastIndexOf('/');
  const [repo, tag] = at > slash ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, 'latest'];
  return rows.find((r) => r.repository === repo && r.tag === tag)?.id;
}
