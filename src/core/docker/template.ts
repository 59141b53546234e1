/**
 * A subset of Go's text/template, enough for Docker's `--format`: fields (`.A.B`), `$` and
 * variables, pipelines, function calls, parentheses, `if`/`else if`/`else`, `range` (with
 * `$i, $e :=`), `with`, `end`, trim markers (`{{-`, `-}}`), comments, and the functions
 * docker/cli adds (`json split join title lower upper pad truncate`, templates/templates.go)
 * beside Go's builtins (`and or not len index eq ne lt le gt ge print printf println`).
 *
 * Values are plain data (decoded JSON) or GoStruct (a docker/cli formatter context: known
 * fields only, like a Go struct with methods). Errors read like Go's, prefixed by the caller
 * with `template parsing error: `.
 *
 * Bounded: template length, nesting depth, evaluation steps and output size are capped, so a
 * hostile `--format` cannot hang or exhaust the tab.
 */
import { goJson } from './format.ts';
import { codedError } from '../errors.ts';

const MAX_TEMPLATE = 64 * 1024;
const MAX_DEPTH = 64;
const MAX_STEPS = 1_000_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

/** A docker/cli formatter context: fields are the context's methods; `json` is MarshalJSON. */
export class GoStruct {
  constructor(
    /** Go type name for error messages, e.g. `*formatter.imageContext`. */
    readonly typeName: string,
    readonly fields: Readonly<Record<string, unknown>>,
    /**
     * `marshaler`: the context has MarshalJSON (formatter.MarshalJSON: a map, keys sorted,
     * HTML-escaped); `struct`: encoded as a plain Go struct, fields in declared order.
     */
    readonly json: 'marshaler' | 'struct' = 'marshaler',
    /** What encoding/json writes for a struct whose `omitempty` fields drop out. */
    readonly jsonValue?: unknown,
  ) {}

  /** JSON.stringify hook, so nested contexts encode as Go would. */
  toJSON(): unknown {
    if (this.jsonValue !== undefined) return this.jsonValue;
    return this.json === 'struct' ? { ...this.fields } : sortedFields(this);
  }
}

export class TemplateError extends codedError('TEMPLATE_ERROR', 'TemplateError') {
  override name = 'TemplateError';
}

// ---------------------------------------------------------------------------------------------
// AST

type Arg =
  | { k: 'dot'; pos: number }
  | { k: 'field'; path: string[]; pos: number; src: string }
  | { k: 'var'; name: string; path: string[]; pos: number; src: string }
  | { k: 'chain'; node: Arg; path: string[]; pos: number; src: string }
  | { k: 'str'; v: string; pos: number; src: string }
  | { k: 'num'; v: number; pos: number; src: string }
  | { k: 'bool'; v: boolean; pos: number }
  | { k: 'nil'; pos: number }
  | { k: 'ident'; name: string; pos: number }
  | { k: 'pipe'; pipe: Pipe; pos: number; src: string };

interface Cmd {
  args: Arg[];
  pos: number;
}
interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
  pos: number;
  src: string;
}
type Node =
  | { k: 'text'; text: string }
  | { k: 'action'; pipe: Pipe }
  | { k: 'if' | 'with'; pipe: Pipe; list: Node[]; elseList: Node[] | null }
  | { k: 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | null };

// ---------------------------------------------------------------------------------------------
// Lexing actions

interface Tok {
  t:
    | 'ident'
    | 'field'
    | 'var'
    | 'str'
    | 'num'
    | 'lp'
    | 'rp'
    | 'pipe'
    | 'decl'
    | 'assign'
    | 'comma'
    | 'dot'
    | 'bool'
    | 'nil';
  v: string;
  pos: number;
}

function lineOf(src: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src.charCodeAt(i) === 10) n++;
  return n;
}

function parseError(src: string, pos: number, msg: string): TemplateError {
  return new TemplateError(`template: :${lineOf(src, pos)}: ${msg}`);
}

function unquote(src: string, raw: string, pos: number): string {
  if (raw.startsWith('`')) return raw.slice(1, -1);
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = raw[++i];
    switch (n) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case "'":
        out += "'";
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        const h = raw.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw parseError(src, pos, 'invalid syntax');
        out += String.fromCharCode(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u': {
        const h = raw.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) throw parseError(src, pos, 'invalid syntax');
        out += String.fromCharCode(parseInt(h, 16));
        i += 4;
        break;
      }
      default:
        throw parseError(src, pos, 'invalid syntax');
    }
  }
  return out;
}

