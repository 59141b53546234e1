/** Go text/template's parser: actions into pipelines, commands and control structures. */
import { GoNum } from './template-values.ts';
import {
  describe,
  lexAction,
  MAX_DEPTH,
  parseError,
  split,
  type Arg,
  type Cmd,
  type Node,
  type Piece,
  type Pipe,
  type Tok,
} from './template-lex.ts';

export class Parser {
  private pieces: Piece[];
  private i = 0;
  private depth = 0;
  private rangeDepth = 0;
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
        if (first.t === 'ident' && (first.v === 'break' || first.v === 'continue')) {
          if (toks.length > 1)
            throw parseError(this.src, toks[1]!.pos, `unexpected ${describe(toks[1]!)} in {{${first.v}}}`);
          if (this.rangeDepth === 0) throw parseError(this.src, first.pos, `{{${first.v}}} outside {{range}}`);
          list.push({ k: first.v, pos: first.pos });
          continue;
        }
        if (first.t === 'ident' && ['define', 'template', 'block'].includes(first.v)) {
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
    if (kind === 'range') this.rangeDepth++;
    let body;
    try {
      body = this.list();
    } finally {
      if (kind === 'range') this.rangeDepth--;
    }
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
      case 'field': {
        // Go's parser makes `.A.B` a chain whose position is that of `.B`.
        const second = t.v.indexOf('.', 1);
        return [{ k: 'field', path: pathOf(t.v), pos: second < 0 ? t.pos : t.pos + second, src: t.v }, idx + 1];
      }
      case 'var': {
        const dot = t.v.indexOf('.');
        const name = dot < 0 ? t.v : t.v.slice(0, dot);
        const path = dot < 0 ? [] : pathOf(t.v.slice(dot));
        return [{ k: 'var', name, path, pos: dot < 0 ? t.pos : t.pos + dot, src: t.v }, idx + 1];
      }
      case 'str':
        return [{ k: 'str', v: t.v, pos: t.pos, src: JSON.stringify(t.v) }, idx + 1];
      case 'num':
        return [{ k: 'num', v: numberValue(this.src, t), pos: t.pos, src: t.v }, idx + 1];
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
          arg = { k: 'chain', node: arg, path: pathOf(after.v), pos: after.pos, src: `(${inner.src})${after.v}` };
          next++;
        }
        return [arg, next];
      }
      default:
        throw parseError(this.src, t.pos, `unexpected ${describe(t)} in operand`);
    }
  }
}

/**
 * A number constant's value as text/template passes it to a function taking `any`: a
 * character constant or an integer literal is an `int`; a literal with `.`, an exponent or a
 * hex-float `p` is a `float64`.
 */
function numberValue(src: string, t: Tok): number | GoNum {
  if (t.rune !== undefined) return t.rune;
  const text = t.v.replace(/_/g, '');
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[+-]/, '');
  const bad = (): never => {
    throw parseError(src, t.pos, `bad number syntax: "${t.v}"`);
  };
  let v: number;
  if (/^0[xX]/.test(body) && /[.pP]/.test(body)) {
    const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(body);
    if (!m || (m[1] === '' && !m[2])) bad();
    const digits = m![1]! + (m![2] ?? '');
    v = parseInt(digits || '0', 16) * 2 ** (Number(m![3]) - 4 * (m![2] ?? '').length);
    return new GoNum('float64', sign * v);
  }
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) v = parseInt(body.slice(2), 16);
  else if (/^0[oO][0-7]+$/.test(body)) v = parseInt(body.slice(2), 8);
  else if (/^0[bB][01]+$/.test(body)) v = parseInt(body.slice(2), 2);
  else if (/^0[0-7]+$/.test(body)) v = parseInt(body.slice(1), 8);
  else if (/^\d+$/.test(body) && !/^0\d/.test(body)) v = Number(body);
  else if (/[.eE]/.test(body) && /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) {
    return new GoNum('float64', sign * Number(body));
  } else return bad();
  if (!Number.isSafeInteger(v)) throw parseError(src, t.pos, `integer overflow: ${t.v}`);
  return sign * v;
}
