import { describe, expect, it } from 'vitest';
import { buildPurl, packagePurl } from './purl.ts';

/* Expected strings: the "build" cases of package-url/purl-spec tests/types/{deb,rpm,apk}-test.json. */
describe('package URLs', () => {
  it.each([
    [
      {
        type: 'deb',
        namespace: 'debian',
        name: 'curl',
        version: '7.50.3-1',
        qualifiers: { arch: 'i386', distro: 'jessie' },
      },
      'pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie',
    ],
    [
      { type: 'deb', namespace: 'debian', name: 'attr', version: '1:2.4.47-2', qualifiers: { arch: 'source' } },
      'pkg:deb/debian/attr@1:2.4.47-2?arch=source',
    ],
    [
      { type: 'deb', namespace: 'debian', name: 'attr', version: '1:2.4.47-2+b1', qualifiers: { arch: 'amd64' } },
      'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64',
    ],
    [
      {
        type: 'rpm',
        namespace: 'fedora',
        name: 'curl',
        version: '7.50.3-1.fc25',
        qualifiers: { arch: 'i386', distro: 'fedora-25' },
      },
      'pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25',
    ],
    [
      {
        type: 'rpm',
        name: 'centerim',
        version: '4.22.10-1.el6',
        qualifiers: { arch: 'i686', epoch: '1', distro: 'fedora-25' },
      },
      'pkg:rpm/centerim@4.22.10-1.el6?arch=i686&distro=fedora-25&epoch=1',
    ],
    [
      {
        type: 'apk',
        namespace: 'alpine',
        name: 'libcrypto3',
        version: '3.5.5-r0',
        qualifiers: { arch: 'x86_64', distro: 'alpine-edge', upstream: 'openssl' },
      },
      'pkg:apk/alpine/libcrypto3@3.5.5-r0?arch=x86_64&distro=alpine-edge&upstream=openssl',
    ],
  ])('builds %j', (parts, want) => {
    expect(buildPurl(parts)).toBe(want);
  });

  it('names an installed package with its distro, arch, epoch and upstream', () => {
    expect(
      packagePurl(
        { type: 'deb', name: 'libc6', version: '2.36-9+deb12u4', arch: 'amd64', source: 'glibc' },
        { id: 'debian', versionId: '12' },
      ),
    ).toBe('pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc');
    expect(
      packagePurl(
        { type: 'rpm', name: 'bash', version: '5.2.26-3.fc40', arch: 'x86_64', epoch: 1 },
        { id: 'fedora', versionId: '40' },
      ),
    ).toBe('pkg:rpm/fedora/bash@5.2.26-3.fc40?arch=x86_64&distro=fedora-40&epoch=1');
    expect(packagePurl({ type: 'apk', name: 'musl', version: '1.2.4-r2', arch: 'x86_64', source: 'musl' })).toBe(
      'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64',
    );
  });
});