function lexAction(src: string, body: string, base: number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const isIdent = (c: string): boolean => /[A-Za-z0-9_]/.test(c);
  while (i < body.length) {
    const c = body[i]!;
    const pos = base + i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(') {
      toks.push({ t: 'lp', v: c, pos });
      i++;
    } else if (c === ')') {
      toks.push({ t: 'rp', v: c, pos });
      i++;
    } else if (c === '|') {
      toks.push({ t: 'pipe', v: c, pos });
      i++;
    } else if (c === ',') {
      toks.push({ t: 'comma', v: c, pos });
      i++;
    } else if (c === ':' && body[i + 1] === '=') {
      toks.push({ t: 'decl', v: ':=', pos });
      i += 2;
    } else if (c === '=') {
      toks.push({ t: 'assign', v: '=', pos });
      i++;
    } else if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < body.length && body[j] !== c) {
        if (c === '"' && body[j] === '\\') j++;
        if (c === '"' && body[j] === '\n') break;
        j++;
      }
      if (j >= body.length || body[j] !== c) {
        throw parseError(src, pos, c === '"' ? 'unterminated quoted string' : 'unterminated raw quoted string');
      }
      const raw = body.slice(i, j + 1);
      toks.push({ t: 'str', v: unquote(src, raw, pos), pos });
      i = j + 1;
    } else if (c === '.' && !isIdent(body[i + 1] ?? '')) {
      toks.push({ t: 'dot', v: '.', pos });
      i++;
    } else if (c === '.' || c === '$') {
      let j = i + 1;
      while (j < body.length && (isIdent(body[j]!) || (body[j] === '.' && isIdent(body[j + 1] ?? '')))) j++;
      toks.push({ t: c === '.' ? 'field' : 'var', v: body.slice(i, j), pos });
      i = j;
    } else if (/[0-9+-]/.test(c)) {
      const m = /^[+-]?(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?)/.exec(body.slice(i));
      if (!m || m[0] === '+' || m[0] === '-') throw parseError(src, pos, `bad number syntax: "${c}"`);
      toks.push({ t: 'num', v: m[0], pos });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < body.length && isIdent(body[j]!)) j++;
      const w = body.slice(i, j);
      if (w === 'true' || w === 'false') toks.push({ t: 'bool', v: w, pos });
      else if (w === 'nil') toks.push({ t: 'nil', v: w, pos });
      else toks.push({ t: 'ident', v: w, pos });
      i = j;
      // A field chained on an identifier result is not supported beyond (pipe).Field.
    } else {
      const cp = c.codePointAt(0)!;
      throw parseError(src, pos, `bad character U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`);
    }
  }
  return toks;
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface RawAction {
  body: string;
  pos: number;
}
type Piece = { k: 'text'; text: string } | { k: 'action'; a: RawAction };

function split(src: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) pieces.push({ k: 'text', text });
      break;
    }
    let start = open + 2;
    if (src[start] === '-' && /[ \t\r\n]/.test(src[start + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 2;
    }
    if (text) pieces.push({ k: 'text', text });
    // Comments may contain `}}`-free text only up to `*/}}`.
    const rest = src.slice(start).replace(/^[ \t\r\n]*/, '');
    if (rest.startsWith('/*')) {
      const end = src.indexOf('*/', start);
      if (end < 0) throw parseError(src, open, 'unclosed comment');
      let close = end + 2;
      let trim = false;
      if (src.startsWith(' -}}', close) || src.startsWith('\t-}}', close)) {
        trim = true;
        close += 1;
      }
      if (src.startsWith('-}}', close) && trim) {
        close += 3;
      } else if (src.startsWith('}}', close)) {
        close += 2;
      } else {
        throw parseError(src, open, 'comment ends before closing delimiter');
      }
      trimNext = trim;
      i = close;
      continue;
    }
    // Find the closing delimiter outside quotes.
    let j = start;
    let quote = '';
    for (; j < src.length; j++) {
      const c = src[j]!;
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === '`') quote = c;
      else if (c === '}' && src[j + 1] === '}') break;
    }
    if (j >= src.length) throw parseError(src, open, quote ? 'unterminated quoted string' : 'unclosed action');
    let body = src.slice(start, j);
    if (/[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -2);
      trimNext = true;
    }
    pieces.push({ k: 'action', a: { body, pos: start } });
    i = j + 2;
  }
  return pieces;
}

