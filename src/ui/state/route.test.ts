import { describe, expect, it } from 'vitest';
import { formatRoute, isNewPlace, parseRoute, resolveRef, type Route } from './route.ts';

const ID = `sha256:${'ab12'.repeat(16)}`;

describe('routes', () => {
  it.each<[string, Route]>([
    ['', { view: 'images' }],
    ['#/images', { view: 'images' }],
    ['#/settings', { view: 'settings' }],
    [`#/image/${encodeURIComponent(ID)}/layers`, { view: 'image', ref: ID, tab: 'layers' }],
    ['#/image/debian%3A12/packages', { view: 'image', ref: 'debian:12', tab: 'packages' }],
    [
      '#/image/localhost%3A5000%2Fapp%3Av1/files?layer=2&file=etc%2Fos-release',
      { view: 'image', ref: 'localhost:5000/app:v1', tab: 'files', layer: 2, file: 'etc/os-release' },
    ],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    if (hash) expect(parseRoute(formatRoute(route))).toEqual(route);
  });

  it('round-trips names with every awkward character', () => {
    const r: Route = { view: 'image', ref: 'reg.example:443/a/b_c-d:1.0@x', tab: 'inspect', file: 'a b/ü?#&.txt' };
    expect(parseRoute(formatRoute(r))).toEqual(r);
  });

  it('falls back instead of failing on hostile or broken links', () => {
    expect(parseRoute('#/nowhere')).toEqual({ view: 'images' });
    expect(parseRoute('#/image/')).toEqual({ view: 'images' });
    expect(parseRoute('#/image/%E0%A4%A')).toEqual({ view: 'images' }); // broken escape
    expect(parseRoute(`#/image/${'x'.repeat(5000)}`)).toEqual({ view: 'images' });
    expect(parseRoute('#/image/alpine/bogus')).toEqual({ view: 'image', ref: 'alpine', tab: 'summary' });
    expect(parseRoute('#/image/alpine/files?layer=-1&file=')).toEqual({ view: 'image', ref: 'alpine', tab: 'files' });
    expect(parseRoute('#/image/alpine/files?layer=1e3')).toEqual({ view: 'image', ref: 'alpine', tab: 'files' });
    expect(parseRoute('#/image/alpine/files?file=%2F%2Fetc%2Fpasswd')).toMatchObject({ file: 'etc/passwd' });
  });

  it('a new image or tab is a new place; a layer or file within it is not', () => {
    const a: Route = { view: 'image', ref: 'x', tab: 'files' };
    expect(isNewPlace({ view: 'images' }, a)).toBe(true);
    expect(isNewPlace(a, { ...a, tab: 'layers' })).toBe(true);
    expect(isNewPlace(a, { ...a, ref: 'y' })).toBe(true);
    expect(isNewPlace(a, { ...a, file: 'etc/motd', layer: 1 })).toBe(false);
    expect(isNewPlace({ view: 'settings' }, { view: 'settings' })).toBe(false);
  });
});

