import { describe, expect, it } from 'vitest';
import { parseApkInstalled } from './apk.ts';

const enc = (s: string) => new TextEncoder().encode(s);

/* No apk is available here to produce a database, so the fixture follows the format's
 * documentation: the Alpine wiki's "Apk spec" page (field letters P name, V version,
 * A architecture, I installed size, L license, o origin, m maintainer, F/R/Z/M/a per file,
 * records separated by blank lines), with values as an alpine:3.19 image records them. */
const INSTALLED = `C:Q1Ef5ZbT0xPjK9VIL0FM6mWHr38CY=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407225
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1700000000
c:4a1f2c5d
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1Mx5UuE3hUoWWgYl6aRVDyQf3kgA=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q1adVVeFZaX5BpWy4HzBNHY3KR7Uo=

C:Q1iZ+C2JJdBlm2KkD9Q5qTUNSn2G4=
P:busybox-binsh
V:1.36.1-r15
A:x86_64
S:1542
I:1
T:busybox ash /bin/sh
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
D:busybox=1.36.1-r15
F:bin
R:sh
a:0:0:777
Z:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=

`;

describe('apk installed database', () => {
  it('lists each record with name, version, arch, origin, size and licence', () => {
    expect(parseApkInstalled(enc(INSTALLED), '/lib/apk/db/installed')).toEqual([
      {
        type: 'apk',
        name: 'musl',
        version: '1.2.4_git20230717-r4',
        arch: 'x86_64',
        source: 'musl',
        installedSize: 667648,
        license: 'MIT',
        supplier: 'Timo Teräs <timo.teras@iki.fi>',
      },
      {
        type: 'apk',
        name: 'busybox-binsh',
        version: '1.36.1-r15',
        arch: 'x86_64',
        source: 'busybox',
        installedSize: 1,
        license: 'GPL-2.0-only',
        supplier: 'Sören Tempel <soeren+alpine@soeren-tempel.net>',
      },
    ]);
  });

  it('reads a database without a trailing blank line, and an empty one as no packages', () => {
    expect(parseApkInstalled(enc('P:a\nV:1-r0\nA:aarch64'), 'f').map((p) => p.name)).toEqual(['a']);
    expect(parseApkInstalled(enc(''), 'f')).toEqual([]);
  });

  it.each([
    ['P:a\nV:1\nthis is not a field\n', /line 3: expected "X:value"/],
    ['V:1\nA:x86_64\n', /record starting at line 1 has no P: \(name\) line/],
    ['P:a\nA:x86_64\n\nP:b\nV:1\n', /package a \(line 1\) has no V: \(version\) line/],
    ['P:a\nP:b\nV:1\n', /line 2: a second P: line/],
    ['P:a\nV:1\nI:lots\n', /installed size "lots" is not a number/],
  ])('refuses %j naming the file and the fault', (text, re) => {
    expect(() => parseApkInstalled(enc(text), '/lib/apk/db/installed')).toThrow(re);
    expect(() => parseApkInstalled(enc(text), '/lib/apk/db/installed')).toThrow(/^\/lib\/apk\/db\/installed: /);
  });
});
