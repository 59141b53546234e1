#!/usr/bin/env python3
"""Port test tables from Go's own tests into JSON for Layerscope's template tests.

Reads Go's src/fmt/fmt_test.go (fmtTests) and src/text/template/exec_test.go (execTests) from a
Go source tree (default: Debian's golang-go, /usr/lib/go-1.19/src) and keeps the entries a
port can express: fmt cases whose operand is a Go string/bool/int/float literal (no byte
strings, no octal literals), and exec cases whose template uses only builtins, constants and
the basic fields of exec_test.go's tVal. Output: src/core/docker/testdata/go-*-tests.json.

Usage: python3 scripts/extract-go-template-tests.py [GOROOT/src]
"""
import json
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else '/usr/lib/go-1.19/src'
OUT = os.path.join(os.path.dirname(__file__), '..', 'src', 'core', 'docker', 'testdata')
S = r'"(?:[^"\\]|\\.)*"|`[^`]*`'


def gostr(s):
    if s.startswith('`'):
        return s[1:-1]
    if re.search(r'\\x[0-9a-fA-F]{2}|\\[0-7]{3}', s):
        raise ValueError('byte string')
    return json.loads(s.replace("\\'", "'").replace('\\a', '\\u0007').replace('\\v', '\\u000b'))


def table(path, start):
    src = open(path).read()
    i = src.index(start)
    return src[i:src.index('\n}\n', i)]


def fmt_cases():
    body = table(os.path.join(SRC, 'fmt', 'fmt_test.go'), 'var fmtTests = []struct')
    pat = re.compile(r'^\s*\{(' + S + r'),\s*(.+?),\s*(' + S + r')\},\s*(//.*)?$', re.M)
    out = []
    for m in pat.finditer(body):
        f, v, o = m.group(1), m.group(2).strip(), m.group(3)
        try:
            f, o = gostr(f), gostr(o)
        except ValueError:
            continue
        if re.fullmatch(r'-?[1-9]\d*|0', v):
            val = ['int', int(v)]
        elif re.fullmatch(r'-?\d+\.\d*(e[+-]?\d+)?|-?\d+e[+-]?\d+', v):
            val = ['float64', float(v)]
        elif re.fullmatch(r'float64\((-?[\d.e+]+)\)', v):
            val = ['float64', float(v[8:-1])]
        elif re.fullmatch(r'(int64|int32|int8|uint8|uint16|uint32|uint64|uint|int)\((-?[1-9]\d*|0)\)', v):
            mm = re.fullmatch(r'(\w+)\((-?\d+)\)', v)
            val = [mm.group(1), int(mm.group(2))]
        elif v in ('true', 'false'):
            val = ['bool', v == 'true']
        elif re.fullmatch(S, v):
            try:
                val = ['string', gostr(v)]
            except ValueError:
                continue
        else:
            continue
        if isinstance(val[1], int) and not isinstance(val[1], bool) and abs(val[1]) > 2**53:
            continue
        if len(o) > 200:
            continue
        out.append([f, val[0], val[1], o])
    return out


BUILTINS = {'and', 'or', 'not', 'len', 'index', 'slice', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'html', 'js',
            'urlquery', 'print', 'printf', 'println', 'true', 'false', 'nil', 'if', 'else', 'end', 'range',
            'with', 'break', 'continue'}
FIELDS = {'True', 'I', 'U16', 'X', 'S', 'FloatZero', 'U', 'SI', 'SIEmpty', 'SB', 'MSI', 'MSIone', 'MSIEmpty',
          'SMSI', 'Empty0', 'Empty1', 'Empty2', 'Empty3', 'Empty4', 'V'}


def exec_cases():
    body = table(os.path.join(SRC, 'text', 'template', 'exec_test.go'), 'var execTests = []execTest{')
    pat = re.compile(r'\{(' + S + r'),\s*(' + S + r'),\s*(' + S + r'),\s*([^,{}]+),\s*(true|false)\}')
    out = []
    for m in pat.finditer(body):
        name, t, o, data, ok = m.groups()
        try:
            name, t, o = gostr(name), gostr(t), gostr(o)
        except ValueError:
            continue
        data = data.strip()
        if data not in ('tVal', 'nil', '0', '&tVal'):
            continue
        bare = re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\'(?:[^\'\\]|\\.)*\'', '', t)
        if set(re.findall(r'\.([A-Za-z]\w*)', bare)) - FIELDS:
            continue
        if set(re.findall(r'(?<![$.\w])([A-Za-z_]\w*)', bare)) - BUILTINS:
            continue
        # Complex numbers (1+2i) have no place in Docker's templates.
        if re.search(r'\di\b', t) or 'define' in t or 'template' in t or 'block' in t:
            continue
        out.append([name, t, o, ok == 'true', data])
    return out


def write(name, rows):
    with open(os.path.join(OUT, name), 'w') as fh:
        fh.write('[\n' + ',\n'.join(json.dumps(r, ensure_ascii=False) for r in rows) + '\n]\n')


write('go-fmt-tests.json', fmt_cases())
write('go-exec-tests.json', exec_cases())
