/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1, RFC 9110 §11.6.1): one header may hold several
 * challenges; parameters are tokens or quoted strings with `\` escapes; commas separate both
 * parameters and challenges, and may appear inside quotes.
 */

export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`, … */
  scheme: string;
  /** Parameters with lower-cased names (`realm`, `service`, `scope`, `error`). */
  params: Record<string, string>;
  /** A token68 credential form, when the challenge carried one instead of parameters. */
  token68?: string;
}

const MAX_HEADER = 16 * 1024;
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

export function parseChallenges(header: string): Challenge[] {
  const s = header.length > MAX_HEADER ? header.slice(0, MAX_HEADER) : header;
  const out: Challenge[] = [];
  let i = 0;
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const quoted = (): string => {
    // s[i] === '"'
    i++;
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      v += s[i];
      i++;
    }
    i++; // closing quote (or end)
    return v;
  };
  // Is there `token BWS =` (and not `==`, which would be token68 padding) at position p?
  const paramAhead = (): boolean => {
    const save = i;
    const name = token();
    ws();
    const ok = name.length > 0 && s[i] === '=' && s[i + 1] !== '=';
    i = save;
    return ok;
  };

  while (i < s.length) {
    while (i < s.length && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= s.length) break;
    const scheme = token();
    if (!scheme) {
      i++; // skip a stray character
      continue;
    }
    const ch: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(ch);
    ws();
    // token68 form: `Negotiate abc==`
    if (!paramAhead()) {
      const start = i;
      while (i < s.length && TOKEN68_CHAR.test(s[i]!)) i++;
      while (i < s.length && s[i] === '=') i++;
      if (i > start) ch.token68 = s.slice(start, i);
      continue;
    }
    for (;;) {
      ws();
      if (!paramAhead()) break;
      const name = token().toLowerCase();
      ws();
      i++; // '='
      ws();
      const value = s[i] === '"' ? quoted() : token();
      if (!(name in ch.params)) ch.params[name] = value;
      ws();
      if (s[i] === ',') {
        i++;
        ws();
        // After a comma: another parameter, or the next challenge's scheme.
        if (paramAhead()) continue;
        break;
      }
      break;
    }
  }
  return out;
}
