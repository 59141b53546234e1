import { describe, expect, it } from 'vitest';
import { decodeName, visibleText } from './names.ts';

describe('visibleText: created_by lines and command output made safe to show', () => {
  it('escapes bidi overrides and isolates, zero-width and invisible format characters', () => {
    expect(visibleText('RUN cp x /bin/\u202ehs.exe')).toBe('RUN cp x /bin/\\u202ehs.exe');
    expect(visibleText('cat /etc/pass\u200bwd')).toBe('cat /etc/pass\\u200bwd');
    expect(visibleText('\u2066a\u2069 \u061c \ufeff \u2060')).toBe('\\u2066a\\u2069 \\u061c \\ufeff \\u2060');
  });

  it('keeps tab, newline and backslashes; escapes other controls (ESC, CR, DEL, C1)', () => {
    expect(visibleText('a\tb\nc \\ d')).toBe('a\tb\nc \\ d');
    expect(visibleText('x\x1b[31mred\ry\x7fz\x85')).toBe('x\\033[31mred\\ry\\177z\\205');
  });

  it('shows bytes that are not UTF-8 as octal, and leaves valid text alone', () => {
    expect(visibleText(decodeName(new Uint8Array([0x68, 0x69, 0x80, 0x62])))).toBe('hi\\200b');
    const plain = 'RUN apk add --no-cache curl # 名前 😀';
    expect(visibleText(plain)).toBe(plain);
  });
});
