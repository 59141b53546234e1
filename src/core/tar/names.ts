/**
 * Tar names are bytes; Layerscope keeps them as JS strings. Valid UTF-8 decodes as usual; every
 * byte that is not part of a valid UTF-8 sequence becomes the lone surrogate U+DC80+byte (the
 * mapping Python calls "surrogateescape", PEP 383). Valid UTF-8 never decodes to a surrogate,
 * so the mapping is lossless: two different byte names never become the same string, and
 * `encodeName` gives the original bytes back (the tar writer uses it for every name, link target,
 * user/group name and PAX value). `displayName` makes such names, and names with control, bidi or
 * zero-width characters, visible in the UI the way GNU tar lists them (`hi\200bye`).
 */

const utf8 = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true });

/** First code unit of the escape range: U+DC80 stands for byte 0x80, U+DCFF for 0xFF. */
const ESCAPE_BASE = 0xdc00;
const HAS_ESCAPE = /[\udc80-\udcff]/;

/** Bytes → string, losslessly (see above). ASCII and valid UTF-8 take the fast paths. */
export function decodeName(b: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    if (b[i]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return b.length <= 4096 ? String.fromCharCode.apply(null, b as unknown as number[]) : utf8Lossless(b);
  try {
    return strict.decode(b);
  } catch {
    return utf8Lossless(b);
  }
}

/** Length of the valid UTF-8 sequence at `i` (RFC 3629 §4: no overlongs, no surrogates, at
 * most U+10FFFF), or 0. */
function sequenceAt(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number) => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const c1 = b[i + 1];
    if (c1 === undefined) return 0;
    if (c === 0xe0 && c1 < 0xa0) return 0;
    if (c === 0xed && c1 > 0x9f) return 0; // surrogates
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const c1 = b[i + 1];
    if (c1 === undefined) return 0;
    if (c === 0xf0 && c1 < 0x90) return 0;
    if (c === 0xf4 && c1 > 0x8f) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function utf8Lossless(b: Uint8Array): string {
  let out = '';
  let runStart = 0;
  let i = 0;
  const flush = (end: number) => {
    if (end > runStart) out += strict.decode(b.subarray(runStart, end));
  };
  while (i < b.length) {
    const n = sequenceAt(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    flush(i);
    out += String.fromCharCode(ESCAPE_BASE + b[i]!);
    i++;
    runStart = i;
  }
  flush(i);
  return out;
}

/** String → the bytes it came from: escaped bytes as themselves, the rest as UTF-8. */
export function encodeName(s: string): Uint8Array {
  if (!HAS_ESCAPE.test(s)) return utf8.encode(s);
  const parts: number[] = [];
  let run = '';
  const flush = () => {
    if (run) for (const x of utf8.encode(run)) parts.push(x);
    run = '';
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pairedLow = i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
    if (c >= 0xdc80 && c <= 0xdcff && !pairedLow) {
      flush();
      parts.push(c - ESCAPE_BASE);
    } else run += s[i];
  }
  flush();
  return Uint8Array.from(parts);
}

/** Byte length of `encodeName(s)`. */
export function nameByteLength(s: string): number {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.length : encodeName(s).length;
}

const C_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
// Controls (C0, DEL, C1), escaped bytes, bidi controls, zero-width and invisible format characters.
const NEEDS_DISPLAY_ESCAPE =
  /[\\\x00-\x1f\x7f-\x9f\udc80-\udcff\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/**
 * A name made visible, in GNU tar's `escape` quoting style: `\\` for a backslash, `\t`, `\n`
 * and friends, other control characters and non-UTF-8 bytes as three octal digits (`\200`), and
 * (beyond GNU tar) bidi, zero-width and invisible format characters as `\u202e`. Plain names are
 * returned as they are.
 */
export function displayName(s: string): string {
  if (!NEEDS_DISPLAY_ESCAPE.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pairedLow = i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
    if (c === 0x5c) out += '\\\\';
    else if (C_ESCAPES[c] !== undefined) out += C_ESCAPES[c];
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\${c.toString(8).padStart(3, '0')}`;
    else if (c >= 0xdc80 && c <= 0xdcff && !pairedLow) out += `\\${(c - ESCAPE_BASE).toString(8)}`;
    else if (
      c === 0x061c ||
      (c >= 0x200b && c <= 0x200f) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2060 && c <= 0x2064) ||
      (c >= 0x2066 && c <= 0x2069) ||
      c === 0xfeff
    )
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return out;
}

// What `visibleText` escapes: controls other than tab and newline, escaped bytes, bidi controls,
// zero-width and invisible format characters. Backslashes stay as they are (commands use them).
const NEEDS_TEXT_ESCAPE =
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\udc80-\udcff\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/**
 * Text that is not a name but may carry one (a `created_by` line, a command's output) made safe
 * to show: the characters `displayName` escapes are escaped the same way, except that tab and
 * newline stay (they lay the text out) and a backslash stays one backslash. So `RUN echo
 * \u202eexe.sh` cannot pose as something else, and the output's own layout is kept.
 */
export function visibleText(s: string): string {
  if (!NEEDS_TEXT_ESCAPE.test(s)) return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c || c === 0x09 || c === 0x0a) continue;
    const ch = s[i]!;
    const esc = displayName(ch);
    if (esc === ch) continue;
    // A lone low surrogate after a high one is half of a valid pair, not an escaped byte.
    if (c >= 0xdc80 && c <= 0xdcff && i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff) continue;
    out += s.slice(from, i) + esc;
    from = i + 1;
  }
  return out + s.slice(from);
}
