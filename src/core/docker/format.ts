/**
 * Docker CLI output primitives, byte for byte: sizes (docker/go-units `size.go`), ages
 * (go-units `duration.go`), IDs (moby `stringid`), `Ellipsis` (docker/cli formatter
 * `displayutils.go`), the elastic-tabstop table writer docker/cli uses
 * (`tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`), and Go's `encoding/json` string escaping.
 *
 * Everything here reimplements Go semantics, not JavaScript's: `%g` rounds the exact binary
 * value half-to-even (`Number#toPrecision` rounds ties up), and `int()` truncates.
 */

// ---------------------------------------------------------------------------------------------
// Go's %.<prec>g

/** Exact decimal expansion of a positive finite double: value = 0.digits × 10^dp. */
export function exactDecimal(x: number): { digits: string; dp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (expBits === 0) {
    e = -1074;
  } else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  let digits: string;
  let dp: number;
  if (e >= 0) {
    digits = (mant << BigInt(e)).toString();
    dp = digits.length;
  } else {
    // m / 2^k = m·5^k / 10^k: exact.
    digits = (mant * 5n ** BigInt(-e)).toString();
    dp = digits.length + e;
  }
  digits = digits.replace(/0+$/, '');
  return { digits, dp };
}

/**
 * `x` (> 0, finite) rounded to `n` significant digits, ties to even, as roundDigits(exactDecimal(x), n).
 * `toPrecision(n)` rounds the exact binary value too, and differs only on an exact tie, which
 * needs the exact value to end in 5 at digit n+1: so when `toPrecision(n + 1)` does not end in
 * 5 its answer is Go's, without the BigInt expansion (a size in `docker images` costs ~1 µs
 * instead of ~15).
 */
export function roundedDigits(x: number, n: number): { digits: string; dp: number } {
  if (n >= 1 && n < 100) {
    const longer = x.toPrecision(n + 1);
    const e = longer.indexOf('e');
    if (longer.charCodeAt((e < 0 ? longer.length : e) - 1) !== 53 /* '5' */) return precisionDigits(x.toPrecision(n));
  }
  return roundDigits(exactDecimal(x), n);
}

/** `toPrecision`'s output (`123.4`, `0.00123`, `1.23e+5`) as digits and decimal point. */
function precisionDigits(s: string): { digits: string; dp: number } {
  let exp = 0;
  const e = s.indexOf('e');
  if (e >= 0) {
    exp = Number(s.slice(e + 1));
    s = s.slice(0, e);
  }
  const dot = s.indexOf('.');
  const int = dot < 0 ? s : s.slice(0, dot);
  let digits = dot < 0 ? s : int + s.slice(dot + 1);
  let dp = int.length + exp;
  let lead = 0;
  while (lead < digits.length - 1 && digits.charCodeAt(lead) === 48) lead++;
  digits = digits.slice(lead).replace(/0+$/, '');
  dp -= lead;
  return digits === '' ? { digits: '0', dp: 1 } : { digits, dp };
}

/** Round a digit string to `n` significant digits, ties to even (strconv decimal.go). */
export function roundDigits(d: { digits: string; dp: number }, n: number): { digits: string; dp: number } {
  const { digits, dp } = d;
  if (digits.length <= n) return d;
  const next = digits.charCodeAt(n) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (/[1-9]/.test(digits.slice(n + 1))) up = true;
  else up = n > 0 && (digits.charCodeAt(n - 1) - 48) % 2 === 1;
  let kept = digits.slice(0, n);
  let newDp = dp;
  if (up) {
    const arr = kept.split('').map((c) => c.charCodeAt(0) - 48);
    let i = arr.length - 1;
    while (i >= 0 && arr[i] === 9) {
      arr[i] = 0;
      i--;
    }
    if (i < 0) {
      arr.unshift(1);
      arr.pop();
      newDp++;
    } else {
      arr[i]!++;
    }
    kept = arr.join('');
  }
  kept = kept.replace(/0+$/, '');
  if (kept === '') return { digits: '0', dp: 1 };
  return { digits: kept, dp: newDp };
}

