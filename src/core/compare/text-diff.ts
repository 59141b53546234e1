/**
 * One changed file shown as a person reads a change: a unified diff of its lines when both
 * sides are text, otherwise (binary, or too large to diff here) its sizes and digests. The
 * line diff is jsdiff's (Myers' algorithm), bounded so a pathological pair cannot stall the
 * worker: past the edit bound the file is reported as too different to show line by line.
 */
import { FILE_HEADERS_ONLY, diffLines, formatPatch, structuredPatch } from 'diff';

/** Largest side, in bytes, that is diffed line by line. */
export const MAX_TEXT_DIFF_BYTES = 1 << 20;
/** Largest number of line edits jsdiff may look for before giving up. */
const MAX_EDIT_LENGTH = 20_000;

export type TextDiff =
  | { kind: 'text'; patch: string; rows: SideBySideRow[]; added: number; removed: number }
  | { kind: 'binary' | 'too-large' | 'too-different' };

/** One row of a side-by-side view: a line on the left, the right, or both. */
export interface SideBySideRow {
  a?: { line: number; text: string };
  b?: { line: number; text: string };
  change: 'same' | 'removed' | 'added' | 'changed';
}

/** Text: valid UTF-8 without NUL bytes (what `diff` and `git` treat as text). */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function textDiff(a: Uint8Array, b: Uint8Array, nameA: string, nameB: string): TextDiff {
  if (a.length > MAX_TEXT_DIFF_BYTES || b.length > MAX_TEXT_DIFF_BYTES) return { kind: 'too-large' };
  const ta = decodeText(a);
  const tb = decodeText(b);
  if (ta === undefined || tb === undefined) return { kind: 'binary' };
  const patch = structuredPatch(nameA, nameB, ta, tb, undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  const parts = diffLines(ta, tb, { maxEditLength: MAX_EDIT_LENGTH });
  if (!patch || !parts) return { kind: 'too-different' };
  let added = 0;
  let removed = 0;
  for (const p of parts) {
    if (p.added) added += p.count;
    else if (p.removed) removed += p.count;
  }
  return { kind: 'text', patch: formatPatch(patch, FILE_HEADERS_ONLY), rows: sideBySide(parts), added, removed };
}

function splitLines(value: string): string[] {
  const lines = value.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Pairs removed and added runs line by line (a change), the rest as they come. */
function sideBySide(parts: { value: string; added: boolean; removed: boolean }[]): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  let la = 0;
  let lb = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const lines = splitLines(p.value);
    if (!p.added && !p.removed) {
      for (const text of lines) rows.push({ a: { line: ++la, text }, b: { line: ++lb, text }, change: 'same' });
      continue;
    }
    if (p.removed && parts[i + 1]?.added) {
      const next = splitLines(parts[++i]!.value);
      for (let k = 0; k < Math.max(lines.length, next.length); k++) {
        const row: SideBySideRow = { change: 'changed' };
        if (k < lines.length) row.a = { line: ++la, text: lines[k]! };
        if (k < next.length) row.b = { line: ++lb, text: next[k]! };
        if (!row.a) row.change = 'added';
        if (!row.b) row.change = 'removed';
        rows.push(row);
      }
      continue;
    }
    for (const text of lines) {
      rows.push(
        p.removed ? { a: { line: ++la, text }, change: 'removed' } : { b: { line: ++lb, text }, change: 'added' },
      );
    }
  }
  return rows;
}
