import { describe, expect, it } from 'vitest';
import {
  createdSince,
  ellipsis,
  exactDecimal,
  roundDigits,
  roundedDigits,
  formatG,
  goJson,
  goTimeString,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  rfc3339,
  tabwrite,
  truncateId,
} from './format.ts';

const KB = 1000,
  MB = 1000 * KB,
  GB = 1000 * MB,
  TB = 1000 * GB,
  PB = 1000 * TB;

describe('humanSize (docker/go-units size_test.go TestHumanSize goldens)', () => {
  it.each([
    [1000, '1kB'],
    [1024, '1.024kB'],
    [1000000, '1MB'],
    [1048576, '1.049MB'],
    [2 * MB, '2MB'],
    [3.42 * GB, '3.42GB'],
    [5.372 * TB, '5.372TB'],
    [2.22 * PB, '2.22PB'],
    [10000000000000 * PB, '1e+04YB'],
  ])('HumanSize(%d) = %s', (n, want) => expect(humanSize(n)).toBe(want));
});

describe('humanSizeWithPrecision: Go %g edges', () => {
  // Derivations: sizes are divided by 1000 in float64, then %.<p>g rounds the exact binary
  // value half-to-even and switches to exponent form when the exponent reaches p.
  it.each([
    [0, 3, '0B'],
    [999, 3, '999B'],
    [1000, 3, '1kB'],
    [999_499, 3, '999kB'], // 999.499
    [999_500, 3, '1e+03kB'], // 999.5 exactly: tie, 9 is odd → up → 1000 → exponent form
    [999_500, 4, '999.5kB'],
    [999_600, 3, '1e+03kB'],
    [1_000_000, 3, '1MB'],
    [1_005_000, 3, '1MB'], // 1.005 is 1.00499999… in binary
    [1_005_000, 4, '1.005MB'],
    [12_250, 3, '12.2kB'], // 12.25 exact: tie, 2 is even → down (toPrecision would say 12.3)
    [1_125, 3, '1.12kB'], // 1.125 exact: tie → even
    [1_135, 3, '1.14kB'], // 1.135 is 1.13500000000000000888…: above the tie → up
    [13_300, 3, '13.3kB'],
    [864e6, 3, '864MB'],
    [1.09e9, 3, '1.09GB'],
    [2 ** 53, 3, '9.01PB'],
    [2 ** 53, 4, '9.007PB'],
    [100_000, 3, '100kB'],
  ])('%d at precision %d = %s', (n, p, want) => expect(humanSizeWithPrecision(n, p)).toBe(want));

  it('formats %g like Go for other magnitudes', () => {
    expect(formatG(123456, 4)).toBe('1.235e+05');
    expect(formatG(0.0001234, 3)).toBe('0.000123');
    expect(formatG(0.00001234, 3)).toBe('1.23e-05');
    expect(formatG(1.5, 3)).toBe('1.5');
    expect(formatG(-2.5, 1)).toBe('-2');
    expect(formatG(1e23, 4)).toBe('1e+23');
  });
});

