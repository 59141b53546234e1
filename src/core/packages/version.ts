/**
 * Version ordering, to tell an upgrade from a downgrade: dpkg's algorithm (deb-version(5):
 * epoch numerically, then upstream version and revision compared as alternating non-digit
 * and digit runs, `~` sorting before everything, letters before other characters) and rpm's
 * rpmvercmp (alphanumeric segments, digits beat letters, `~` before, `^` after the end).
 */

function dpkgOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function dpkgPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let diff = 0;
    while ((i < a.length && !/\d/.test(a[i]!)) || (j < b.length && !/\d/.test(b[j]!))) {
      const ac = i < a.length && !/\d/.test(a[i]!) ? dpkgOrder(a[i]) : 0;
      const bc = j < b.length && !/\d/.test(b[j]!) ? dpkgOrder(b[j]) : 0;
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (i < a.length && /\d/.test(a[i]!) && j < b.length && /\d/.test(b[j]!)) {
      if (!diff) diff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && /\d/.test(a[i]!)) return 1;
    if (j < b.length && /\d/.test(b[j]!)) return -1;
    if (diff) return diff;
  }
  return 0;
}

function splitDeb(v: string): [number, string, string] {
  const colon = v.indexOf(':');
  const epoch = colon > 0 && /^\d+$/.test(v.slice(0, colon)) ? Number(v.slice(0, colon)) : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash < 0 ? [epoch, rest, ''] : [epoch, rest.slice(0, dash), rest.slice(dash + 1)];
}

/** < 0, 0, > 0 as dpkg --compare-versions orders `a` and `b`. */
export function compareDebVersions(a: string, b: string): number {
  const [ea, ua, ra] = splitDeb(a);
  const [eb, ub, rb] = splitDeb(b);
  if (ea !== eb) return ea - eb;
  return dpkgPart(ua, ub) || dpkgPart(ra, rb);
}

/** rpmvercmp: < 0, 0, > 0. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const alnum = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);
  while (i < a.length || j < b.length) {
    while (i < a.length && !alnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !alnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const digits = /\d/.test(a[i]!);
    const re = digits ? /\d/ : /[A-Za-z]/;
    let ie = i;
    let je = j;
    while (ie < a.length && re.test(a[ie]!)) ie++;
    while (je < b.length && re.test(b[je]!)) je++;
    let sa = a.slice(i, ie);
    let sb = b.slice(j, je);
    if (sb === '') return digits ? 1 : -1;
    if (digits) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length - sb.length;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ie;
    j = je;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** rpm's full order: epoch, then version, then release (`version` here is VERSION-RELEASE). */
export function compareRpm(a: { epoch?: number; version: string }, b: { epoch?: number; version: string }): number {
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (ea !== eb) return ea - eb;
  const [va, ra = ''] = splitLast(a.version);
  const [vb, rb = ''] = splitLast(b.version);
  return rpmvercmp(va, vb) || rpmvercmp(ra, rb);
}

function splitLast(v: string): [string, string?] {
  const d = v.lastIndexOf('-');
  return d < 0 ? [v] : [v.slice(0, d), v.slice(d + 1)];
}
