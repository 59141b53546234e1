/**
 * The functions a Docker `--format` template can call: Go text/template's builtins
 * (text/template/funcs.go) and docker/cli's basicFunctions / HeaderFunctions
 * (templates/templates.go). Each declares its Go parameter types so that the executor can
 * check arguments with Go's messages; `and` and `or` are evaluated lazily by the executor.
 */
import { goJson } from './format.ts';
import { noFlags } from './go-strconv.ts';
import { printArg, sprint, sprintf, sprintln } from './template-fmt.ts';
import { TemplateError } from './template-lex.ts';
import {
  GoNum,
  GoStruct,
  GoSlice,
  goTypeName,
  isInt,
  kindOf,
  mapEntries,
  numValue,
  sliceItems,
  sortedKeys,
  truthy,
  zeroValue,
  GoMap,
  GoNil,
  type Kind,
} from './template-values.ts';

export type Param = 'string' | 'int' | 'any';

export interface TemplateFunc {
  params: readonly Param[];
  /** Type of the remaining arguments (Go's `...T`), if variadic. */
  variadic?: Param;
  fn: (...args: unknown[]) => unknown;
}

const fn = (params: Param[], f: (...args: never[]) => unknown, variadic?: Param): TemplateFunc => ({
  params,
  fn: f as (...args: unknown[]) => unknown,
  ...(variadic ? { variadic } : {}),
});

const utf8 = new TextEncoder();
const fail = (msg: string): never => {
  throw new TemplateError(msg);
};

// ---------------------------------------------------------------------------------------------
// Comparison (funcs.go eq/lt): basic kinds only; ints and uints compare across signedness.

type Basic = 'bool' | 'int' | 'uint' | 'float' | 'string';
function basicKind(v: unknown): Basic | 'invalid' {
  const k: Kind = kindOf(v);
  return k === 'bool' || k === 'int' || k === 'uint' || k === 'float' || k === 'string' ? k : 'invalid';
}

function isNil(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v instanceof GoNil ||
    (v instanceof GoSlice && v.items === null) ||
    (v instanceof GoMap && v.entries === null)
  );
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) fail('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of bs) {
    const k2 = basicKind(b);
    let truth = false;
    if (k1 !== k2) {
      if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) {
        truth = numValue(a) === numValue(b);
      } else if (a !== undefined && a !== null && b !== undefined && b !== null) {
        fail('incompatible types for comparison');
      }
    } else if (k1 === 'invalid') {
      if (isNil(a) || isNil(b)) truth = isNil(a) === isNil(b);
      else if (kindOf(b) === 'slice' || kindOf(b) === 'map') {
        fail(`non-comparable type ${printArg(b, 's', noFlags(), 0)}: ${goTypeName(b)}`);
      } else truth = a === b;
    } else if (k1 === 'string' || k1 === 'bool') {
      truth = a === b;
    } else {
      truth = numValue(a) === numValue(b);
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 !== k2) {
    if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) return numValue(a) < numValue(b);
    return fail('incompatible types for comparison');
  }
  if (k1 === 'invalid' || k1 === 'bool') return fail('invalid type for comparison');
  if (k1 === 'string') return utf8Compare(a as string, b as string) < 0;
  return numValue(a) < numValue(b);
}