/** `fmt.Sprintf("%.<prec>g", x)` for finite x, as Go's strconv formats it. */
export function formatG(x: number, prec: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  if (prec <= 0) prec = 1;
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  if (ax === 0) return neg ? '-0' : '0';
  const { digits, dp } = roundedDigits(ax, prec);
  const nd = digits.length;
  const digitAt = (i: number): string => (i >= 0 && i < nd ? digits[i]! : '0');
  let eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  const exp = dp - 1;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    const p = prec > nd ? nd : prec;
    out = digits[0]!;
    if (p > 1) {
      out += '.';
      for (let i = 1; i < p; i++) out += digitAt(i);
    }
    const ae = Math.abs(exp);
    out += (exp < 0 ? 'e-' : 'e+') + (ae < 10 ? '0' : '') + String(ae);
  } else {
    const p = prec > dp ? nd : prec;
    const frac = Math.max(p - dp, 0);
    let intPart = '';
    if (dp > 0) for (let i = 0; i < dp; i++) intPart += digitAt(i);
    else intPart = '0';
    out = intPart;
    if (frac > 0) {
      out += '.';
      for (let i = 0; i < frac; i++) out += digitAt(dp + i);
    }
  }
  return neg ? '-' + out : out;
}

// ---------------------------------------------------------------------------------------------
// Sizes (go-units size.go)

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'] as const;

/**
 * go-units `HumanSizeWithPrecision`: divide by 1000 (in floating point, as Go does) while
 * ≥ 1000, then `%.<precision>g` and the unit, no space. `docker images` SIZE uses 3.
 */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size = size / 1000;
    i++;
  }
  return formatG(size, precision) + DECIMAL_UNITS[i]!;
}

/** go-units `HumanSize`: four significant digits (`docker system df`, prune's total). */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

// ---------------------------------------------------------------------------------------------
// Ages (go-units duration.go)

/** go-units `HumanDuration` of a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  // Hours are rounded (int(d.Hours() + 0.5)); the rest are truncated from that.
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** Go's zero `time.Time` in Unix seconds (0001-01-01T00:00:00Z): what the daemon reports for an
 * image whose config has no `created`. Not 0: an image may really say 1970-01-01 (reproducible
 * builds do), and Docker prints that as "56 years ago", the zero time as nothing. */
export const GO_ZERO_TIME = -62135596800;

/** `CreatedSince` as docker/cli's image formatter prints it: whole-second creation time,
 * `… ago`; '' for the zero time (`time.IsZero`), which `docker images` shows as N/A. */
export function createdSince(createdUnixSeconds: number, nowMs: number): string {
  if (createdUnixSeconds === GO_ZERO_TIME) return '';
  return humanDuration(nowMs - createdUnixSeconds * 1000) + ' ago';
}

