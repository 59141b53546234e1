/**
 * docker/cli `formatter.Context.Write`: turn a `--format` value into output.
 *
 * - `table` or `table <template>`: the header row comes from running the same template over
 *   the header names (`{{.ID}}` → `IMAGE ID`) with the header functions, then every row, all
 *   through the tab writer (minwidth 10, padding 3);
 * - `json`: `{{json .}}` per row (the context's fields, sorted by name, HTML-escaped as
 *   json.Marshal does);
 * - anything else: a Go template per row, each followed by a newline.
 * Before parsing, the literal two-character sequences `\t` and `\n` become a tab and a newline
 * and surrounding spaces are trimmed (formatter.go preFormat).
 */
import { tabwrite } from './format.ts';
import { codedError } from '../errors.ts';
import { GoStruct, HEADER_FUNCS, parseTemplate, TemplateError } from './template.ts';

export const TABLE_FORMAT_KEY = 'table';
export const JSON_FORMAT_KEY = 'json';

export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE_FORMAT_KEY);
}

/** formatter.go preFormat. */
export function preFormat(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice(TABLE_FORMAT_KEY.length);
  else if (f === JSON_FORMAT_KEY) f = '{{json .}}';
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** A formatting failure, already in Docker's words (`template parsing error: …`). */
export class FormatError extends codedError('FORMAT_ERROR', 'FormatError') {
  override name = 'FormatError';
}

function wrap(e: unknown): never {
  if (e instanceof TemplateError) throw new FormatError(`template parsing error: ${e.message}`);
  throw e;
}

/** Render rows as `docker <cmd> --format <format>` would. Throws FormatError. */
export function renderRows(
  format: string,
  rows: readonly GoStruct[],
  header: Readonly<Record<string, string>>,
): string {
  const finalFormat = preFormat(format);
  let tmpl;
  try {
    tmpl = parseTemplate(finalFormat);
  } catch (e) {
    wrap(e);
  }
  let body = '';
  for (const row of rows) {
    try {
      body += tmpl.execute(row) + '\n';
    } catch (e) {
      wrap(e);
    }
  }
  if (!isTableFormat(format)) return body;
  let head: string;
  try {
    head = tmpl.execute({ ...header }, HEADER_FUNCS);
  } catch {
    // formatter.go ignores header execution errors.
    head = '';
  }
  return tabwrite(head + '\n' + body);
}
