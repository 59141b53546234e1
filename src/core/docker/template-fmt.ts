/**
 * Go's fmt over template values (fmt/print.go): `Sprintf` with flags (`-+# 0`), width,
 * precision, `*`, argument indexes (`%[2]d`), the verbs `v s d b o O x X c q U e E f F g G t T
 * %`, and fmt's error forms (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA int=1)`,
 * `%!(NOVERB)`, `%!(BADWIDTH)`, `%!(BADPREC)`, `%!(BADINDEX)`); `Sprint` and `Sprintln`.
 */
import {
  canBackquote,
  fmtFloat,
  fmtInteger,
  goQuote,
  goQuoteRune,
  noFlags,
  pad,
  runeString,
  type FmtFlags,
} from './go-strconv.ts';
import {
  GoMap,
  GoNil,
  GoNum,
  GoSlice,
  GoStruct,
  GoTime,
  durationString,
  goTypeName,
  isFloat,
  isInt,
  isUnsigned,
  mapEntries,
  numValue,
  sliceItems,
  sortedKeys,
} from './template-values.ts';

const utf8 = new TextEncoder();

function badVerb(verb: string, v: unknown, f: FmtFlags = noFlags()): string {
  if (v === undefined || v === null) return `%!${verb}(<nil>)`;
  // fmt prints the operand with the verb's own width and flags.
  return `%!${verb}(${goTypeName(v)}=${printArg(v, 'v', f, 0)})`;
}

function fmtString(s: string, verb: string, f: FmtFlags): string {
  switch (verb) {
    case 'v':
      if (f.sharpV) return pad(goQuote(s), f);
      return fmtS(s, f);
    case 's':
      return fmtS(s, f);
    case 'x':
    case 'X':
      return fmtHex(s, verb, f);
    case 'q': {
      const t = f.prec !== undefined ? truncRunes(s, f.prec) : s;
      if (f.sharp && canBackquote(t)) return pad('`' + t + '`', f);
      return pad(goQuote(t, f.plus), f);
    }
    default:
      return badVerb(verb, s, f);
  }
}

function truncRunes(s: string, n: number): string {
  let out = '';
  let i = 0;
  for (const c of s) {
    if (i++ >= n) break;
    out += c;
  }
  return out;
}

function fmtS(s: string, f: FmtFlags): string {
  return pad(f.prec !== undefined ? truncRunes(s, f.prec) : s, f);
}

/** fmt.fmtSbx: hex of the UTF-8 bytes; ` ` separates bytes, `#` adds 0x. */
function fmtHex(s: string, verb: string, f: FmtFlags): string {
  let bytes = utf8.encode(s);
  if (f.prec !== undefined && f.prec < bytes.length) bytes = bytes.slice(0, f.prec);
  if (bytes.length === 0) return pad('', f);
  const prefix = verb === 'X' ? '0X' : '0x';
  let out = '';
  bytes.forEach((b, i) => {
    if (f.space && i > 0) out += ' ';
    if (f.sharp && (f.space || i === 0)) out += prefix;
    const h = b.toString(16).padStart(2, '0');
    out += verb === 'X' ? h.toUpperCase() : h;
  });
  return pad(out, f);
}

function fmtIntArg(v: number | GoNum, verb: string, f: FmtFlags): string {
  const n = numValue(v);
  const unsigned = isUnsigned(v);
  switch (verb) {
    case 'v':
      return fmtInteger(
        n,
        unsigned,
        f.sharpV && unsigned ? 'x' : 'd',
        f.sharpV && unsigned ? { ...f, sharp: true } : f,
      );
    case 'd':
    case 'b':
    case 'o':
    case 'O':
    case 'x':
    case 'X':
      return fmtInteger(n, unsigned, verb, f);
    case 'c':
      return pad(runeString(n), f);
    case 'q':
      return pad(goQuoteRune(n, f.plus), f);
    case 'U': {
      let s = 'U+' + fmtInteger(n, true, 'X', { ...noFlags(), prec: Math.max(f.prec ?? 4, 4) });
      if (f.sharp && n >= 0 && n <= 0x10ffff) s += ` '${runeString(n)}'`;
      return pad(s, { ...f, zero: false });
    }
    default:
      return badVerb(verb, v, f);
  }
}

