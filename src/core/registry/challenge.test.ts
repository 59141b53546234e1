import { describe, expect, it } from 'vitest';
import { pickChallenge } from './auth.ts';
import { parseChallenges } from './challenge.ts';

describe('parseChallenges', () => {
  it('Docker Hub bearer', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/ubuntu:pull',
        },
      },
    ]);
  });

  it('basic, case-insensitive scheme and names, token values, spaces', () => {
    expect(parseChallenges('BASIC Realm=registry')).toEqual([{ scheme: 'basic', params: { realm: 'registry' } }]);
    expect(parseChallenges('Basic realm = "a b" , charset="UTF-8"')).toEqual([
      { scheme: 'basic', params: { realm: 'a b', charset: 'UTF-8' } },
    ]);
  });

  it('commas and escapes inside quoted strings', () => {
    const [c] = parseChallenges(
      'Bearer realm="https://x/token?a=1,b=2",scope="repository:a/b:pull,push",error="say \\"hi\\", ok\\\\"',
    );
    expect(c!.params).toEqual({
      realm: 'https://x/token?a=1,b=2',
      scope: 'repository:a/b:pull,push',
      error: 'say "hi", ok\\',
    });
  });

  it('several challenges in one header', () => {
    const cs = parseChallenges(
      'Basic realm="r1", Bearer realm="https://t/token", service="s", Negotiate abc==, Digest realm="d"',
    );
    expect(cs.map((c) => c.scheme)).toEqual(['basic', 'bearer', 'negotiate', 'digest']);
    expect(cs[1]!.params).toEqual({ realm: 'https://t/token', service: 's' });
    expect(cs[2]!.token68).toBe('abc==');
    expect(pickChallenge(cs)!.scheme).toBe('bearer');
  });

  it('hostile input: unterminated quote, junk, huge', () => {
    expect(parseChallenges('Bearer realm="unterminated')[0]!.params.realm).toBe('unterminated');
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges(',,, ;;; ==').length).toBeLessThanOrEqual(1);
    const huge = 'Bearer ' + 'a="b",'.repeat(100_000);
    const t = Date.now();
    parseChallenges(huge);
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('first value of a repeated parameter wins; a bearer without realm is not picked', () => {
    expect(parseChallenges('Bearer realm="a",realm="b"')[0]!.params.realm).toBe('a');
    expect(pickChallenge(parseChallenges('Bearer service="x"'))).toBeNull();
  });
});
