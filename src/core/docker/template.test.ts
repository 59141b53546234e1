import { describe, expect, it } from 'vitest';
import { GoStruct, parseTemplate, HEADER_FUNCS } from './template.ts';
import { renderRows, FormatError } from './formatter.ts';

const run = (src: string, data: unknown): string => parseTemplate(src).execute(data);

describe('Go template subset', () => {
  const data = {
    Id: 'sha256:abc',
    RepoTags: ['ubuntu:latest', 'ubuntu:24.04'],
    Config: { Env: ['PATH=/usr/bin', 'A=b'], Labels: { z: '1', a: '2' }, Cmd: null },
    Size: 78_000_000,
    Empty: [],
  };
  it('reads fields, nested fields, and prints Go values', () => {
    expect(run('{{.Id}}', data)).toBe('sha256:abc');
    expect(run('{{.Config.Env}}', data)).toBe('[PATH=/usr/bin A=b]');
    expect(run('{{.Config.Labels}}', data)).toBe('map[a:2 z:1]');
    expect(run('{{.Size}}', data)).toBe('78000000');
    expect(run('{{.Missing}}', data)).toBe('<no value>');
    // Go's evalPipeline turns a nil interface{} into no value (checked with Go 1.19's text/template).
    expect(run('{{.Config.Cmd}}', data)).toBe('<no value>');
  });
  it('runs json, index, join, len, upper/lower, split, pad, truncate', () => {
    expect(run('{{json .Config.Env}}', data)).toBe('["PATH=/usr/bin","A=b"]');
    expect(run('{{index .RepoTags 0}}', data)).toBe('ubuntu:latest');
    expect(run('{{join .RepoTags ","}}', data)).toBe('ubuntu:latest,ubuntu:24.04');
    expect(run('{{len .RepoTags}}', data)).toBe('2');
    expect(run('{{upper .Id}} {{lower "ABC"}}', data)).toBe('SHA256:ABC abc');
    expect(run('{{split .Id ":"}}', data)).toBe('[sha256 abc]');
    expect(run('[{{pad .Id 1 2}}]', data)).toBe('[ sha256:abc  ]');
    expect(run('{{truncate .Id 6}}', data)).toBe('sha256');
    expect(run('{{.Id | printf "%s!"}}', data)).toBe('sha256:abc!');
    expect(run('{{json .}}', { b: '<x>' })).toBe('{"b":"<x>"}');
  });
  it('runs range, if/else if/else, with, variables and trim markers', () => {
    expect(run('{{range .RepoTags}}[{{.}}]{{end}}', data)).toBe('[ubuntu:latest][ubuntu:24.04]');
    expect(run('{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}', data)).toBe('0=ubuntu:latest 1=ubuntu:24.04 ');
    expect(run('{{range $k, $v := .Config.Labels}}{{$k}}{{$v}}{{end}}', data)).toBe('a2z1');
    expect(run('{{range .Empty}}x{{else}}none{{end}}', data)).toBe('none');
    expect(run('{{if .Empty}}a{{else if eq .Size 78000000}}b{{else}}c{{end}}', data)).toBe('b');
    expect(run('{{with .Config}}{{len .Env}}{{end}}', data)).toBe('2');
    expect(run('{{$x := .Id}}{{$x}}-{{$.Size}}{{range .RepoTags}}{{$x}}{{end}}', data)).toBe(
      'sha256:abc-78000000sha256:abcsha256:abc',
    );
    expect(run('{{$x := 1}}{{$x = 2}}{{$x}}', data)).toBe('2');
    expect(run('a  {{- "b" -}}  c', {})).toBe('abc');
    expect(run('{{/* comment */}}x', {})).toBe('x');
  });
  it('gives formatter contexts struct semantics: unknown fields are errors', () => {
    const row = new GoStruct('*formatter.imageContext', { ID: '0123456789ab' });
    expect(() => run('{{.Nope}}', row)).toThrow(
      'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext',
    );
  });
  it('reports parse errors in Go words', () => {
    expect(() => parseTemplate('{{.A')).toThrow('template: :1: unclosed action');
    expect(() => parseTemplate('{{if .A}}x')).toThrow('template: :1: unexpected EOF');
    expect(() => parseTemplate('{{end}}')).toThrow('template: :1: unexpected {{end}}');
    expect(() => parseTemplate('x\n{{foo}}')).toThrow('template: :2: function "foo" not defined');
    expect(() => parseTemplate('{{"abc}}')).toThrow('unterminated quoted string');
  });
  it('reports exec errors with position', () => {
    expect(() => run('{{index .RepoTags 5}}', data)).toThrow(
      // Go reports a failed call at the whole command (Go 1.19's text/template, run here).
      'template: :1:2: executing "" at <index .RepoTags 5>: error calling index: index out of range: 5',
    );
  });
  it('is bounded: huge ranges and outputs stop with an error', () => {
    expect(() => run('{{range 100000000}}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{{end}}', {})).toThrow(
      /too many steps|output larger/,
    );
    expect(() => parseTemplate('{{'.repeat(70_000))).toThrow(/longer than/);
    expect(() => parseTemplate('{{if 1}}'.repeat(100) + '{{end}}'.repeat(100))).toThrow(/nested too deeply/);
  });
  it('header functions keep the column name', () => {
    const t = parseTemplate('{{upper .Repository}}|{{json .Tag}}');
    expect(t.execute({ Repository: 'REPOSITORY', Tag: 'TAG' }, HEADER_FUNCS)).toBe('REPOSITORY|TAG');
  });
});

describe('renderRows (formatter.Context.Write)', () => {
  const rows = [new GoStruct('*formatter.imageContext', { Repository: 'ubuntu', Tag: '<none>', ID: '0123456789ab' })];
  const headers = { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID' };
  it('builds the table header from the template, turning \\t into tabs', () => {
    expect(renderRows('table {{.Repository}}:{{.Tag}}\\t{{.ID}}', rows, headers)).toBe(
      'REPOSITORY:TAG   IMAGE ID\nubuntu:<none>    0123456789ab\n',
    );
  });
  it('json is {{json .}}: sorted fields, HTML-escaped as docker images --format json prints', () => {
    expect(renderRows('json', rows, headers)).toBe(
      '{"ID":"0123456789ab","Repository":"ubuntu","Tag":"\\u003cnone\\u003e"}\n',
    );
  });
  // docker/cli formatter/disk_usage_test.go error goldens
  it('wraps errors as "template parsing error"', () => {
    expect(() => renderRows('{{InvalidFunction}}', rows, headers)).toThrow(
      new FormatError('template parsing error: template: :1: function "InvalidFunction" not defined'),
    );
    expect(() => renderRows('{{nil}}', rows, headers)).toThrow(
      'template parsing error: template: :1:2: executing "" at <nil>: nil is not a command',
    );
  });
});