class Parser {
  private pieces: Piece[];
  private i = 0;
  private depth = 0;
  constructor(
    private src: string,
    private funcs: ReadonlySet<string>,
  ) {
    this.pieces = split(src);
  }

  parse(): Node[] {
    const { list, stop } = this.list();
    if (stop) throw parseError(this.src, stop.pos, `unexpected {{${stop.word}}}`);
    return list;
  }

  private list(): { list: Node[]; stop: { word: 'end' | 'else'; rest: Tok[]; pos: number } | null } {
    if (++this.depth > MAX_DEPTH) throw parseError(this.src, 0, 'template nested too deeply');
    const list: Node[] = [];
    try {
      while (this.i < this.pieces.length) {
        const p = this.pieces[this.i++]!;
        if (p.k === 'text') {
          list.push({ k: 'text', text: p.text });
          continue;
        }
        const toks = lexAction(this.src, p.a.body, p.a.pos);
        const first = toks[0];
        if (!first) throw parseError(this.src, p.a.pos, 'missing value for command');
        if (first.t === 'ident' && (first.v === 'end' || first.v === 'else')) {
          if (first.v === 'end' && toks.length > 1)
            throw parseError(this.src, first.pos, `unexpected ${describe(toks[1]!)} in end`);
          return { list, stop: { word: first.v, rest: toks.slice(1), pos: first.pos } };
        }
        if (first.t === 'ident' && (first.v === 'if' || first.v === 'with' || first.v === 'range')) {
          list.push(this.control(first.v, toks.slice(1), first.pos));
          continue;
        }
        if (first.t === 'ident' && ['define', 'template', 'block', 'break', 'continue'].includes(first.v)) {
          throw parseError(this.src, first.pos, `{{${first.v}}} is not supported in Layerscope's --format`);
        }
        list.push({ k: 'action', pipe: this.pipeline(toks, 'command', p.a.pos) });
      }
      return { list, stop: null };
    } finally {
      this.depth--;
    }
  }

  private control(kind: 'if' | 'with' | 'range', toks: Tok[], pos: number): Node {
    const pipe = this.pipeline(toks, kind, pos);
    const body = this.list();
    if (!body.stop) throw parseError(this.src, this.src.length, 'unexpected EOF');
    let elseList: Node[] | null = null;
    if (body.stop.word === 'else') {
      const rest = body.stop.rest;
      if (
        rest.length > 0 &&
        rest[0]!.t === 'ident' &&
        (rest[0]!.v === 'if' || rest[0]!.v === 'with') &&
        kind !== 'range'
      ) {
        // `else if` / `else with`: a nested control that consumes the shared {{end}}.
        const nestedKind = rest[0]!.v as 'if' | 'with';
        elseList = [this.control(nestedKind, rest.slice(1), rest[0]!.pos)];
        return { k: kind, pipe, list: body.list, elseList } as Node;
      }
      if (rest.length > 0) throw parseError(this.src, rest[0]!.pos, `unexpected ${describe(rest[0]!)} in else`);
      const tail = this.list();
      if (!tail.stop) throw parseError(this.src, this.src.length, 'unexpected EOF');
      if (tail.stop.word !== 'end') throw parseError(this.src, tail.stop.pos, 'expected end; found {{else}}');
      elseList = tail.list;
    }
    return { k: kind, pipe, list: body.list, elseList } as Node;
  }