function fmtFloatArg(v: number | GoNum, verb: string, f: FmtFlags): string {
  const x = numValue(v);
  switch (verb) {
    case 'v':
      return fmtFloat(x, 'g', f, -1);
    case 'g':
    case 'G':
      return fmtFloat(x, verb, f, -1);
    case 'e':
    case 'E':
    case 'f':
    case 'F':
      return fmtFloat(x, verb, f, 6);
    case 'b':
    case 'x':
    case 'X':
      return fmtFloat(x, verb, f, -1);
    default:
      return badVerb(verb, v, f);
  }
}

/** fmt's printValue/printArg for one operand at a nesting depth. */
export function printArg(v: unknown, verb: string, f: FmtFlags, depth: number): string {
  if (v === undefined || v === null) {
    if (verb === 'T' || verb === 'v') return pad('<nil>', f);
    return badVerb(verb, v, f);
  }
  if (verb === 'T') return fmtS(goTypeName(v), f);
  if (v instanceof GoNil) return verb === 'v' ? pad('<nil>', f) : badVerb(verb, v, f);
  if (typeof v === 'boolean') return verb === 't' || verb === 'v' ? pad(v ? 'true' : 'false', f) : badVerb(verb, v, f);
  if (typeof v === 'string') return fmtString(v, verb, f);
  if (v instanceof GoNum && v.type === 'time.Duration' && ['v', 's', 'q', 'x', 'X'].includes(verb) && !f.sharpV) {
    return fmtString(durationString(v.value), verb, f);
  }
  if (isInt(v)) return fmtIntArg(v, verb, f);
  if (isFloat(v)) return fmtFloatArg(v, verb, f);
  if (v instanceof GoTime) {
    // time.Time is a Stringer: v s q x X go through String().
    if (['v', 's', 'q', 'x', 'X'].includes(verb) && !f.sharpV) return fmtString(v.toString(), verb, f);
    return badVerb(verb, v, f);
  }
  if (v instanceof GoStruct) {
    if (v.isPointer && depth > 0) {
      // A nested pointer prints as its address; Layerscope's values have none, so this is a
      // placeholder of the shape Go prints.
      return verb === 'v' || verb === 'p' ? pad('0xc000010000', f) : badVerb(verb, v, f);
    }
    const names = Object.keys(v.fields);
    const sep = f.sharpV ? ', ' : ' ';
    const parts = names.map((k) => {
      const inner = printArg(v.fields[k], verb, f.wid === undefined ? f : { ...f }, depth + 1);
      return f.plusV || f.sharpV ? `${k}:${inner}` : inner;
    });
    const body = '{' + parts.join(sep) + '}';
    if (f.sharpV) return (v.isPointer ? '&' : '') + v.typeName.replace(/^\*/, '') + body;
    return (v.isPointer ? '&' : '') + body;
  }
  const items = sliceItems(v);
  if (items !== undefined) {
    if (f.sharpV) {
      const t = goTypeName(v);
      if (v instanceof GoSlice && v.items === null) return t + '(nil)';
      return t + '{' + (items ?? []).map((e) => printArg(e, verb, f, depth + 1)).join(', ') + '}';
    }
    return '[' + (items ?? []).map((e) => printArg(e, verb, f, depth + 1)).join(' ') + ']';
  }
  const entries = mapEntries(v);
  if (entries !== undefined) {
    const keys = sortedKeys(entries);
    if (f.sharpV) {
      const t = goTypeName(v);
      if (v instanceof GoMap && v.entries === null) return t + '(nil)';
      return (
        t +
        '{' +
        keys.map((k) => `${printArg(k, verb, f, depth + 1)}:${printArg(entries[k], verb, f, depth + 1)}`).join(', ') +
        '}'
      );
    }
    return (
      'map[' +
      keys.map((k) => `${printArg(k, verb, f, depth + 1)}:${printArg(entries[k], verb, f, depth + 1)}`).join(' ') +
      ']'
    );
  }
  return badVerb(verb, String(v), f);
}