describe('resolveRef', () => {
  const rows = [
    { repository: 'alpine', tag: 'latest', id: ID },
    { repository: 'localhost:5000/app', tag: 'v1', id: `sha256:${'cd34'.repeat(16)}` },
    {
      repository: 'busybox',
      tag: '<none>',
      id: `sha256:${'ef56'.repeat(16)}`,
      reference: `busybox@sha256:${'01'.repeat(32)}`,
    },
  ];
  it.each([
    [ID, ID],
    [ID.slice(7), ID],
    [ID.slice(7, 19), ID],
    ['alpine', ID],
    ['alpine:latest', ID],
    ['localhost:5000/app:v1', rows[1]!.id],
    ['localhost:5000/app', undefined],
    ['nginx', undefined],
    ['abc', undefined],
    [`busybox@sha256:${'01'.repeat(32)}`, rows[2]!.id],
    ['busybox', undefined],
  ])('%s', (ref, id) => expect(resolveRef(ref, rows)).toBe(id));

  it.each<[string, Route]>([
    [`#/compare/alpine%3A3.20/${encodeURIComponent(ID)}`, { view: 'compare', a: 'alpine:3.20', b: ID }],
    [
      '#/compare/app%3Av1/app%3Av1?aLayer=0&bLayer=3&kind=added,modified&path=etc&sort=delta&file=etc%2Fpasswd',
      {
        view: 'compare',
        a: 'app:v1',
        b: 'app:v1',
        aLayer: 0,
        bLayer: 3,
        kinds: ['added', 'modified'],
        path: 'etc',
        sort: 'delta',
        file: 'etc/passwd',
      },
    ],
    ['#/compare/a/b?kind=', { view: 'compare', a: 'a', b: 'b', kinds: [] }],
    ['#/compare/a/b/packages', { view: 'compare', a: 'a', b: 'b', tab: 'packages' }],
    [
      '#/compare/a/b/packages?pkind=added,upgraded&pkg=libc',
      { view: 'compare', a: 'a', b: 'b', tab: 'packages', pkgKinds: ['added', 'upgraded'], pkg: 'libc' },
    ],
    ['#/compare/a/b/packages?pkind=', { view: 'compare', a: 'a', b: 'b', tab: 'packages', pkgKinds: [] }],
  ])('compare: %s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    expect(parseRoute(formatRoute(route))).toEqual(route);
  });

  it('compare links drop what is not theirs', () => {
    expect(parseRoute('#/compare/a')).toEqual({ view: 'images' });
    expect(parseRoute('#/compare/a/%E0%A4%A')).toEqual({ view: 'images' });
    expect(parseRoute('#/compare/a/b?aLayer=-1&bLayer=x&kind=bogus,added&sort=size')).toEqual({
      view: 'compare',
      a: 'a',
      b: 'b',
      kinds: ['added'],
    });
    // Every kind named is the same as none named.
    expect(formatRoute({ view: 'compare', a: 'a', b: 'b', kinds: ['added', 'removed', 'modified', 'metadata'] })).toBe(
      '#/compare/a/b',
    );
  });

  it('a compare of other images or layers is a new place; a filter or file is not', () => {
    const r: Route = { view: 'compare', a: 'a', b: 'b' };
    expect(isNewPlace(r, { ...r, path: 'etc', file: 'etc/x' })).toBe(false);
    expect(isNewPlace(r, { ...r, bLayer: 2 })).toBe(true);
    expect(isNewPlace(r, { ...r, b: 'c' })).toBe(true);
    expect(isNewPlace(r, { ...r, tab: 'packages' })).toBe(true);
    expect(isNewPlace({ ...r, tab: 'packages' }, { ...r, tab: 'packages', pkg: 'x', pkgKinds: ['added'] })).toBe(false);
    // Package filters belong to the Packages tab only; an unknown tab is the files.
    expect(parseRoute('#/compare/a/b/files?pkind=added&pkg=x')).toEqual({ view: 'compare', a: 'a', b: 'b' });
    expect(formatRoute({ view: 'compare', a: 'a', b: 'b', pkg: 'x' })).toBe('#/compare/a/b');
  });

  it.each<[string, Route]>([
    ['#/peek', { view: 'peek' }],
    ['#/peek/alpine%3A3.20', { view: 'peek', ref: 'alpine:3.20' }],
    [
      '#/peek/127.0.0.1%3A5000%2Fx%3Av1?file=etc%2Fos-release',
      { view: 'peek', ref: '127.0.0.1:5000/x:v1', file: 'etc/os-release' },
    ],
  ])('peek: %s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    expect(parseRoute(formatRoute(route))).toEqual(route);
  });

  it('another peeked image is a new place; a file in it is not', () => {
    const r: Route = { view: 'peek', ref: 'a' };
    expect(isNewPlace(r, { ...r, file: 'etc/x' })).toBe(false);
    expect(isNewPlace(r, { view: 'peek', ref: 'b' })).toBe(true);
    expect(isNewPlace({ view: 'peek' }, r)).toBe(true);
    expect(parseRoute('#/peek/%E0%A4%A')).toEqual({ view: 'peek' });
  });
});