  private pipeline(toks: Tok[], context: string, pos: number): Pipe {
    let idx = 0;
    const decl: string[] = [];
    let assign = false;
    // `$x :=` / `$i, $e :=` / `$x =`
    const save = idx;
    while (toks[idx]?.t === 'var' && !toks[idx]!.v.includes('.', 1)) {
      const name = toks[idx]!.v;
      const next = toks[idx + 1];
      if (next?.t === 'decl' || next?.t === 'assign') {
        decl.push(name);
        assign = next.t === 'assign';
        idx += 2;
        break;
      }
      if (next?.t === 'comma' && context === 'range') {
        decl.push(name);
        idx += 2;
        continue;
      }
      decl.length = 0;
      idx = save;
      break;
    }
    const end = toks.length;
    const srcText = this.src.slice(
      toks[idx]?.pos ?? pos,
      toks.length ? toks[end - 1]!.pos + toks[end - 1]!.v.length : pos,
    );
    const cmds: Cmd[] = [];
    let cur: Arg[] = [];
    let cmdPos = toks[idx]?.pos ?? pos;
    const pushCmd = (): void => {
      if (cur.length === 0) throw parseError(this.src, cmdPos, 'missing value for command');
      cmds.push({ args: cur, pos: cmdPos });
      cur = [];
    };
    while (idx < end) {
      const t = toks[idx]!;
      if (t.t === 'pipe') {
        pushCmd();
        idx++;
        cmdPos = toks[idx]?.pos ?? t.pos;
        continue;
      }
      const [arg, next] = this.operand(toks, idx);
      cur.push(arg);
      idx = next;
    }
    if (cur.length === 0 && cmds.length === 0) throw parseError(this.src, pos, `missing value for ${context}`);
    pushCmd();
    for (const c of cmds) {
      const f = c.args[0]!;
      if (f.k === 'ident' && !this.funcs.has(f.name)) {
        throw parseError(this.src, f.pos, `function "${f.name}" not defined`);
      }
    }
    return { decl, assign, cmds, pos, src: srcText };
  }

  private operand(toks: Tok[], idx: number): [Arg, number] {
    const t = toks[idx]!;
    const pathOf = (s: string): string[] => s.split('.').filter((p) => p !== '');
    switch (t.t) {
      case 'dot':
        return [{ k: 'dot', pos: t.pos }, idx + 1];
      case 'field':
        return [{ k: 'field', path: pathOf(t.v), pos: t.pos, src: t.v }, idx + 1];
      case 'var': {
        const dot = t.v.indexOf('.');
        const name = dot < 0 ? t.v : t.v.slice(0, dot);
        return [{ k: 'var', name, path: dot < 0 ? [] : pathOf(t.v.slice(dot)), pos: t.pos, src: t.v }, idx + 1];
      }
      case 'str':
        return [{ k: 'str', v: t.v, pos: t.pos, src: JSON.stringify(t.v) }, idx + 1];
      case 'num': {
        const v = Number(t.v);
        if (!Number.isFinite(v)) throw parseError(this.src, t.pos, `bad number syntax: "${t.v}"`);
        return [{ k: 'num', v, pos: t.pos, src: t.v }, idx + 1];
      }
      case 'bool':
        return [{ k: 'bool', v: t.v === 'true', pos: t.pos }, idx + 1];
      case 'nil':
        return [{ k: 'nil', pos: t.pos }, idx + 1];
      case 'ident':
        if (['if', 'range', 'with', 'end', 'else'].includes(t.v)) {
          throw parseError(this.src, t.pos, `unexpected <${t.v}> in command`);
        }
        return [{ k: 'ident', name: t.v, pos: t.pos }, idx + 1];
      case 'lp': {
        // Find the matching parenthesis.
        let depth = 0;
        let j = idx;
        for (; j < toks.length; j++) {
          if (toks[j]!.t === 'lp') depth++;
          else if (toks[j]!.t === 'rp' && --depth === 0) break;
        }
        if (j >= toks.length) throw parseError(this.src, t.pos, 'unclosed left paren');
        if (++this.depth > MAX_DEPTH) throw parseError(this.src, t.pos, 'template nested too deeply');
        const inner = this.pipeline(toks.slice(idx + 1, j), 'parenthesized pipeline', t.pos);
        this.depth--;
        let arg: Arg = { k: 'pipe', pipe: inner, pos: t.pos, src: `(${inner.src})` };
        let next = j + 1;
        const after = toks[next];
        if (after?.t === 'field' && after.pos === toks[j]!.pos + 1) {
          arg = { k: 'chain', node: arg, path: pathOf(after.v), pos: t.pos, src: `(${inner.src})${after.v}` };
          next++;
        }
        return [arg, next];
      }
      default:
        throw parseError(this.src, t.pos, `unexpected ${describe(t)} in operand`);
    }
  }
}

function describe(t: Tok): string {
  return `"${t.v}"`;
}

// ---------------------------------------------------------------------------------------------
// Values

/** Go's `truth` for if/with/and/or/not. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof GoStruct) return true;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** text/template's printing of a value (fmt's %v for the kinds decoded JSON holds). */
export function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return '[' + v.map(printInner).join(' ') + ']';
  if (v instanceof GoStruct) return '&{' + Object.values(v.fields).map(printInner).join(' ') + '}';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return (
      'map[' +
      Object.keys(o)
        .sort()
        .map((k) => `${k}:${printInner(o[k])}`)
        .join(' ') +
      ']'
    );
  }
  return String(v);
}