describe('humanDuration (docker/go-units duration_test.go goldens)', () => {
  const s = 1000,
    min = 60 * s,
    h = 60 * min,
    day = 24 * h,
    week = 7 * day,
    month = 30 * day,
    year = 365 * day;
  it.each([
    [450, 'Less than a second'],
    [1 * s, '1 second'],
    [45 * s, '45 seconds'],
    [46 * s, '46 seconds'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [1 * min, 'About a minute'],
    [3 * min, '3 minutes'],
    [35 * min, '35 minutes'],
    [35 * min + 40 * s, '35 minutes'],
    [45 * min, '45 minutes'],
    [45 * min + 40 * s, '45 minutes'],
    [46 * min, '46 minutes'],
    [59 * min, '59 minutes'],
    [1 * h, 'About an hour'],
    [1 * h + 29 * min, 'About an hour'],
    [1 * h + 31 * min, '2 hours'],
    [1 * h + 59 * min, '2 hours'],
    [3 * h, '3 hours'],
    [3 * h + 29 * min, '3 hours'],
    [3 * h + 31 * min, '4 hours'],
    [3 * h + 59 * min, '4 hours'],
    [3 * h + 60 * min, '4 hours'],
    [24 * h, '24 hours'],
    [1 * day + 12 * h, '36 hours'],
    [2 * day, '2 days'],
    [7 * day, '7 days'],
    [13 * day + 5 * h, '13 days'],
    [2 * week, '2 weeks'],
    [2 * week + 4 * day, '2 weeks'],
    [3 * week, '3 weeks'],
    [4 * week, '4 weeks'],
    [4 * week + 3 * day, '4 weeks'],
    [1 * month, '4 weeks'],
    [1 * month + 2 * week, '6 weeks'],
    [2 * month, '2 months'],
    [2 * month + 2 * week, '2 months'],
    [3 * month, '3 months'],
    [3 * month + 1 * week, '3 months'],
    [5 * month + 2 * week, '5 months'],
    [13 * month, '13 months'],
    [23 * month, '23 months'],
    [24 * month, '24 months'],
    [24 * month + 2 * week, '2 years'],
    [3 * year + 2 * month, '3 years'],
  ])('HumanDuration(%d ms) = %s', (ms, want) => expect(humanDuration(ms)).toBe(want));

  it('says "Less than a second" for a creation time in the future, and appends " ago"', () => {
    expect(humanDuration(-5000)).toBe('Less than a second');
    expect(createdSince(1_700_000_000, 1_700_000_000_000 + 3 * 3_600_000)).toBe('3 hours ago');
  });
});

describe('times and IDs', () => {
  it('prints Go time.String() and RFC 3339 in UTC', () => {
    expect(goTimeString(1704207845)).toBe('2024-01-02 15:04:05 +0000 UTC');
    expect(rfc3339(1483272003)).toBe('2017-01-01T12:00:03Z');
    expect(rfc3339(-62135596800)).toBe('0001-01-01T00:00:00Z');
  });
  it('truncates IDs as stringid.TruncateID', () => {
    expect(truncateId('sha256:0123456789abcdef0123')).toBe('0123456789ab');
    expect(truncateId('<missing>')).toBe('<missing>');
    expect(truncateId('abcdef')).toBe('abcdef');
  });
  it('cuts with an ellipsis as formatter.Ellipsis', () => {
    const cmd = '/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / ';
    expect(ellipsis(cmd, 45)).toBe('/bin/sh -c #(nop) ADD file:0123456789abcdef0…');
    expect(Array.from(ellipsis(cmd, 45)).length).toBe(45);
    expect(ellipsis('short', 45)).toBe('short');
    expect(ellipsis('日本語のテキスト', 7)).toBe('日本語…');
  });
});

describe('tabwrite (tabwriter minwidth 10, padding 3)', () => {
  it('pads each column to max(widest + 3, 10) and leaves the last one alone', () => {
    const out = tabwrite(
      'REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nubuntu\tlatest\t0123456789ab\t2 weeks ago\t77.9MB\n',
    );
    expect(out).toBe(
      'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n' +
        'ubuntu       latest    0123456789ab   2 weeks ago   77.9MB\n',
    );
  });
  it('prints a header-only table when there are no rows', () => {
    expect(tabwrite('REPOSITORY\tTAG\n')).toBe('REPOSITORY   TAG\n');
  });
  it('keeps columns of non-contiguous lines apart, as Go does', () => {
    expect(tabwrite('aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n', 0, 1)).toBe(
      'aaaa bbb d\naa   b   dd\na    \naa   cccc eee\n',
    );
  });
  it('counts East Asian wide characters as two columns', () => {
    expect(tabwrite('日本\tx\nab\ty\n', 0, 1)).toBe('日本 x\nab   y\n');
  });
});

describe('goJson', () => {
  it('escapes <, >, & like json.Marshal unless asked not to', () => {
    expect(goJson({ a: '<none> & co' })).toBe('{"a":"\\u003cnone\\u003e \\u0026 co"}');
    expect(goJson({ a: '<none>' }, { escapeHTML: false })).toBe('{"a":"<none>"}');
    expect(goJson(['x'], { indent: '    ' })).toBe('[\n    "x"\n]');
  });
});

describe('roundedDigits (the toPrecision fast path)', () => {
  it('equals rounding the exact expansion, ties to even included', () => {
    const xs = [
      1,
      1.5,
      999.5,
      999.6,
      999.95,
      0.125,
      0.0625,
      2.5,
      3.5,
      1.25,
      12.25,
      1e-7,
      123456789,
      2 ** 53,
      1e21,
      5e-324,
    ];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 10_000; i++) {
      xs.push(1 + rnd() * 999); // a size divided down to [1, 1000)
      xs.push(Math.floor(rnd() * 2 ** 40) / 1000);
      xs.push(Math.round(rnd() * 99999) / 1000 + 0.0005); // near ties at 3-4 digits
      xs.push(Math.floor(rnd() * 8192) / 64); // exact binary fractions: real ties
      xs.push(Math.exp((rnd() - 0.5) * 100));
    }
    for (const x of xs)
      for (const n of [1, 2, 3, 4, 6])
        expect(roundedDigits(x, n), `${x} to ${n}`).toEqual(roundDigits(exactDecimal(x), n));
  });
});
