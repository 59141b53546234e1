/**
 * `--format` on Docker's typed values, against what Go prints.
 *
 * testdata/inspect-goldens.json is the output of scripts/go-template-goldens (Go's
 * text/template and fmt, run on testdata/inspect-fixture.json decoded into the struct shapes
 * docker/cli v29 uses for `docker image inspect`). Pointer addresses, which Go prints for a
 * nested non-nil pointer, differ from run to run and are compared as `0xADDR`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectTyped } from '../commands/inspect-typed.ts';
import { parseTemplate } from './template.ts';
import { BASIC_FUNCS } from './template-funcs.ts';
import { GoMap, GoSlice, GoStruct, T } from './template-values.ts';

const here = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const fixture = JSON.parse(here('inspect-fixture.json')) as Record<string, unknown>;
const goldens = JSON.parse(here('inspect-goldens.json')) as { template: string; out: string; err?: string }[];
const addr = (s: string): string => s.replace(/0xc[0-9a-f]{6,}/g, '0xADDR');

describe('docker image inspect --format, goldens from Go (scripts/go-template-goldens)', () => {
  it.each(goldens)('$template', ({ template, out, err }) => {
    const run = (): string => parseTemplate(template).execute(inspectTyped(fixture));
    if (err !== undefined) expect(run).toThrow(err);
    else expect(addr(run())).toBe(addr(out));
  });
});

describe('docker/cli templates_test.go (TestJoinElements, TestParseTruncateFunction, …)', () => {
  const join = parseTemplate('output: "{{- join . ", " -}}"');
  it('join: nil, non-slice, structs, maps by sorted values, bools', () => {
    expect(join.execute(null)).toBe('output: ""');
    expect(() => join.execute('hello')).toThrow('error calling join: expected slice, got string');
    const ab = (a: string, b: string): GoStruct =>
      new GoStruct('struct { A string; B string }', { A: a, B: b }, 'struct');
    expect(
      join.execute(
        new GoSlice({ kind: 'struct', name: 'struct { A string; B string }' }, [ab('1', '2'), ab('3', '4')]),
      ),
    ).toBe('output: "{1 2}, {3 4}"');
    expect(join.execute(new GoMap(T.string, { A: '1', B: '2', C: '3' }))).toBe('output: "1, 2, 3"');
    expect(join.execute(new GoSlice(T.bool, [true, false, true]))).toBe('output: "true, false, true"');
  });
  it('split/join, json, truncate and pad', () => {
    expect(parseTemplate('{{join (split . ":") "/"}}').execute('text:with:colon')).toBe('text/with/colon');
    expect(parseTemplate('{{json .Ports}}').execute(new GoMap(T.string, { Ports: '0.0.0.0:2->8/udp' }))).toBe(
      '"0.0.0.0:2->8/udp"',
    );
    const source = 'tupx5xzf6hvsrhnruz5cr8gwp';
    const cases: [string, string][] = [
      ['{{truncate . 5}}', 'tupx5'],
      ['{{truncate . 25}}', source],
      ['{{truncate . 30}}', source],
      ['{{pad . 3 3}}', `   ${source}   `],
    ];
    for (const [t, want] of cases) {
      const tmpl = parseTemplate(t);
      expect(tmpl.execute(source)).toBe(want);
      expect(tmpl.execute('')).toBe('');
      // A nil source is an error (docker/cli: "Nil Source Test").
      expect(() => tmpl.execute(null)).toThrow();
    }
  });
  it('every basic function is defined', () => {
    for (const f of ['json', 'split', 'join', 'title', 'lower', 'upper', 'pad', 'truncate'])
      expect(BASIC_FUNCS[f]).toBeDefined();
  });
});
