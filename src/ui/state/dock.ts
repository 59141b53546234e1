/**
 * The command bar's layout: collapsed or not, and the height of its output, remembered in
 * localStorage. Pure: parsing what was stored (anything, possibly hand-edited) and clamping a
 * height to the window, so a bar resized on a desktop never covers a phone's screen.
 */
export interface DockLayout {
  collapsed: boolean;
  /** Height of the output area, CSS pixels. */
  height: number;
}

export const DOCK_MIN = 64;
export const DOCK_DEFAULT = 192;
/** The output never takes more than this share of the window's height. */
export const DOCK_MAX_SHARE = 0.6;

export function clampDockHeight(height: number, viewportHeight: number): number {
  const max = Math.max(DOCK_MIN, Math.floor(viewportHeight * DOCK_MAX_SHARE));
  if (!Number.isFinite(height)) return Math.min(DOCK_DEFAULT, max);
  return Math.round(Math.min(max, Math.max(DOCK_MIN, height)));
}

export function parseDock(raw: string | null): DockLayout {
  const fallback: DockLayout = { collapsed: false, height: DOCK_DEFAULT };
  if (!raw) return fallback;
  try {
    const v = JSON.parse(raw) as unknown;
    if (!v || typeof v !== 'object') return fallback;
    const o = v as { collapsed?: unknown; height?: unknown };
    return {
      collapsed: o.collapsed === true,
      height: typeof o.height === 'number' && Number.isFinite(o.height) ? o.height : DOCK_DEFAULT,
    };
  } catch {
    return fallback;
  }
}
