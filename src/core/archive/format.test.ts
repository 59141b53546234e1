import { describe, expect, it } from 'vitest';
import { parseManifest } from '../registry/manifests.ts';
import { ArchiveError } from './errors.ts';
import {
  digestOfBlobPath,
  dockerManifestJson,
  normalizeMemberPath,
  normalizeTagName,
  ociIndexJson,
  ociManifestJson,
  parseDockerManifest,
  parseImageConfig,
  repositoriesJson,
  resolveLinkTarget,
} from './format.ts';

const d = (c: string) => `sha256:${c.repeat(64)}` as const;
const enc = (s: string) => new TextEncoder().encode(s);

describe('writing, as Go encoding/json does', () => {
  it('manifest.json: field order, null RepoTags for untagged images, json.Encoder newline', () => {
    expect(
      dockerManifestJson([
        { Config: 'blobs/sha256/aa', RepoTags: ['x:1'], Layers: ['blobs/sha256/bb'] },
        { Config: 'c', RepoTags: [], Layers: [] },
      ]),
    ).toBe(
      '[{"Config":"blobs/sha256/aa","RepoTags":["x:1"],"Layers":["blobs/sha256/bb"]},{"Config":"c","RepoTags":null,"Layers":[]}]\n',
    );
  });

  it('repositories: sorted names and tags', () => {
    const r = new Map([
      [
        'b/x',
        new Map([
          ['2', 'h2'],
          ['1', 'h1'],
        ]),
      ],
      ['a', new Map([['latest', 'h0']])],
    ]);
    expect(repositoriesJson(r)).toBe('{"a":{"latest":"h0"},"b/x":{"1":"h1","2":"h2"}}\n');
  });

  it('OCI manifest and index: ocispec field order, sorted annotations, HTML-escaped strings; parseable', () => {
    const m = ociManifestJson(
      {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: d('a'),
        size: 10,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d('b'), size: 20 }],
    );
    expect(m).toBe(
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${d('a')}","size":10,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"${d('b')}","size":20}]}`,
    );
    expect(parseManifest(enc(m)).manifest).toMatchObject({ kind: 'manifest', layers: [{ digest: d('b'), size: 20 }] });
    const i = ociIndexJson([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: d('c'),
        size: 5,
        annotations: { z: '<&>', a: 'x' },
      },
    ]);
    expect(i).toContain('"annotations":{"a":"x","z":"\\u003c\\u0026\\u003e"}');
    expect(parseManifest(enc(i)).manifest).toMatchObject({ kind: 'index', manifests: [{ annotations: { z: '<&>' } }] });
  });
});

describe('reading hostile metadata', () => {
  const refuse = (f: () => unknown, code: string, msg: RegExp) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArchiveError);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(msg);
  };

  it('manifest.json', () => {
    expect(parseDockerManifest(enc('[{"Config":"c.json","RepoTags":null,"Layers":["a/layer.tar"]}]'))).toEqual([
      { Config: 'c.json', RepoTags: [], Layers: ['a/layer.tar'] },
    ]);
    refuse(() => parseDockerManifest(enc('{')), 'ARCHIVE_MALFORMED', /manifest\.json is not valid JSON/);
    refuse(() => parseDockerManifest(enc('{}')), 'ARCHIVE_MALFORMED', /not a JSON list/);
    refuse(() => parseDockerManifest(enc('[1]')), 'ARCHIVE_MALFORMED', /item 0 is not an object/);
    refuse(() => parseDockerManifest(enc('[{"Layers":[]}]')), 'ARCHIVE_MALFORMED', /item 0 has no Config path/);
    refuse(
      () => parseDockerManifest(enc('[{"Config":"c","Layers":"x"}]')),
      'ARCHIVE_MALFORMED',
      /Layers is not a list/,
    );
    refuse(
      () => parseDockerManifest(enc('[{"Config":"c","Layers":[],"RepoTags":[1]}]')),
      'ARCHIVE_MALFORMED',
      /RepoTags\[0\] is not a string/,
    );
    refuse(
      () => parseDockerManifest(enc(JSON.stringify([{ Config: 'c', Layers: Array(1001).fill('l.tar') }]))),
      'ARCHIVE_LIMIT',
      /Layers lists more than 1000 entries/,
    );
    refuse(
      () => parseDockerManifest(enc(JSON.stringify([{ Config: 'c', Layers: [], RepoTags: ['x'.repeat(4097)] }]))),
      'ARCHIVE_LIMIT',
      /RepoTags\[0\] is longer than 4096 characters/,
    );
    refuse(
      () =>
        parseImageConfig(
          enc(JSON.stringify({ rootfs: { diff_ids: Array(1001).fill(`sha256:${'a'.repeat(64)}`) } })),
          'c.json',
        ),
      'ARCHIVE_LIMIT',
      /c\.json lists more than 1000 layers/,
    );
    refuse(
      () => parseDockerManifest(enc(JSON.stringify(Array(1001).fill({ Config: 'c', Layers: [] })))),
      'ARCHIVE_LIMIT',
      /more than 1000 images/,
    );
  });

  it('image config', () => {
    expect(
      parseImageConfig(
        enc(JSON.stringify({ os: 'linux', architecture: 'amd64', created: 't', rootfs: { diff_ids: [d('e')] } })),
        'c',
      ),
    ).toEqual({
      diffIds: [d('e')],
      created: 't',
      platform: { os: 'linux', architecture: 'amd64' },
    });
    refuse(
      () => parseImageConfig(enc('{"rootfs":{"diff_ids":["md5:x"]}}'), 'c.json'),
      'ARCHIVE_MALFORMED',
      /config c\.json has no valid rootfs\.diff_ids/,
    );
    refuse(() => parseImageConfig(enc('[]'), 'c.json'), 'ARCHIVE_MALFORMED', /not a JSON object/);
  });

  it('paths, links and names', () => {
    expect(normalizeMemberPath('./a//b.tar', 'm')).toBe('a/b.tar');
    refuse(() => normalizeMemberPath('a/../../etc/passwd', 'manifest.json'), 'ARCHIVE_UNSAFE', /outside the archive/);
    refuse(() => normalizeMemberPath('/etc/passwd', 'manifest.json'), 'ARCHIVE_UNSAFE', /bad path/);
    expect(resolveLinkTarget('abc/layer.tar', '../d.tar')).toBe('d.tar');
    expect(resolveLinkTarget('abc/layer.tar', '/d.tar')).toBe('d.tar');
    expect(resolveLinkTarget('abc/layer.tar', '../../etc/passwd')).toBeUndefined();
    expect(digestOfBlobPath(`blobs/sha256/${'a'.repeat(64)}`)).toBe(d('a'));
    expect(digestOfBlobPath(`blobs/sha256/${'A'.repeat(64)}`)).toBeUndefined();
    expect(normalizeTagName('busybox:1')).toBe('docker.io/library/busybox:1');
    expect(normalizeTagName('localhost:5000/a/b:v')).toBe('localhost:5000/a/b:v');
    expect(normalizeTagName(`x@${d('a')}`)).toBeUndefined();
    expect(normalizeTagName('Bad:1')).toBeUndefined();
  });
});
