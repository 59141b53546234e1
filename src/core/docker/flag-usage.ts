/**
 * spf13/pflag's FlagUsagesWrapped as docker/cli prints `Options:` (cli/cobra.go
 * wrappedFlagUsages: the terminal width less one, 80 columns when there is no terminal, so 79
 * here): flags sorted by name, `-s, --name type` on the left, the usage text aligned two
 * columns after the longest left part and word-wrapped with pflag's wrap/wrapN (a slop of 5
 * avoids short orphan words), `(default …)` appended when the default is not the zero value.
 */
import type { FlagSpec } from './command-specs.ts';

/** pflag wrapN: break before column i unless the rest fits within i + slop. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag wrap: text for a column starting at i on a line of width w. */
function wrap(i: number, w: number, s: string): string {
  if (w === 0) return s.replace(/\n/g, '\n' + ' '.repeat(i));
  let width = w - i;
  let r = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    r += '\n' + ' '.repeat(i);
  }
  if (width < 24) return s.replace(/\n/g, r);
  const slop = 5;
  width -= slop;
  let [l, rest] = wrapN(width, slop, s);
  r += l.replace(/\n/g, '\n' + ' '.repeat(i));
  while (rest !== '') {
    let t: string;
    [t, rest] = wrapN(width, slop, rest);
    r += '\n' + ' '.repeat(i) + t.replace(/\n/g, '\n' + ' '.repeat(i));
  }
  return r;
}

/** The type name pflag shows after a flag (UnquoteUsage), or a back-quoted name in its usage. */
function varName(f: FlagSpec): { name: string; usage: string } {
  const m = /`([^`]*)`/.exec(f.usage);
  if (m) return { name: m[1]!, usage: f.usage.replace(/`([^`]*)`/, '$1') };
  if (f.type === 'bool') return { name: '', usage: f.usage };
  return { name: f.valueName ?? (f.type === 'list' ? 'strings' : 'string'), usage: f.usage };
}

export function flagUsagesWrapped(flags: readonly FlagSpec[], cols = 79): string {
  const sorted = flags.filter((f) => !f.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let maxlen = 0;
  const lines = sorted.map((f) => {
    let left = f.shorthand ? `  -${f.shorthand}, --${f.name}` : `      --${f.name}`;
    const { name, usage } = varName(f);
    if (name) left += ' ' + name;
    // pflag counts the separator it appends to the left part, hence the + 1.
    maxlen = Math.max(maxlen, left.length + 1);
    let text = usage;
    if (f.type === 'bool' && f.defaultValue === true) text += ' (default true)';
    else if (f.type === 'string' && typeof f.defaultValue === 'string' && f.defaultValue !== '') {
      text += ` (default ${JSON.stringify(f.defaultValue)})`;
    }
    return { left, text };
  });
  return lines
    .map(({ left, text }) => `${left} ${' '.repeat(maxlen - left.length)} ${wrap(maxlen + 2, cols, text)}\n`)
    .join('');
}
