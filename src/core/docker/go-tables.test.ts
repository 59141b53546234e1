/**
 * Test tables ported from Go's own tests (Go 1.19 source, as Debian's golang-go ships it):
 * testdata/go-fmt-tests.json is fmt_test.go's fmtTests (entries with a literal operand) and
 * testdata/go-exec-tests.json is text/template's exec_test.go execTests (entries that use only
 * builtins, constants and tVal's basic fields); scripts/extract-go-template-tests.py makes
 * both. The reorder and star tables below are copied by hand from fmt_test.go.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sprintf } from './template-fmt.ts';
import { GoMap, GoNum, GoSlice, GoStruct, T } from './template-values.ts';
import { parseTemplate } from './template.ts';

const load = <R>(name: string): R[] =>
  JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')) as R[];

describe("Go's fmt_test.go fmtTests", () => {
  const cases = load<[string, string, unknown, string]>('go-fmt-tests.json');
  it.each(cases)('Sprintf(%j, %s %j) = %j', (format, type, value, want) => {
    const arg =
      type === 'int' || type === 'string' || type === 'bool' ? value : new GoNum(type as 'int64', value as number);
    expect(sprintf(format, [arg])).toBe(want);
  });
});

describe("Go's fmt_test.go reorderTests and startests", () => {
  const f = (n: number): GoNum => new GoNum('float64', n);
  const cases: [string, unknown[], string][] = [
    ['%[1]d', [1], '1'],
    ['%[2]d', [2, 1], '1'],
    ['%[2]d %[1]d', [1, 2], '2 1'],
    ['%[2]*[1]d', [2, 5], '    2'],
    ['%6.2f', [f(12)], ' 12.00'],
    ['%[3]*.[2]*[1]f', [f(12), 2, 6], ' 12.00'],
    ['%[1]*.[2]*[3]f', [6, 2, f(12)], ' 12.00'],
    ['%[1]*[3]f', [10, 99, f(12)], ' 12.000000'],
    ['%.[1]*[3]f', [6, 99, f(12)], '12.000000'],
    ['%6.f', [f(12)], '    12'],
    ['%[1]*.[3]f', [6, 3, f(12)], '    12'],
    ['%d %d %d %#[1]o %#o %#o', [11, 12, 13], '11 12 13 013 014 015'],
    ['%[d', [2, 1], '%!d(BADINDEX)'],
    ['%]d', [2, 1], '%!](int=2)d%!(EXTRA int=1)'],
    ['%[]d', [2, 1], '%!d(BADINDEX)'],
    ['%[-3]d', [2, 1], '%!d(BADINDEX)'],
    ['%[99]d', [2, 1], '%!d(BADINDEX)'],
    ['%[3]', [2, 1], '%!(NOVERB)'],
    ['%[1].2d', [5, 6], '%!d(BADINDEX)'],
    ['%[1]2d', [2, 1], '%!d(BADINDEX)'],
    ['%3.[2]d', [7], '%!d(BADINDEX)'],
    ['%.[2]d', [7], '%!d(BADINDEX)'],
    ['%d %d %d %#[1]o %#o %#o %#o', [11, 12, 13], '11 12 13 013 014 015 %!o(MISSING)'],
    ['%[5]d %[2]d %d', [1, 2, 3], '%!d(BADINDEX) 2 3'],
    ['%d %[3]d %d', [1, 2], '1 %!d(BADINDEX) 2'],
    ['%.[]', [], '%!](BADINDEX)'],
    ['%.-3d', [42], '%!-(int=42)3d'],
    ['%2147483648d', [42], '%!(NOVERB)%!(EXTRA int=42)'],
    ['%-2147483648d', [42], '%!(NOVERB)%!(EXTRA int=42)'],
    ['%.2147483648d', [42], '%!(NOVERB)%!(EXTRA int=42)'],
    ['%*d', [4, 42], '  42'],
    ['%-*d', [4, 42], '42  '],
    ['%*d', [-4, 42], '42  '],
    ['%-*d', [-4, 42], '42  '],
    ['%.*d', [4, 42], '0042'],
    ['%*.*d', [8, 4, 42], '    0042'],
    ['%0*d', [4, 42], '0042'],
    ['%0*d', [new GoNum('uint', 4), 42], '0042'],
    ['%*d', [null, 42], '%!(BADWIDTH)42'],
    ['%*d', [1e7, 42], '%!(BADWIDTH)42'],
    ['%*d', [-1e7, 42], '%!(BADWIDTH)42'],
    ['%.*d', [null, 42], '%!(BADPREC)42'],
    ['%.*d', [-1, 42], '%!(BADPREC)42'],
    ['%.*d', [1e7, 42], '%!(BADPREC)42'],
    ['%*d', [5, 'foo'], '%!d(string=  foo)'],
    ['%*% %d', [20, 5], '% 5'],
    ['%*', [4], '%!(NOVERB)'],
    ['', [null], '%!(EXTRA <nil>)'],
    ['', [2], '%!(EXTRA int=2)'],
    ['no args', ['hello'], 'no args%!(EXTRA string=hello)'],
    ['%010.2', ['12345'], '%!(NOVERB)%!(EXTRA string=12345)'],
  ];
  it.each(cases)('Sprintf(%j, %j) = %j', (format, args, want) => {
    expect(sprintf(format, args)).toBe(want);
  });
});

describe("Go's text/template exec_test.go execTests", () => {
  // exec_test.go's tVal, the fields these cases use, typed as declared there.
  const tVal = new GoStruct(
    '*template.T',
    {
      True: true,
      I: 17,
      U16: new GoNum('uint16', 16),
      X: 'x',
      S: 'xyz',
      FloatZero: new GoNum('float64', 0),
      U: new GoStruct('*template.U', { V: 'v' }, 'struct'),
      SI: new GoSlice(T.int, [3, 4, 5]),
      SIEmpty: new GoSlice(T.int, null),
      SB: new GoSlice(T.bool, [true, false]),
      MSI: new GoMap(T.int, { one: 1, two: 2, three: 3 }),
      MSIone: new GoMap(T.int, { one: 1 }),
      MSIEmpty: new GoMap(T.int, null),
      SMSI: new GoSlice(T.map(T.int), [
        new GoMap(T.int, { one: 1, two: 2 }),
        new GoMap(T.int, { eleven: 11, twelve: 12 }),
      ]),
      Empty0: undefined,
      Empty1: 3,
      Empty2: 'empty2',
      Empty3: new GoSlice(T.int, [7, 8]),
      Empty4: new GoStruct('*template.U', { V: 'UinEmpty' }, 'struct'),
    },
    'struct',
  );
  const cases = load<[string, string, string, boolean, string]>('go-exec-tests.json');
  it.each(cases)('%s: %j', (_name, tmpl, want, ok, data) => {
    const dot = data === 'nil' ? undefined : data === '0' ? 0 : tVal;
    const run = (): string => parseTemplate(tmpl).execute(dot);
    if (ok) expect(run()).toBe(want);
    else expect(run).toThrow();
  });
});
