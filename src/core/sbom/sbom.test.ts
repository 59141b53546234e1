import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '../packages/history.ts';
import { cyclonedxDocument } from './cyclonedx.ts';
import type { SbomInput } from './input.ts';
import { spdxDocument } from './spdx.ts';

/* The official schemas, vendored in tests/fixtures/sbom (see the README there): SPDX 2.3 from
 * spdx/spdx-spec tag v2.3 schemas/spdx-schema.json; CycloneDX 1.6 (with the SPDX licence-id and
 * JSF schemas it references) from the npm package @cyclonedx/cyclonedx-library 10.3.0,
 * res/schema/. */
const fixture = (f: string) =>
  JSON.parse(readFileSync(new URL(`../../../tests/fixtures/sbom/${f}`, import.meta.url), 'utf8'));

function validator(main: string, extra: string[] = []): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // ajv-formats has no IRI or IDN formats; these are looser stand-ins (no space; one @).
  ajv.addFormat('iri-reference', /^\S*$/);
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/);
  // The CycloneDX schema refers to its companions relative to its own $id.
  for (const f of extra) {
    const { $id: _, ...schema } = fixture(f);
    ajv.addSchema(schema, `http://cyclonedx.org/schema/${f}`);
  }
  return ajv.compile(fixture(main));
}

const pkg = (p: Partial<InstalledPackage> & Pick<InstalledPackage, 'name' | 'version' | 'type'>): InstalledPackage => ({
  arch: 'amd64',
  key: `${p.type}/${p.name}/${p.arch ?? 'amd64'}`,
  database: 'var/lib/dpkg/status',
  addedIn: 0,
  layer: 0,
  ...p,
});

const input: SbomInput = {
  image: {
    name: 'localhost:5000/library/debian:12',
    id: 'sha256:' + 'ab'.repeat(32),
    manifestDigest: 'sha256:' + 'cd'.repeat(32),
    layers: [
      {
        digest: 'sha256:' + '01'.repeat(32),
        diffId: 'sha256:' + '02'.repeat(32),
        createdBy: '# debian.sh --arch amd64 out/ bookworm',
      },
      {
        digest: 'sha256:' + '03'.repeat(32),
        diffId: 'sha256:' + '04'.repeat(32),
        createdBy: 'RUN apt-get install -y curl',
      },
    ],
  },
  packages: [
    pkg({
      type: 'deb',
      name: 'libc6',
      version: '2.36-9+deb12u4',
      source: 'glibc',
      installedSize: 12_987_392,
      supplier: 'GNU Libc Maintainers <debian-glibc@lists.debian.org>',
    }),
    pkg({ type: 'deb', name: 'curl', version: '7.88.1-10+deb12u5', layer: 1, addedIn: 1 }),
    pkg({ type: 'deb', name: 'curl', version: '7.88.1-10+deb12u5', arch: 'i386', layer: 1, addedIn: 1 }),
    pkg({
      type: 'rpm',
      name: 'bash',
      version: '5.2.26-3.fc40',
      arch: 'x86_64',
      epoch: 1,
      license: 'GPLv3+',
      database: 'var/lib/rpm/rpmdb.sqlite',
    }),
    pkg({
      type: 'apk',
      name: 'musl',
      version: '1.2.4-r2',
      arch: 'x86_64',
      license: 'MIT',
      database: 'lib/apk/db/installed',
    }),
  ],
  distro: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  created: '2026-12-06T04:00:00.123Z',
  uuid: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  tool: { name: 'layerscope', version: '0.1.0' },
};

describe('SPDX 2.3', () => {
  const validate = validator('spdx-2.3.schema.json');
  it('validates against the official schema and lists every package with its purl', () => {
    const doc = spdxDocument(input);
    expect(validate(doc), JSON.stringify(validate.errors, null, 1)).toBe(true);
    const pkgs = doc.packages as { SPDXID: string; name: string; externalRefs: { referenceLocator: string }[] }[];
    expect(pkgs).toHaveLength(6);
    expect(new Set(pkgs.map((p) => p.SPDXID)).size).toBe(6);
    expect(pkgs[1]!.externalRefs[0]!.referenceLocator).toBe(
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc',
    );
    expect((doc.creationInfo as { created: string }).created).toBe('2026-12-06T04:00:00Z');
    expect((doc.relationships as unknown[]).length).toBe(6);
  });
  it('is refused by the schema when a required field is missing (the check can fail)', () => {
    const doc = spdxDocument(input);
    delete doc.spdxVersion;
    expect(validate(doc)).toBe(false);
  });
});

describe('CycloneDX 1.6', () => {
  const validate = validator('bom-1.6.SNAPSHOT.schema.json', [
    'spdx.SNAPSHOT.schema.json',
    'jsf-0.82.SNAPSHOT.schema.json',
  ]);
  it('validates against the official schema, with unique bom-refs and layer properties', () => {
    const doc = cyclonedxDocument(input);
    expect(validate(doc), JSON.stringify(validate.errors, null, 1)).toBe(true);
    const comps = doc.components as {
      'bom-ref': string;
      type: string;
      purl?: string;
      properties?: { name: string; value: string }[];
    }[];
    expect(comps.map((c) => c.type)).toEqual([
      'operating-system',
      'library',
      'library',
      'library',
      'library',
      'library',
    ]);
    expect(new Set(comps.map((c) => c['bom-ref'])).size).toBe(comps.length);
    const curl = comps.find((c) => c.purl?.includes('curl'))!;
    expect(curl.properties).toContainEqual({
      name: 'layerscope:layer:createdBy',
      value: 'RUN apt-get install -y curl',
    });
  });
  it('is refused by the schema when a component has a bad type (the check can fail)', () => {
    const doc = cyclonedxDocument(input);
    (doc.components as { type: string }[])[1]!.type = 'package';
    expect(validate(doc)).toBe(false);
  });
});