function printInner(v: unknown): string {
  return v === undefined || v === null ? '<nil>' : printValue(v);
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return BigInt(n).toString();
  // float64 %v: shortest representation, exponent when < 1e-4 or ≥ 1e21.
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function goTypeName(v: unknown): string {
  if (v === undefined) return 'interface {}';
  if (v === null) return '<nil>';
  if (v instanceof GoStruct) return v.typeName;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

// ---------------------------------------------------------------------------------------------
// Functions

export type TemplateFunc = (...args: unknown[]) => unknown;

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  throw new TemplateError(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

function compare(fn: string, a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean' && (fn === 'eq' || fn === 'ne')) return a === b ? 0 : 1;
  if ((a === null || a === undefined) && (fn === 'eq' || fn === 'ne')) return b === null || b === undefined ? 0 : 1;
  if (typeof a !== typeof b) throw new TemplateError(`error calling ${fn}: incompatible types for comparison`);
  throw new TemplateError(`error calling ${fn}: invalid type for comparison`);
}

function printf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-+# 0]*\d*(?:\.\d+)?)([svdqt%x])/g, (_m, _flags: string, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const a = args[i++];
    switch (verb) {
      case 'q':
        return JSON.stringify(printValue(a));
      case 'd':
        return typeof a === 'number' ? goNumber(Math.trunc(a)) : `%!d(${goTypeName(a)}=${printValue(a)})`;
      case 'x':
        return typeof a === 'number'
          ? Math.trunc(a).toString(16)
          : Array.from(new TextEncoder().encode(printValue(a)))
              .map((b) => b.toString(16).padStart(2, '0'))
              .join('');
      default:
        return printValue(a);
    }
  });
}

/** Go builtins plus docker/cli's basicFunctions. */
export const BASIC_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  json: (v) => goJson(v ?? null, { escapeHTML: v instanceof GoStruct && v.json === 'marshaler' }),
  split: (s, sep) => {
    const a = str(s);
    const b = str(sep);
    return b === '' ? Array.from(a) : a.split(b);
  },
  join: (arr, sep) => {
    if (!Array.isArray(arr)) throw new TemplateError(`wrong type for value; expected []string; got ${goTypeName(arr)}`);
    return arr.map((x) => str(x)).join(str(sep));
  },
  title: (s) => str(s).replace(/(^|[^A-Za-z0-9_])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase()),
  lower: (s) => str(s).toLowerCase(),
  upper: (s) => str(s).toUpperCase(),
  pad: (s, prefix, suffix) => {
    const v = str(s);
    if (v === '') return v;
    return ' '.repeat(Math.max(0, Number(prefix) | 0)) + v + ' '.repeat(Math.max(0, Number(suffix) | 0));
  },
  truncate: (s, n) => {
    const v = str(s);
    const len = Number(n) | 0;
    const bytes = new TextEncoder().encode(v);
    if (bytes.length < len) return v;
    return new TextDecoder().decode(bytes.slice(0, Math.max(0, len)));
  },
  and: (...args) => {
    for (const a of args) if (!truthy(a)) return a;
    return args[args.length - 1];
  },
  or: (...args) => {
    for (const a of args) if (truthy(a)) return a;
    return args[args.length - 1];
  },
  not: (v) => !truthy(v),
  len: (v) => {
    if (typeof v === 'string') return utf8Length(v);
    if (Array.isArray(v)) return v.length;
    if (v && typeof v === 'object' && !(v instanceof GoStruct)) return Object.keys(v).length;
    throw new TemplateError(`error calling len: len of type ${goTypeName(v)}`);
  },
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (Array.isArray(cur)) {
        if (typeof k !== 'number' || !Number.isInteger(k))
          throw new TemplateError('error calling index: cannot index slice/array with type ' + goTypeName(k));
        if (k < 0 || k >= cur.length) throw new TemplateError(`error calling index: index out of range: ${k}`);
        cur = cur[k];
      } else if (typeof cur === 'string') {
        if (typeof k !== 'number' || k < 0 || k >= utf8Length(cur))
          throw new TemplateError(`error calling index: index out of range: ${String(k)}`);
        cur = new TextEncoder().encode(cur)[k];
      } else if (cur && typeof cur === 'object' && !(cur instanceof GoStruct)) {
        if (typeof k !== 'string')
          throw new TemplateError('error calling index: value has type ' + goTypeName(k) + '; should be string');
        cur = Object.prototype.hasOwnProperty.call(cur, k) ? (cur as Record<string, unknown>)[k] : undefined;
      } else if (cur === null || cur === undefined) {
        throw new TemplateError('error calling index: index of untyped nil');
      } else {
        throw new TemplateError(`error calling index: can't index item of type ${goTypeName(cur)}`);
      }
    }
    return cur;
  },
  eq: (a, ...bs) => {
    if (bs.length === 0) throw new TemplateError('error calling eq: missing argument for comparison');
    return bs.some((b) => compare('eq', a, b) === 0);
  },
  ne: (a, b) => compare('ne', a, b) !== 0,
  lt: (a, b) => compare('lt', a, b) < 0,
  le: (a, b) => compare('le', a, b) <= 0,
  gt: (a, b) => compare('gt', a, b) > 0,
  ge: (a, b) => compare('ge', a, b) >= 0,
  print: (...args) =>
    args
      .map((a, i) => (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + printValue(a))
      .join(''),
  println: (...args) => args.map(printValue).join(' ') + '\n',
  printf: (f, ...args) => printf(str(f), args),
};

