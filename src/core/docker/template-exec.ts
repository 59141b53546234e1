/** Go text/template's executor over template values (see template-values.ts). */
import { noFlags } from './go-strconv.ts';
import { printArg } from './template-fmt.ts';
import type { Param, TemplateFunc } from './template-funcs.ts';
import { lineOf, TemplateError, type Arg, type Cmd, type Node, type Pipe } from './template-lex.ts';
import {
  GoStruct,
  goTypeName,
  isInt,
  mapEntries,
  sliceItems,
  sortedKeys,
  truthy,
  GoMap,
  GoNil,
} from './template-values.ts';

const MAX_STEPS = 1_000_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

export class ExecError extends TemplateError {}

/** `{{break}}` / `{{continue}}` unwinding to the innermost range. */
class LoopSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}

/** text/template's printValue: a pointer prints as what it points to; a missing value as `<no value>`. */
export function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v instanceof GoStruct && v.isPointer) {
    v = new GoStruct(v.typeName.slice(1), v.fields, v.json, v.jsonValue, v.embedded);
  }
  return printArg(v, 'v', noFlags(), 0);
}

export class Exec {
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
        case 'break':
        case 'continue':
          throw new LoopSignal(n.k);
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
          const items = sliceItems(v);
          const map = mapEntries(v);
          if (v === undefined || v === null) entries = [];
          else if (items !== undefined) entries = (items ?? []).map((e, i) => [i, e]);
          else if (map !== undefined) entries = sortedKeys(map).map((k) => [k, map[k]]);
          else if (isInt(v) && typeof v === 'number' && v >= 0) {
            if (decl.length > 1)
              this.fail(n.pipe.pos, n.pipe.src, `can't use ${v} to iterate over more than one variable`);
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
              try {
                this.walk(n.list, e);
              } catch (sig) {
                if (!(sig instanceof LoopSignal)) throw sig;
                this.vars.length = inner;
                if (sig.kind === 'break') break;
                continue;
              }
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
      // evalPipeline: a nil interface{} result is no value at all (prints `<no value>`).
      if (value === null) value = undefined;
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
      return this.call(first.name, first.pos, fn, c.args.slice(1), dot, piped, c);
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
        return this.call(a.name, a.pos, fn, [], dot, []);
      }
    }
  }

  private fields(v: unknown, path: string[], pos: number, src: string): unknown {
    let cur = v;
    for (const name of path) {
      if (cur instanceof GoStruct) {
        const r = cur.lookup(name);
        if (!r.found) this.fail(pos, src, `can't evaluate field ${name} in type ${cur.typeName}`);
        cur = r.value;
      } else if (cur instanceof GoNil) {
        this.fail(pos, src, `nil pointer evaluating ${cur.typeName}.${name}`);
      } else if (cur === undefined || cur === null) {
        this.fail(pos, src, `nil pointer evaluating ${cur === null ? 'interface {}' : 'interface {}'}.${name}`);
      } else if (mapEntries(cur) !== undefined) {
        if (cur instanceof GoMap && cur.key.kind !== 'string') {
          this.fail(pos, src, `can't evaluate field ${name} in type ${goTypeName(cur)}`);
        }
        const o = mapEntries(cur)!;
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

  /**
   * exec.go evalCall: check the argument count and types, evaluate the arguments (lazily for
   * `and` / `or`, which stop at the first argument that decides the result), call.
   */
  private call(
    name: string,
    pos: number,
    fn: TemplateFunc,
    argNodes: Arg[],
    dot: unknown,
    piped: unknown[],
    cmd?: Cmd,
  ): unknown {
    const n = argNodes.length + piped.length;
    const want = fn.params.length;
    if (fn.variadic ? n < want : n !== want) {
      this.fail(pos, name, `wrong number of args for ${name}: want ${fn.variadic ? 'at least ' : ''}${want} got ${n}`);
    }
    const paramOf = (i: number): Param => fn.params[i] ?? fn.variadic ?? 'any';
    if (name === 'and' || name === 'or') {
      let v: unknown;
      for (let i = 0; i < n; i++) {
        v = i < argNodes.length ? this.arg(argNodes[i]!, dot) : piped[0];
        if (truthy(v) === (name === 'or')) return v;
      }
      return v;
    }
    const args = argNodes.map((a, i) => this.check(this.arg(a, dot), paramOf(i), a));
    piped.forEach((v, i) => args.push(this.check(v, paramOf(argNodes.length + i), null)));
    try {
      return fn.fn(...args);
    } catch (e) {
      if (e instanceof ExecError) throw e;
      if (!(e instanceof TemplateError)) throw e;
      // Go reports a failed call at the whole command, as its parse tree prints it.
      const at = cmd ? cmd.args.map(argSrc).join(' ') : name;
      this.fail(cmd ? cmd.pos : pos, at, `error calling ${name}: ${e.message}`);
    }
  }

  /** exec.go validateType / evalArg: a value for a typed parameter. */
  private check(v: unknown, p: Param, node: Arg | null): unknown {
    if (p === 'any') return v;
    const at = node ? argSrc(node) : '';
    const pos = node ? node.pos : 0;
    if (node && (node.k === 'str' || node.k === 'num' || node.k === 'bool' || node.k === 'nil')) {
      const ok = p === 'string' ? node.k === 'str' : node.k === 'num' && isInt(node.v);
      if (!ok) this.fail(pos, at, `expected ${p === 'string' ? 'string' : 'integer'}; found ${at}`);
      return v;
    }
    if (v === undefined) this.fail(pos, at, `invalid value; expected ${p}`);
    const ok = p === 'string' ? typeof v === 'string' : typeof v === 'number' && Number.isInteger(v);
    if (!ok) this.fail(pos, at, `wrong type for value; expected ${p}; got ${goTypeName(v)}`);
    return v;
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