function utf8Compare(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

// ---------------------------------------------------------------------------------------------
// index, slice, len

function indexArg(v: unknown, cap: number): number {
  if (!isInt(v)) return fail(`cannot index slice/array with type ${goTypeName(v)}`);
  const n = numValue(v);
  if (n < 0 || n >= cap) return fail(`index out of range: ${n}`);
  return n;
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let cur = item;
  for (const k of keys) {
    if (cur === undefined || cur === null) return fail('index of untyped nil');
    const items = sliceItems(cur);
    if (typeof cur === 'string') {
      const bytes = utf8.encode(cur);
      cur = new GoNum('uint8', bytes[indexArg(k, bytes.length)]!);
    } else if (items !== undefined) {
      const list = items ?? [];
      cur = list[indexArg(k, list.length)];
    } else {
      const entries = mapEntries(cur);
      if (entries === undefined) return fail(`can't index item of type ${goTypeName(cur)}`);
      if (typeof k !== 'string') return fail(`value has type ${goTypeName(k)}; should be string`);
      if (Object.prototype.hasOwnProperty.call(entries, k)) cur = entries[k];
      else cur = cur instanceof GoMap ? zeroValue(cur.elem) : null;
    }
  }
  return cur;
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (item === undefined || item === null) return fail('slice of untyped nil');
  if (idx.length > 3) return fail(`too many slice indexes: ${idx.length}`);
  const isStr = typeof item === 'string';
  const items = sliceItems(item);
  if (!isStr && items === undefined) return fail(`can't slice item of type ${goTypeName(item)}`);
  if (isStr && idx.length === 3) return fail('cannot 3-index slice a string');
  const bytes = isStr ? utf8.encode(item) : null;
  const cap = bytes ? bytes.length : (items ?? []).length;
  const n = [0, cap, cap];
  idx.forEach((v, i) => {
    if (!isInt(v)) fail(`cannot index slice/array with type ${goTypeName(v)}`);
    const x = numValue(v);
    if (x < 0 || x > cap) fail(`index out of range: ${x}`);
    n[i] = x;
  });
  if (n[0]! > n[1]!) return fail(`invalid slice index: ${n[0]} > ${n[1]}`);
  if (idx.length === 3 && n[1]! > n[2]!) return fail(`invalid slice index: ${n[1]} > ${n[2]}`);
  if (bytes) return new TextDecoder().decode(bytes.slice(n[0], n[1]));
  const out = (items ?? []).slice(n[0], n[1]);
  return item instanceof GoSlice ? new GoSlice(item.elem, out) : out;
}

function len(v: unknown): number {
  if (v === undefined || v === null) return fail('len of nil pointer');
  if (typeof v === 'string') return utf8.encode(v).length;
  const items = sliceItems(v);
  if (items !== undefined) return (items ?? []).length;
  const entries = mapEntries(v);
  if (entries !== undefined) return Object.keys(entries).length;
  return fail(`len of type ${goTypeName(v)}`);
}

// ---------------------------------------------------------------------------------------------
// html, js, urlquery (funcs.go): one string argument is used as is, else fmt.Sprint.

function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  // printableValue: a nil interface is no value; a pointer prints as what it points to.
  return sprint(
    args.map((a) =>
      a === undefined || a === null
        ? '<no value>'
        : a instanceof GoStruct && a.isPointer
          ? new GoStruct(a.typeName.slice(1), a.fields, a.json, a.jsonValue, a.embedded)
          : a,
    ),
  );
}

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) =>
    c === '\0' ? '\ufffd' : { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]!,
  );
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (cp < 0x80) {
      if (c === '\\' || c === "'" || c === '"') out += '\\' + c;
      else if (c === '<' || c === '>' || c === '&' || c === '=')
        out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
      else if (cp < 0x20) out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
      else out += c;
    } else if (PRINTABLE.test(c)) out += c;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** url.QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// docker/cli

/** strings.Title: upper-case (title-case) each rune that follows a separator. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    out += isSeparator(prev) ? runeMap(c, 'upper') : c;
    prev = c;
  }
  return out;
}
function isSeparator(c: string): boolean {
  const cp = c.codePointAt(0)!;
  if (cp <= 0x7f) return !/[0-9a-zA-Z_]/.test(c);
  if (/[\p{L}\p{Nd}]/u.test(c)) return false;
  return /\s/u.test(c);
}
/** unicode.ToUpper / ToLower map one rune to one rune; JavaScript's may expand (ß → SS). */
function runeMap(c: string, to: 'upper' | 'lower'): string {
  const m = to === 'upper' ? c.toUpperCase() : c.toLowerCase();
  return [...m].length === 1 ? m : c;
}
const mapRunes = (s: string, to: 'upper' | 'lower'): string => [...s].map((c) => runeMap(c, to)).join('');

