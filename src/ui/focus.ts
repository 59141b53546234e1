/**
 * Where keyboard focus goes when the view changes under it: to the new content (its heading,
 * made focusable with tabindex=-1), or back to what the person came from. Without this, focus
 * falls to <body> and a keyboard or screen reader user starts again from the top.
 */

/** Focuses the first element found among the selectors; true when one was found. */
export function focusFirst(...selectors: string[]): boolean {
  for (const s of selectors) {
    const el = document.querySelector<HTMLElement>(s);
    if (el) {
      el.focus();
      return true;
    }
  }
  return false;
}

/** After a dialog closed: if the element it returned focus to has gone, focus the view's heading. */
export function refocusAfterDialog(): void {
  queueMicrotask(() => {
    const a = document.activeElement;
    if (!a || a === document.body || !a.isConnected) focusFirst('main h2[tabindex]', 'main');
  });
}