/** docker/cli HeaderFunctions: table headers keep the column name intact. */
export const HEADER_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  ...BASIC_FUNCS,
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
};

function sortedFields(s: GoStruct): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(s.fields).sort()) o[k] = s.fields[k];
  return o;
}

// ---------------------------------------------------------------------------------------------
// Execution

export interface Template {
  readonly source: string;
  /**
   * `missingKeyError`: Go's `missingkey=error` option (a map without the key is an error, as in
   * docker inspect's raw fallback) instead of printing `<no value>`.
   */
  execute(data: unknown, funcs?: Readonly<Record<string, TemplateFunc>>, opts?: { missingKeyError?: boolean }): string;
}

class ExecError extends TemplateError {}

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

class Exec {
  private out = '';
  private steps = 0;
  private vars: { name: string; value: unknown }[] = [];
  constructor(
    private src: string,
    private funcs: Readonly<Record<string, TemplateFunc>>,
    private missingKeyError = false,
  ) {}

  run(nodes: Node[], data: unknown): string {
    this.vars = [{ name: '$', value: data }];
    this.walk(nodes, data);
    return this.out;
  }

  private fail(pos: number, at: string, msg: string): never {
    const before = this.src.slice(0, pos);
    const line = lineOf(this.src, pos);
    const col = pos - (before.lastIndexOf('\n') + 1);
    throw new ExecError(`template: :${line}:${col}: executing "" at <${at}>: ${msg}`);
  }

  private tick(): void {
    if (++this.steps > MAX_STEPS) throw new TemplateError('template: execution took too many steps');
  }

  private write(s: string): void {
    if (this.out.length + s.length > MAX_OUTPUT)
      throw new TemplateError(`template: output larger than ${MAX_OUTPUT} bytes`);
    this.out += s;
  }