/** joinElements: []string as strings.Join; other slices through fmt.Sprint; maps by sorted values. */
function join(elems: unknown, sep: string): string {
  if (elems === undefined || elems === null) return '';
  const items = sliceItems(elems);
  if (items !== undefined) return (items ?? []).map((e) => sprint([e])).join(sep);
  const entries = mapEntries(elems);
  if (entries !== undefined) {
    return sortedKeys(entries)
      .map((k) => sprint([entries[k]]))
      .sort((a, b) => utf8Compare(a, b))
      .join(sep);
  }
  return fail(`expected slice, got ${goTypeName(elems)}`);
}

function truncate(s: string, n: number): string {
  const bytes = utf8.encode(s);
  if (bytes.length < n) return s;
  if (n < 0) return fail(`runtime error: slice bounds out of range [:${n}]`);
  return new TextDecoder().decode(bytes.slice(0, n));
}

/** Go builtins plus docker/cli's basicFunctions. */
export const BASIC_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  json: fn(['any'], (v: unknown) =>
    goJson(v === undefined ? null : v, { escapeHTML: v instanceof GoStruct && v.json === 'marshaler' }),
  ),
  split: fn(
    ['string', 'string'],
    (s: string, sep: string) => new GoSlice({ kind: 'string' }, sep === '' ? [...s] : s.split(sep)),
  ),
  join: fn(['any', 'string'], join),
  title: fn(['string'], title),
  lower: fn(['string'], (s: string) => mapRunes(s, 'lower')),
  upper: fn(['string'], (s: string) => mapRunes(s, 'upper')),
  pad: fn(['string', 'int', 'int'], (s: string, p: number, q: number) =>
    s === '' ? s : ' '.repeat(Math.max(0, p)) + s + ' '.repeat(Math.max(0, q)),
  ),
  truncate: fn(['string', 'int'], truncate),
  and: fn(['any'], (...a: unknown[]) => a.find((x) => !truthy(x)) ?? a[a.length - 1], 'any'),
  or: fn(['any'], (...a: unknown[]) => a.find((x) => truthy(x)) ?? a[a.length - 1], 'any'),
  not: fn(['any'], (v: unknown) => !truthy(v)),
  len: fn(['any'], len),
  index: fn(['any'], index, 'any'),
  slice: fn(['any'], slice, 'any'),
  eq: fn(['any'], eq, 'any'),
  ne: fn(['any', 'any'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: fn(['any', 'any'], lt),
  le: fn(['any', 'any'], (a: unknown, b: unknown) => lt(a, b) || eq(a, b)),
  gt: fn(['any', 'any'], (a: unknown, b: unknown) => !(lt(a, b) || eq(a, b))),
  ge: fn(['any', 'any'], (a: unknown, b: unknown) => !lt(a, b)),
  html: fn([], (...a: unknown[]) => htmlEscape(evalArgs(a)), 'any'),
  js: fn([], (...a: unknown[]) => jsEscape(evalArgs(a)), 'any'),
  urlquery: fn([], (...a: unknown[]) => queryEscape(evalArgs(a)), 'any'),
  print: fn([], (...a: unknown[]) => sprint(a), 'any'),
  println: fn([], (...a: unknown[]) => sprintln(a), 'any'),
  printf: fn(['string'], (f: string, ...a: unknown[]) => sprintf(f, a), 'any'),
};

const same = fn(['string'], (v: string) => v);
/** docker/cli HeaderFunctions: table headers keep the column name intact. */
export const HEADER_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  ...BASIC_FUNCS,
  json: same,
  split: fn(['string', 'string'], (v: string) => v),
  join: fn(['string', 'string'], (v: string) => v),
  title: same,
  lower: same,
  upper: same,
  truncate: fn(['string', 'int'], (v: string) => v),
};
