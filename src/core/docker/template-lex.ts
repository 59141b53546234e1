/**
 * Go text/template's lexer, for Docker's `--format`: splits a template into text and actions
 * (trim markers, comments) and an action into tokens (fields, variables, strings, raw
 * strings, character constants, numbers in Go's literal syntax, identifiers).
 */

import { codedError } from '../errors.ts';
import type { GoNum } from './template-values.ts';

export const MAX_TEMPLATE = 64 * 1024;
export const MAX_DEPTH = 64;

/** Go's number literal syntax as text/template's lexer accepts it (no imaginary part). */
const NUMBER =
  /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[oO][0-7_]+|0[bB][01_]+|[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)/;

export class TemplateError extends codedError('TEMPLATE_ERROR', 'TemplateError') {
  override name = 'TemplateError';
}

// ---------------------------------------------------------------------------------------------
// AST

export type Arg =
  | { k: 'dot'; pos: number }
  | { k: 'field'; path: string[]; pos: number; src: string }
  | { k: 'var'; name: string; path: string[]; pos: number; src: string }
  | { k: 'chain'; node: Arg; path: string[]; pos: number; src: string }
  | { k: 'str'; v: string; pos: number; src: string }
  | { k: 'num'; v: number | GoNum; pos: number; src: string }
  | { k: 'bool'; v: boolean; pos: number }
  | { k: 'nil'; pos: number }
  | { k: 'ident'; name: string; pos: number }
  | { k: 'pipe'; pipe: Pipe; pos: number; src: string };

export interface Cmd {
  args: Arg[];
  pos: number;
}
export interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
  pos: number;
  src: string;
}
export type Node =
  | { k: 'text'; text: string }
  | { k: 'action'; pipe: Pipe }
  | { k: 'if' | 'with'; pipe: Pipe; list: Node[]; elseList: Node[] | null }
  | { k: 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | null }
  | { k: 'break' | 'continue'; pos: number };

// ---------------------------------------------------------------------------------------------
// Lexing actions

export interface Tok {
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
  /** A character constant's code point. */
  rune?: number;
}

export function lineOf(src: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src.charCodeAt(i) === 10) n++;
  return n;
}

export function parseError(src: string, pos: number, msg: string): TemplateError {
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

export function lexAction(src: string, body: string, base: number): Tok[] {
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
    } else if (c === "'") {
      // A character constant: one rune or one escape, as strconv.UnquoteChar reads it.
      let j = i + 1;
      while (j < body.length && body[j] !== "'" && body[j] !== '\n') j += body[j] === '\\' ? 2 : 1;
      if (j >= body.length || body[j] !== "'") throw parseError(src, pos, 'unterminated character constant');
      const raw = body.slice(i, j + 1);
      const text = unquote(src, '"' + raw.slice(1, -1).replace(/^\\'$/, "'") + '"', pos);
      if ([...text].length !== 1) throw parseError(src, pos, `malformed character constant: ${raw}`);
      toks.push({ t: 'num', v: raw, pos, rune: text.codePointAt(0)! });
      i = j + 1;
    } else if (/[0-9+-]/.test(c) || (c === '.' && /[0-9]/.test(body[i + 1] ?? ''))) {
      const m = NUMBER.exec(body.slice(i));
      if (!m || m[0] === '+' || m[0] === '-' || /[A-Za-z0-9_.]/.test(body[i + m[0].length] ?? '')) {
        let j = i + 1;
        while (j < body.length && /[A-Za-z0-9_.+-]/.test(body[j]!)) j++;
        throw parseError(src, pos, `bad number syntax: "${body.slice(i, j)}"`);
      }
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

export interface RawAction {
  body: string;
  pos: number;
}
export type Piece = { k: 'text'; text: string } | { k: 'action'; a: RawAction };

export function split(src: string): Piece[] {
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

export function describe(t: Tok): string {
  return `"${t.v}"`;
}