/** Unix seconds of an RFC 3339 date; Go's zero time when absent or unparsable. */
export function unixSeconds(rfc3339: string): number {
  if (!rfc3339) return GO_ZERO_TIME;
  const ms = Date.parse(rfc3339);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : GO_ZERO_TIME;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function utcParts(unixSeconds: number): [string, string] {
  const d = new Date(unixSeconds * 1000);
  const y = d.getUTCFullYear();
  const year = y < 0 ? '-' + pad(-y, 4) : pad(y, 4);
  return [
    `${year}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  ];
}

/**
 * Go's `time.Time.String()` of `time.Unix(s, 0)` in UTC: `2024-01-02 15:04:05 +0000 UTC`
 * (docker images `CreatedAt`). Layerscope prints UTC where Docker uses the local zone.
 */
export function goTimeString(unixSeconds: number): string {
  const [date, time] = utcParts(unixSeconds);
  return `${date} ${time} +0000 UTC`;
}

/** Go's `time.RFC3339` in UTC: `2017-01-01T12:00:03Z` (docker history `CreatedAt`). */
export function rfc3339(unixSeconds: number): string {
  const [date, time] = utcParts(unixSeconds);
  return `${date}T${time}Z`;
}

// ---------------------------------------------------------------------------------------------
// IDs and truncation

/** moby `stringid.TruncateID`: drop an `algo:` prefix, keep at most 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  if (i >= 0) id = id.slice(i + 1);
  return id.length > 12 ? id.slice(0, 12) : id;
}

/** The 12-hex short form `docker images` shows for `sha256:<hex>`. */
export function shortId(digest: string): string {
  return truncateId(digest);
}

/** Display width of one code point, as go-runewidth counts (East Asian wide = 2). */
export function charWidth(cp: number): number {
  if (cp === 0) return 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  // Combining marks and zero-width characters.
  if (
    (cp >= 0x0300 && cp <= 0x036f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0x20d0 && cp <= 0x20ff)
  ) {
    return 0;
  }
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** docker/cli `formatter.Ellipsis`: fit `s` in `max` columns, ending with `…` when cut. */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const rs = Array.from(s);
  if (max === 1) return rs[0] ?? '';
  const widths = rs.map((r) => (r.codePointAt(0)! < 0x80 ? 1 : wideOnly(r.codePointAt(0)!)));
  const total = widths.reduce((a, b) => a + b, 0);
  if (total <= max) return s;
  let acc = 0;
  for (let i = 0; i < rs.length; i++) {
    if (acc + widths[i]! > max - 1) return rs.slice(0, i).join('') + '…';
    acc += widths[i]!;
  }
  return s;
}

/** Ellipsis counts every rune as 1 except East Asian Wide/Fullwidth (x/text/width). */
function wideOnly(cp: number): number {
  return charWidth(cp) === 2 ? 2 : 1;
}

// ---------------------------------------------------------------------------------------------
// The table writer (Go text/tabwriter, as forked by docker/cli)

interface Cell {
  text: string;
  width: number;
}

/**
 * Align tab-terminated cells the way `tabwriter.NewWriter(out, minwidth, 1, padding, ' ', 0)`
 * does: a column is a run of contiguous lines that have a tab-terminated cell at that index;
 * its width is max(widest cell + padding, minwidth); text after the last tab of a line is not
 * part of any column and is never padded.
 */
export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const rawLines = text.split('\n');
  // lines[i] = tab-terminated cells followed by one trailing cell (the text after the last tab).
  const lines: Cell[][] = rawLines.map((l) => l.split('\t').map((t) => ({ text: t, width: displayWidth(t) })));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      let s = '';
      line.forEach((c, j) => {
        s += c.text;
        if (j < widths.length && j < line.length - 1) s += ' '.repeat(Math.max(widths[j]! - c.width, 0));
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let row = line0; row < line1; row++) {
      if (column >= lines[row]!.length - 1) continue;
      // A column block starts here: flush the lines above it.
      writeLines(line0, row);
      line0 = row;
      let width = minwidth;
      for (; row < line1; row++) {
        const line = lines[row]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + padding);
      }
      widths.push(width);
      format(line0, row);
      widths.pop();
      line0 = row;
      row--; // the for-loop increment re-examines `row`, as Go's loop does after the block
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Go encoding/json

/**
 * A JSON text as Go's `encoding/json` writes it. `escapeHTML` (json.Marshal's default) writes
 * `<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026`; U+2028/2029 are always escaped.
 * `indent` gives `MarshalIndent`'s layout (same as JSON.stringify's for these values).
 */
export function goJson(value: unknown, opts: { escapeHTML?: boolean; indent?: string } = {}): string {
  let s = JSON.stringify(value, null, opts.indent) ?? 'null';
  if (opts.escapeHTML !== false) {
    s = s.replace(/[<>&]/g, (c) => '\\u00' + c.charCodeAt(0).toString(16).padStart(2, '0'));
  }
  return s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