  private walk(nodes: Node[], dot: unknown): void {
    for (const n of nodes) {
      this.tick();
      switch (n.k) {
        case 'text':
          this.write(n.text);
          break;
        case 'action': {
          const v = this.pipe(n.pipe, dot);
          if (n.pipe.decl.length === 0) this.write(printValue(v));
          break;
        }
        case 'if':
        case 'with': {
          const mark = this.vars.length;
          const v = this.pipe(n.pipe, dot);
          if (truthy(v)) this.walk(n.list, n.k === 'with' ? v : dot);
          else if (n.elseList) this.walk(n.elseList, dot);
          this.vars.length = mark;
          break;
        }
        case 'range': {
          const mark = this.vars.length;
          const decl = n.pipe.decl;
          const v = this.pipe({ ...n.pipe, decl: [] }, dot);
          let entries: [unknown, unknown][];
          if (v === undefined || v === null) entries = [];
          else if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
          else if (typeof v === 'object' && !(v instanceof GoStruct)) {
            const o = v as Record<string, unknown>;
            entries = Object.keys(o)
              .sort()
              .map((k) => [k, o[k]]);
          } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
            entries = Array.from({ length: Math.min(v, MAX_STEPS) }, (_, i) => [i, i]);
          } else {
            this.fail(n.pipe.pos, n.pipe.src, `range can't iterate over ${printValue(v)}`);
          }
          if (entries.length === 0) {
            if (n.elseList) this.walk(n.elseList, dot);
          } else {
            for (const [k, e] of entries) {
              this.tick();
              const inner = this.vars.length;
              if (decl.length === 1) this.vars.push({ name: decl[0]!, value: e });
              else if (decl.length >= 2) {
                this.vars.push({ name: decl[0]!, value: k });
                this.vars.push({ name: decl[1]!, value: e });
              }
              this.walk(n.list, e);
              this.vars.length = inner;
            }
          }
          this.vars.length = mark;
          break;
        }
      }
    }
  }

  private pipe(p: Pipe, dot: unknown): unknown {
    let value: unknown;
    let has = false;
    for (const c of p.cmds) {
      value = this.command(c, dot, has ? [value] : []);
      has = true;
    }
    if (p.decl.length > 0) {
      if (p.assign) {
        const name = p.decl[0]!;
        const slot = [...this.vars].reverse().find((v) => v.name === name);
        if (!slot) this.fail(p.pos, name, `undefined variable: ${name}`);
        slot.value = value;
      } else {
        for (const d of p.decl) this.vars.push({ name: d, value });
      }
    }
    return value;
  }

  private command(c: Cmd, dot: unknown, piped: unknown[]): unknown {
    this.tick();
    const first = c.args[0]!;
    if (first.k === 'nil') this.fail(first.pos, 'nil', 'nil is not a command');
    if (first.k === 'ident') {
      const fn = this.funcs[first.name];
      if (!fn) this.fail(first.pos, first.name, `function "${first.name}" not defined`);
      const args = c.args.slice(1).map((a) => this.arg(a, dot));
      try {
        return fn(...args, ...piped);
      } catch (e) {
        if (e instanceof ExecError) throw e;
        const msg = e instanceof Error ? e.message : String(e);
        this.fail(first.pos, first.name, msg.startsWith('error calling') ? msg : `error calling ${first.name}: ${msg}`);
      }
    }
    if (c.args.length > 1 || piped.length > 0) {
      this.fail(first.pos, argSrc(first), `can't give argument to non-function ${argSrc(first)}`);
    }
    return this.arg(first, dot);
  }

  private arg(a: Arg, dot: unknown): unknown {
    this.tick();
    switch (a.k) {
      case 'dot':
        return dot;
      case 'str':
      case 'num':
      case 'bool':
        return a.v;
      case 'nil':
        return null;
      case 'field':
        return this.fields(dot, a.path, a.pos, a.src);
      case 'var': {
        const slot = [...this.vars].reverse().find((v) => v.name === a.name);
        if (!slot) this.fail(a.pos, a.name, `undefined variable: ${a.name}`);
        return this.fields(slot.value, a.path, a.pos, a.src);
      }
      case 'pipe':
        return this.pipe(a.pipe, dot);
      case 'chain':
        return this.fields(this.arg(a.node, dot), a.path, a.pos, a.src);
      case 'ident': {
        const fn = this.funcs[a.name];
        if (!fn) this.fail(a.pos, a.name, `function "${a.name}" not defined`);
        return fn();
      }
    }
  }

  private fields(v: unknown, path: string[], pos: number, src: string): unknown {
    let cur = v;
    for (const name of path) {
      if (cur instanceof GoStruct) {
        if (!Object.prototype.hasOwnProperty.call(cur.fields, name)) {
          this.fail(pos, src, `can't evaluate field ${name} in type ${cur.typeName}`);
        }
        cur = cur.fields[name];
      } else if (cur === undefined || cur === null) {
        this.fail(pos, src, `nil pointer evaluating interface {}.${name}`);
      } else if (typeof cur === 'object' && !Array.isArray(cur)) {
        const o = cur as Record<string, unknown>;
        if (!Object.prototype.hasOwnProperty.call(o, name)) {
          if (this.missingKeyError) this.fail(pos, src, `map has no entry for key "${name}"`);
          cur = undefined;
        } else cur = o[name];
      } else {
        this.fail(pos, src, `can't evaluate field ${name} in type ${goTypeName(cur)}`);
      }
    }
    return cur;
  }
}

function argSrc(a: Arg): string {
  switch (a.k) {
    case 'dot':
      return '.';
    case 'bool':
      return String(a.v);
    case 'nil':
      return 'nil';
    case 'ident':
      return a.name;
    default:
      return a.src;
  }
}
