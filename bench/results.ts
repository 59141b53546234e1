/** Writing one benchmark's section of bench/RESULTS.md, between its marker comments. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));

/** Replaces `<!-- marker:start -->…<!-- marker:end -->`, or appends it. Re-reads the file right
 * before writing: other benchmarks write other parts of it. */
export function writeSection(marker: string, body: string, file = RESULTS): void {
  const prev = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const a = prev.indexOf(start);
  const b = prev.indexOf(end);
  const next =
    a >= 0 && b > a
      ? prev.slice(0, a) + block + prev.slice(b + end.length)
      : `${prev.replace(/\n*$/, '\n')}\n${block}\n`;
  writeFileSync(file, next);
}
