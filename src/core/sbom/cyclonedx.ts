/**
 * CycloneDX 1.6 JSON (cyclonedx.org/docs/1.6/json): the image as metadata.component
 * (type container), the distribution as an operating-system component, each installed
 * package a library component with its purl; the layer that installed it, its database and
 * architecture as properties (namespaced `layerscope:`, as the CycloneDX property taxonomy
 * asks of tools). Licences go in as names (`license.name`): the text as recorded.
 */
import { distroQualifier, imagePurl, packagePurl, repositoryName } from './purl.ts';
import type { SbomInput } from './input.ts';

export function cyclonedxDocument(input: SbomInput): Record<string, unknown> {
  const { image } = input;
  const refs = new Set<string>();
  const ref = (want: string) => {
    let r = want;
    for (let n = 2; refs.has(r); n++) r = `${want}#${n}`;
    refs.add(r);
    return r;
  };
  const components: Record<string, unknown>[] = [];
  if (input.distro?.id)
    components.push({
      'bom-ref': ref(`os:${distroQualifier(input.distro)}`),
      type: 'operating-system',
      name: input.distro.id,
      ...(input.distro.versionId ? { version: input.distro.versionId } : {}),
      ...(input.distro.prettyName ? { description: input.distro.prettyName } : {}),
    });
  for (const p of input.packages) {
    const purl = packagePurl(p, input.distro);
    const layer = image.layers[p.layer];
    const props: { name: string; value: string }[] = [
      { name: 'layerscope:package:type', value: p.type },
      { name: 'layerscope:package:database', value: '/' + p.database },
      { name: 'layerscope:layer:index', value: String(p.layer) },
    ];
    if (p.arch) props.push({ name: 'layerscope:package:architecture', value: p.arch });
    if (p.source) props.push({ name: 'layerscope:package:source', value: p.source });
    if (p.installedSize !== undefined)
      props.push({ name: 'layerscope:package:installedSize', value: String(p.installedSize) });
    if (layer)
      props.push(
        { name: 'layerscope:layer:digest', value: layer.digest },
        { name: 'layerscope:layer:diffID', value: layer.diffId },
      );
    if (layer?.createdBy) props.push({ name: 'layerscope:layer:createdBy', value: layer.createdBy });
    components.push({
      'bom-ref': ref(purl),
      type: 'library',
      ...(p.supplier ? { publisher: p.supplier } : {}),
      name: p.name,
      version: p.version,
      ...(p.license ? { licenses: [{ license: { name: p.license } }] } : {}),
      purl,
      properties: props,
    });
  }
  const rootRef = ref(`image:${image.id}`);
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${input.uuid}`,
    version: 1,
    metadata: {
      timestamp: new Date(input.created).toISOString(),
      tools: { components: [{ type: 'application', name: input.tool.name, version: input.tool.version }] },
      component: {
        'bom-ref': rootRef,
        type: 'container',
        name: image.name,
        version: image.id,
        purl: imagePurl(repositoryName(image.name), image.manifestDigest ?? image.id),
      },
    },
    components,
    dependencies: [{ ref: rootRef, dependsOn: components.map((c) => c['bom-ref'] as string) }],
  };
}
