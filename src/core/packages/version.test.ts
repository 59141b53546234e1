import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareDebVersions, rpmvercmp } from './version.ts';

const has = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/* Hand-picked tricky pairs plus real versions from this machine's status file; the expected
 * order of each pair is what `dpkg --compare-versions` (and rpm's own rpm.vercmp) answer. */
const TRICKY = [
  ['1.0', '1.0~rc1'],
  ['1.0~rc1', '1.0~rc1~1'],
  ['1:0.9', '2.0'],
  ['2.36-9', '2.36-9+deb12u4'],
  ['1.2.3', '1.2.3a'],
  ['1.10', '1.9'],
  ['1.0-1', '1.0'],
  ['0:1.0', '1.0'],
  ['1.001', '1.1'],
  ['1.0a', '1.0+'],
  ['7.88.1-10+deb12u5', '7.88.1-10+deb12u12'],
];

describe('deb version order against dpkg --compare-versions', () => {
  it('orders every pair as dpkg does', () => {
    const real = [...readFileSync('/var/lib/dpkg/status', 'utf8').matchAll(/^Version: (.+)$/gm)].map((m) => m[1]!);
    const pairs = [...TRICKY];
    for (let i = 0; i + 1 < real.length && pairs.length < 50; i += 23) pairs.push([real[i]!, real[i + 1]!]);
    for (const [a, b] of pairs) {
      const lt = has('dpkg', ['--compare-versions', a!, 'lt', b!]);
      const eq = !lt && has('dpkg', ['--compare-versions', a!, 'eq', b!]);
      const want = lt ? -1 : eq ? 0 : 1;
      expect([a, b, Math.sign(compareDebVersions(a!, b!))]).toEqual([a, b, want]);
    }
  });
});

describe('rpmvercmp against rpm.vercmp', () => {
  it('orders every pair as rpm does', () => {
    const pairs = [
      ['1.0', '1.0~rc1'],
      ['1.0^git1', '1.0'],
      ['1.0^git1', '1.0.1'],
      ['1.10', '1.9'],
      ['2.0a', '2.0'],
      ['5.2.26', '5.2.26'],
      ['1.0.fc40', '1.0.el9'],
      ['001', '1'],
      ['1_0', '1.0'],
      ['a', '1'],
      ['1.0~rc1', '1.0~beta'],
    ];
    for (const [a, b] of pairs) {
      const out = execFileSync('rpm', ['--eval', `%{lua:print(rpm.vercmp('${a}', '${b}'))}`], { encoding: 'utf8' });
      expect([a, b, Math.sign(rpmvercmp(a!, b!))]).toEqual([a, b, Number(out.trim())]);
    }
  });
});
