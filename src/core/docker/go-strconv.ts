/**
 * The number and string formatting of Go's strconv and fmt/format.go that `printf` needs:
 * integers in any base with fmt's sign, `#`, precision and zero-padding rules; floats in `e`,
 * `f` and `g` form rounded from the exact binary value (ties to even, as strconv does); and
 * strconv.Quote / QuoteRune.
 */
import { exactDecimal, roundDigits } from './format.ts';

export interface FmtFlags {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  /** `%+v` and `%#v`: set by the `v` verb from `plus` / `sharp`. */
  plusV: boolean;
  sharpV: boolean;
  wid?: number;
  prec?: number;
}

export const noFlags = (): FmtFlags => ({
  minus: false,
  plus: false,
  sharp: false,
  space: false,
  zero: false,
  plusV: false,
  sharpV: false,
});

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** fmt's pad: width counts runes; `-` pads on the right; `0` pads strings with zeros. */
export function pad(s: string, f: FmtFlags, zeroOk = true): string {
  const w = f.wid;
  if (w === undefined) return s;
  const n = w - runeCount(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  return (f.zero && zeroOk ? '0' : ' ').repeat(n) + s;
}

/** fmt.fmtInteger. `verb` is one of d b o O x X. */
export function fmtInteger(value: number, unsigned: boolean, verb: string, f: FmtFlags): string {
  const neg = value < 0 && !unsigned;
  let u = BigInt(Math.trunc(Math.abs(value)));
  if (unsigned && value < 0) u = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  const base = verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : verb === 'x' || verb === 'X' ? 16 : 10;
  let digits = u.toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  let prec = -1;
  if (f.prec !== undefined) {
    prec = f.prec;
    if (prec === 0 && u === 0n) return pad('', { ...f, zero: false });
  } else if (f.zero && f.wid !== undefined && !f.minus) {
    prec = f.wid;
    if (neg || f.plus || f.space) prec--;
  }
  if (prec > digits.length) digits = '0'.repeat(prec - digits.length) + digits;
  if (f.sharp) {
    if (base === 8 && digits[0] !== '0') digits = '0' + digits;
    else if (base === 16) digits = (verb === 'X' ? '0X' : '0x') + digits;
    else if (base === 2) digits = '0b' + digits;
  }
  if (verb === 'O') digits = '0o' + digits;
  if (neg) digits = '-' + digits;
  else if (f.plus) digits = '+' + digits;
  else if (f.space) digits = ' ' + digits;
  return pad(digits, { ...f, zero: false });
}

interface Dec {
  digits: string;
  dp: number;
}

/** Round to n significant digits; n may be 0 or negative (everything rounds away). */
function roundTo(d: Dec, n: number): Dec {
  if (n < 0) return { digits: '', dp: d.dp };
  if (n === 0) {
    const first = d.digits.charCodeAt(0) - 48;
    const up = first > 5 || (first === 5 && /[1-9]/.test(d.digits.slice(1)));
    return up ? { digits: '1', dp: d.dp + 1 } : { digits: '', dp: d.dp };
  }
  const r = roundDigits(d, n);
  return r.digits === '0' ? { digits: '', dp: d.dp } : r;
}

/** Shortest digits that read back as x (what JavaScript and Go both print by default). */
function shortest(x: number): Dec {
  const [m, e] = x.toExponential().split('e') as [string, string];
  const digits = m.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, dp: Number(e) + 1 };
}

function digitAt(d: Dec, i: number): string {
  return i >= 0 && i < d.digits.length ? d.digits[i]! : '0';
}

function fmtE(d: Dec, prec: number, upper: boolean): string {
  let s = d.digits.length ? d.digits[0]! : '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(d, i);
  }
  const exp = d.digits.length ? d.dp - 1 : 0;
  const ae = Math.abs(exp);
  return s + (upper ? 'E' : 'e') + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' : '') + String(ae);
}

function fmtF(d: Dec, prec: number): string {
  let s = '';
  if (d.dp > 0 && d.digits.length) for (let i = 0; i < d.dp; i++) s += digitAt(d, i);
  else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) s += digitAt(d, d.dp + i);
  }
  return s;
}

/** strconv.FormatFloat(|x|, verb, prec, 64) for finite x. prec < 0 is the shortest form. */
function formatAbs(x: number, verb: string, prec: number): string {
  if (verb === 'b' || verb === 'x' || verb === 'X') return formatBinary(x, verb, prec);
  const exact = x === 0 ? { digits: '', dp: 1 } : exactDecimal(x);
  const isShortest = prec < 0;
  const sh = (): Dec => (x === 0 ? { digits: '', dp: 1 } : shortest(x));
  switch (verb) {
    case 'e':
    case 'E': {
      const d = isShortest ? sh() : roundTo(exact, prec + 1);
      return fmtE(d, isShortest ? Math.max(d.digits.length - 1, 0) : prec, verb === 'E');
    }
    case 'f':
    case 'F': {
      const d = isShortest ? sh() : roundTo(exact, exact.dp + prec);
      return fmtF(d, isShortest ? Math.max(d.digits.length - d.dp, 0) : prec);
    }
    default: {
      // %g: strconv's %e for large or small exponents, %f otherwise.
      let p = prec;
      if (p === 0) p = 1;
      const d = isShortest ? sh() : roundTo(exact, p);
      const nd = Math.max(d.digits.length, 1);
      let eprec = p;
      if (isShortest) eprec = 6;
      else if (eprec > nd && nd >= d.dp) eprec = nd;
      const exp = d.digits.length ? d.dp - 1 : 0;
      if (exp < -4 || exp >= eprec) {
        const ep = isShortest ? d.digits.length - 1 : Math.min(p, nd) - 1;
        return fmtE(d, Math.max(ep, 0), verb === 'G');
      }
      const fp = isShortest ? Math.max(d.digits.length - d.dp, 0) : Math.max(Math.min(p, nd) - d.dp, 0);
      return fmtF(d.digits.length ? d : { digits: '', dp: 1 }, fp);
    }
  }
}

