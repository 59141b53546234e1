import { describe, expect, it } from 'vitest';
import { applyLayers } from '../union/apply.ts';
import { dir, file } from '../union/test-layers.ts';
import { compileGlob, searchPaths } from './search.ts';

const view = applyLayers([
  [
    dir('etc'),
    file('etc/nginx.conf'),
    file('etc/Hosts'),
    dir('etc/ssl'),
    file('etc/ssl/openssl.cnf'),
    dir('usr'),
    dir('usr/lib'),
    file('usr/lib/libc.so.6'),
    file('usr/lib/libm.so.6'),
    file('usr/lib/libz.so.1'),
    dir('usr/share'),
    dir('usr/share/doc'),
    file('usr/share/doc/a.conf'),
  ],
]);

describe('searchPaths', () => {
  it('substring over full paths, case-insensitive by default', () => {
    expect(searchPaths(view, 'hosts')).toEqual(['etc/Hosts']);
    expect(searchPaths(view, 'hosts', { caseSensitive: true })).toEqual([]);
    expect(searchPaths(view, 'ssl/')).toEqual(['etc/ssl/openssl.cnf']);
    expect(searchPaths(view, '/usr/lib/')).toHaveLength(3);
    expect(searchPaths(view, '')).toEqual([]);
    expect(searchPaths(view, 'lib', { limit: 2 })).toEqual(['usr/lib', 'usr/lib/libc.so.6']);
  });

  it('globs without / match base names, with / the whole path', () => {
    expect(searchPaths(view, '*.conf')).toEqual(['etc/nginx.conf', 'usr/share/doc/a.conf']);
    expect(searchPaths(view, 'etc/*.conf')).toEqual(['etc/nginx.conf']);
    expect(searchPaths(view, '/etc/*')).toEqual(['etc/Hosts', 'etc/nginx.conf', 'etc/ssl']);
    expect(searchPaths(view, '**/*.conf')).toEqual(['etc/nginx.conf', 'usr/share/doc/a.conf']);
    expect(searchPaths(view, 'usr/**')).toEqual([
      'usr/lib',
      'usr/lib/libc.so.6',
      'usr/lib/libm.so.6',
      'usr/lib/libz.so.1',
      'usr/share',
      'usr/share/doc',
      'usr/share/doc/a.conf',
    ]);
    expect(searchPaths(view, 'lib[cm].so.?')).toEqual(['usr/lib/libc.so.6', 'usr/lib/libm.so.6']);
    expect(searchPaths(view, 'lib[!cm].so.*')).toEqual(['usr/lib/libz.so.1']);
    expect(searchPaths(view, 'lib[a-l].so.6')).toEqual(['usr/lib/libc.so.6']);
  });

  it('glob details: ** spans directories, * does not, **/ may match none', () => {
    const g = compileGlob('a/**/b');
    expect(g.test('a/b')).toBe(true);
    expect(g.test('a/x/y/b')).toBe(true);
    expect(g.test('a/xb')).toBe(false);
    expect(compileGlob('a/*/b').test('a/x/y/b')).toBe(false);
    expect(compileGlob('a/*/b').test('a/x/b')).toBe(true);
    expect(compileGlob('a**z').test('a/b/z')).toBe(true);
    expect(compileGlob('\\*x').test('*x')).toBe(true);
    expect(compileGlob('\\*x').test('ax')).toBe(false);
    expect(compileGlob('[ab').test('[ab')).toBe(true); // unterminated class is literal
    expect(compileGlob('[]]').test(']')).toBe(true);
  });

  it('pathological patterns stay linear; overlong queries are refused', () => {
    const g = compileGlob(`${'*a'.repeat(30)}b`);
    const subject = 'a'.repeat(4000);
    const t0 = performance.now();
    expect(g.test(subject)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(() => searchPaths(view, 'x'.repeat(1025))).toThrow(/longer than 1024/);
  });
});
