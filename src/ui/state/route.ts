/**
 * A URL for every view, in the hash (the app is one page; the service worker serves it for any
 * path, the hash never reaches a server):
 *
 *   #/images                     the images list
 *   #/settings                   settings
 *   #/image/<ref>/<tab>?layer=2&file=etc/os-release
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
  | { view: 'image'; ref: string; tab: RouteTab; layer?: number; file?: string };

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

export function formatRoute(r: Route): string {
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
  if (prev.view !== 'image' || next.view !== 'image') return false;
  return prev.ref !== next.ref || prev.tab !== next.tab;
}

/** Which stored image a reference names: an ID (full or short), `repo:tag`, or `repo` (:latest). */
export function resolveRef(
  ref: string,
  rows: readonly { repository: string; tag: string; id: string }[],
): string | undefined {
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