/** fmt.fmtFloat: `verb` is one of e E f F g G; prec undefined means the verb's default. */
export function fmtFloat(x: number, verb: string, f: FmtFlags, defaultPrec: number): string {
  const prec = f.prec ?? defaultPrec;
  const neg = x < 0 || Object.is(x, -0);
  let num: string;
  if (Number.isNaN(x)) num = '+NaN';
  else if (!Number.isFinite(x)) num = neg ? '-Inf' : '+Inf';
  else num = (neg ? '-' : '+') + formatAbs(Math.abs(x), verb, prec);
  if (f.space && num[0] === '+' && !f.plus) num = ' ' + num.slice(1);
  if (num[1] === 'I' || num[1] === 'N') {
    // Infinities and NaN are never zero-padded; NaN drops its sign unless asked for.
    if (num[1] === 'N' && !f.space && !f.plus) num = num.slice(1);
    return pad(num, f, false);
  }
  if (f.sharp && verb !== 'b') num = sharpFloat(num, verb, prec);
  if (f.plus || num[0] !== '+') {
    if (f.zero && f.wid !== undefined && f.wid > num.length) {
      return num[0] + '0'.repeat(f.wid - num.length) + num.slice(1);
    }
    return pad(num, f);
  }
  return pad(num.slice(1), f);
}

const ESC: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

/** unicode.IsPrint, close enough: letters, marks, numbers, punctuation, symbols, U+0020. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function quoteWith(s: string, q: string, asciiOnly: boolean): string {
  let out = q;
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === q || c === '\\') out += '\\' + c;
    else if (PRINTABLE.test(c) && (!asciiOnly || cp < 0x80)) out += c;
    else if (ESC[c]) out += ESC[c];
    else if (cp < 0x80 && cp < 0x20) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp === 0x7f) out += '\\x7f';
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + q;
}

/** strconv.Quote (asciiOnly: QuoteToASCII). */
export function goQuote(s: string, asciiOnly = false): string {
  return quoteWith(s, '"', asciiOnly);
}

/** strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (const c of s) {
    if (c === '`' || c === '\ufeff') return false;
    const cp = c.codePointAt(0)!;
    if ((cp < 0x20 && c !== '\t') || cp === 0x7f) return false;
  }
  return true;
}

/** strconv.QuoteRune: invalid runes become U+FFFD. */
export function goQuoteRune(r: number, asciiOnly = false): string {
  const valid = r >= 0 && r <= 0x10ffff && !(r >= 0xd800 && r <= 0xdfff);
  return quoteWith(String.fromCodePoint(valid ? r : 0xfffd), "'", asciiOnly);
}

export function runeString(r: number): string {
  const valid = r >= 0 && r <= 0x10ffff && !(r >= 0xd800 && r <= 0xdfff);
  return String.fromCodePoint(valid ? r : 0xfffd);
}

/** fmt.fmtFloat's `#` flag: always a decimal point; %g keeps its trailing zeros. */
function sharpFloat(num: string, verb: string, prec: number): string {
  let digits =
    verb === 'g' || verb === 'G' || verb === 'v' || verb === 'x' || verb === 'X' ? (prec === -1 ? 6 : prec) : 0;
  let tail = '';
  let hasPoint = false;
  let sawNonzero = false;
  let body = num;
  for (let i = 1; i < body.length; i++) {
    const c = body[i]!;
    if (c === '.') hasPoint = true;
    else if (c === 'p' || c === 'P' || ((c === 'e' || c === 'E') && verb !== 'x' && verb !== 'X')) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    } else {
      if (c !== '0') sawNonzero = true;
      if (sawNonzero) digits--;
    }
  }
  if (!hasPoint) {
    if (body.length === 2 && body[1] === '0') digits--;
    body += '.';
  }
  while (digits-- > 0) body += '0';
  return body + tail;
}

const M64 = (1n << 64n) - 1n;

/** strconv's %b (`mantissa p exponent`) and %x / %X (hexadecimal mantissa, binary exponent). */
function formatBinary(x: number, verb: string, prec: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp -= 1023;
  if (verb === 'b') {
    const e = exp - 52;
    return `${mant}p${e >= 0 ? '+' : '-'}${Math.abs(e)}`;
  }
  if (mant === 0n) exp = 0;
  mant = (mant << 8n) & M64;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant = (mant << 1n) & M64;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = (d: bigint): string => (verb === 'X' ? d.toString(16).toUpperCase() : d.toString(16));
  let out = '0' + verb + String((mant >> 60n) & 1n);
  mant = (mant << 4n) & M64;
  if (prec < 0 && mant !== 0n) {
    out += '.';
    while (mant !== 0n) {
      out += hex((mant >> 60n) & 15n);
      mant = (mant << 4n) & M64;
    }
  } else if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      out += hex((mant >> 60n) & 15n);
      mant = (mant << 4n) & M64;
    }
  }
  out += verb === 'X' ? 'P' : 'p';
  out += exp < 0 ? '-' : '+';
  const ae = Math.abs(exp);
  return out + (ae < 10 ? '0' : '') + String(ae);
}
