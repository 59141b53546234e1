/**
 * axe-core (WCAG 2.0–2.2 A and AA rules, and best practices) on a page as it is now: the
 * serious and critical findings, for the e2e files that check a view's accessibility.
 */
import axeCore from 'axe-core';
import type { Page } from 'playwright-core';

// axe-core's own build, as a string to evaluate in the page.
const axeSource = axeCore.source;

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core on the page as it is now; serious and critical findings only. */
export async function axe(p: Page): Promise<Violation[]> {
  // evaluate() is not subject to the page's Content-Security-Policy; a script tag would be.
  if (!(await p.evaluate(() => 'axe' in window))) await p.evaluate(axeSource);
  return p.evaluate(async () => {
    const r = await (
      window as unknown as {
        axe: {
          run(
            ctx: Document,
            opts: object,
          ): Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}