/** fmt.Sprint: a space between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printArg(a, 'v', noFlags(), 0);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands, then a newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map((a) => printArg(a, 'v', noFlags(), 0)).join(' ') + '\n';
}

/** fmt.Sprintf, following print.go's doPrintf step by step. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  let goodArgNum: boolean;
  let afterIndex = false;
  const end = format.length;
  let i = 0;
  /** parsenum: digits up to 1e6; beyond that the number (and the rest) is dropped. */
  const parsenum = (start: number): { num: number; ok: boolean; next: number } => {
    let num = 0;
    let j = start;
    let ok = false;
    for (; j < end && format[j]! >= '0' && format[j]! <= '9'; j++) {
      if (num > 1e6) return { num: 0, ok: false, next: end };
      num = num * 10 + (format.charCodeAt(j) - 48);
      ok = true;
    }
    return { num, ok, next: j };
  };
  /** argNumber: `[n]` picks the next operand (1-based). */
  const argNumber = (): void => {
    afterIndex = false;
    if (i >= end || format[i] !== '[') return;
    reordered = true;
    const close = format.indexOf(']', i + 1);
    if (end - i < 3 || close < 0) {
      goodArgNum = false;
      i += 1;
      return;
    }
    const r = parsenum(i + 1);
    const wid = close - i + 1;
    if (!r.ok || r.next !== close) {
      goodArgNum = false;
      i += wid;
      return;
    }
    if (r.num - 1 >= 0 && r.num - 1 < args.length) {
      argNum = r.num - 1;
      i += wid;
      afterIndex = true;
      return;
    }
    goodArgNum = false;
    i += wid;
    afterIndex = true;
  };
  const intFromArg = (): number | undefined => {
    if (argNum >= args.length) return undefined;
    const a = args[argNum++];
    if (!isInt(a)) return undefined;
    const v = numValue(a);
    return v > 1e6 || v < -1e6 ? undefined : v;
  };
  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f = noFlags();
    goodArgNum = true;
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#':
          f.sharp = true;
          break;
        case '0':
          f.zero = !f.minus;
          break;
        case '+':
          f.plus = true;
          break;
        case '-':
          f.minus = true;
          f.zero = false;
          break;
        case ' ':
          f.space = true;
          break;
        default:
          break flags;
      }
    }
    argNumber();
    if (i < end && format[i] === '*') {
      i++;
      const w = intFromArg();
      if (w === undefined) out += '%!(BADWIDTH)';
      else if (w < 0) {
        f.wid = -w;
        f.minus = true;
        f.zero = false;
      } else f.wid = w;
      afterIndex = false;
    } else {
      const r = parsenum(i);
      if (r.ok) f.wid = r.num;
      i = r.next;
      if (afterIndex && r.ok) goodArgNum = false;
    }
    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      argNumber();
      if (i < end && format[i] === '*') {
        i++;
        const p = intFromArg();
        if (p === undefined || p < 0) out += '%!(BADPREC)';
        else f.prec = p;
        afterIndex = false;
      } else {
        const r = parsenum(i);
        f.prec = r.ok ? r.num : 0;
        i = r.next;
      }
    }
    if (!afterIndex) argNumber();
    if (i >= end) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (!goodArgNum) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    if (verb === 'v') {
      f.sharpV = f.sharp;
      f.sharp = false;
      f.plusV = f.plus;
      f.plus = false;
    }
    const a = args[argNum++];
    out += verb === 'w' ? badVerb(verb, a, f) : printArg(a, verb, f, 0);
  }
  if (!reordered && argNum < args.length) {
    out +=
      '%!(EXTRA ' +
      args
        .slice(argNum)
        .map((a) => (a === undefined || a === null ? '<nil>' : `${goTypeName(a)}=${printArg(a, 'v', noFlags(), 0)}`))
        .join(', ') +
      ')';
  }
  return out;
}
