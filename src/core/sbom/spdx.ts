/**
 * SPDX 2.3 JSON (spdx.github.io/spdx-spec/v2.3): one package for the image, one per installed
 * package with its purl as a PACKAGE-MANAGER external reference, the image CONTAINS each.
 * Licences as recorded are not always SPDX expressions (rpm's older `GPLv2+`, free text), so
 * each distinct one becomes a LicenseRef with its text, never a guess.
 */
import { imagePurl, packagePurl, repositoryName } from './purl.ts';
import { isoSeconds, type SbomInput } from './input.ts';

const idPart = (s: string) => s.replace(/[^A-Za-z0-9.-]+/g, '-');

export function spdxDocument(input: SbomInput): Record<string, unknown> {
  const { image } = input;
  const rootId = `SPDXRef-Image-${idPart(image.name)}`;
  const licenseIds = new Map<string, string>();
  const licenseRef = (text: string) => {
    let id = licenseIds.get(text);
    if (!id) {
      id = `LicenseRef-${licenseIds.size + 1}-${idPart(text).slice(0, 40)}`.replace(/-+$/, '');
      licenseIds.set(text, id);
    }
    return id;
  };
  const used = new Set<string>([rootId]);
  const packages: Record<string, unknown>[] = [
    {
      SPDXID: rootId,
      name: image.name,
      versionInfo: image.id,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'CONTAINER',
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      supplier: 'NOASSERTION',
      checksums: [{ algorithm: 'SHA256', checksumValue: image.id.replace(/^sha256:/, '') }],
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: imagePurl(repositoryName(image.name), image.manifestDigest ?? image.id),
        },
      ],
    },
  ];
  const relationships: Record<string, unknown>[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId },
  ];
  for (const p of input.packages) {
    let id = `SPDXRef-Package-${p.type}-${idPart(p.name)}-${idPart(p.version)}${p.arch ? '-' + idPart(p.arch) : ''}`;
    for (let n = 2; used.has(id); n++) id = `${id}-${n}`;
    used.add(id);
    const layer = image.layers[p.layer];
    packages.push({
      SPDXID: id,
      name: p.name,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'LIBRARY',
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: p.license ? licenseRef(p.license) : 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      supplier: p.supplier ? `Person: ${p.supplier.replace(/[\r\n]+/g, ' ')}` : 'NOASSERTION',
      ...(p.source ? { sourceInfo: `built from source package ${p.source}` } : {}),
      comment:
        `Installed by layer ${p.layer}${layer ? ` (${layer.digest})` : ''}` +
        `${layer?.createdBy ? `: ${layer.createdBy}` : ''}; read from /${p.database}.`,
      externalRefs: [
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: packagePurl(p, input.distro) },
      ],
    });
    relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  }
  const doc: Record<string, unknown> = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: image.name,
    // A unique URI for this document (SPDX 2.3 §6.5); it need not resolve.
    documentNamespace: `https://layerscope.invalid/spdx/${encodeURIComponent(idPart(image.name))}-${input.uuid}`,
    creationInfo: {
      created: isoSeconds(input.created),
      creators: [`Tool: ${input.tool.name}-${input.tool.version}`],
    },
    packages,
    relationships,
  };
  if (licenseIds.size)
    doc.hasExtractedLicensingInfos = [...licenseIds].map(([text, id]) => ({
      licenseId: id,
      extractedText: text,
      name: text,
      comment: 'As recorded by the package database.',
    }));
  return doc;
}
