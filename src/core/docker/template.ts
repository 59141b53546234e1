/**
 * Go's text/template as Docker's `--format` runs it: fields (`.A.B`), `$` and variables,
 * pipelines, function calls, parentheses, `if`/`else if`/`else`, `range` (with `$i, $e :=`,
 * `break`, `continue`), `with`, `end`, trim markers (`{{-`, `-}}`), comments, character and
 * number constants in Go's syntax, Go's builtins (short-circuit `and`/`or`, `not len index
 * slice eq ne lt le gt ge html js urlquery print printf println`) and the functions docker/cli
 * adds (`json split join title lower upper pad truncate`, templates/templates.go).
 *
 * The modules: template-lex (lexer), template-parse (parser), template-exec (executor),
 * template-values (Go-typed values), template-fmt and go-strconv (Go's fmt), template-funcs
 * (the function table). Errors read like Go's; callers prefix `template parsing error: `.
 *
 * Bounded: template length, nesting depth, evaluation steps and output size are capped, so a
 * hostile `--format` cannot hang or exhaust the tab.
 */
import { Exec } from './template-exec.ts';
import { BASIC_FUNCS, type TemplateFunc } from './template-funcs.ts';
import { MAX_TEMPLATE, TemplateError } from './template-lex.ts';
import { Parser } from './template-parse.ts';

export { TemplateError } from './template-lex.ts';
export { GoMap, GoNil, GoNum, GoSlice, GoStruct, GoTime, T } from './template-values.ts';
export { HEADER_FUNCS, type TemplateFunc } from './template-funcs.ts';

export interface Template {
  readonly source: string;
  /**
   * `missingKeyError`: Go's `missingkey=error` option (a map without the key is an error, as in
   * docker inspect's raw fallback) instead of printing `<no value>`.
   */
  execute(data: unknown, funcs?: Readonly<Record<string, TemplateFunc>>, opts?: { missingKeyError?: boolean }): string;
}

/** Parse a template; throws TemplateError with Go's `template: :LINE: …` text. */
export function parseTemplate(source: string): Template {
  if (source.length > MAX_TEMPLATE) throw new TemplateError(`template: :1: template longer than ${MAX_TEMPLATE} bytes`);
  const nodes = new Parser(source, new Set(Object.keys(BASIC_FUNCS))).parse();
  return {
    source,
    execute(data, funcs = BASIC_FUNCS, opts = {}) {
      return new Exec(source, funcs, opts.missingKeyError === true).run(nodes, data);
    },
  };
}
