import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseReference } from '../reference.ts';
import { RegistryError } from './errors.ts';
import { manifestDigest, parseManifest, type Schema1Manifest } from './manifests.ts';
import { schema1DeprecationMessage, schema1Payload, schema1ToConfig, schema1View } from './schema1.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const L1 = `sha256:${'1'.repeat(64)}` as const;
const L2 = `sha256:${'2'.repeat(64)}` as const;
const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const b64url = (s: string) => Buffer.from(s).toString('base64url');

const topV1 =
  `{"id":"${A}","parent":"${B}", "created":"2016-01-01T00:00:00.500000000Z",` +
  ` "container_config":{"Cmd":["/bin/sh -c echo <a&b>"]},"config": {"Env": [ "A=1" ]},` +
  ` "architecture":"amd64","os":"linux","throwaway":true,"Size":0}`;
const bottomV1 = `{"id":"${B}","created":"2015-12-31T00:00:00Z","container_config":{"Cmd":["/bin/sh","-c","#(nop) ADD file"]},"author":"me"}`;

const unsignedObj = {
  schemaVersion: 1,
  name: 'x/y',
  tag: 'old',
  architecture: 'amd64',
  fsLayers: [{ blobSum: L2 }, { blobSum: L1 }],
  history: [{ v1Compatibility: topV1 }, { v1Compatibility: bottomV1 }],
};

/** libtrust's pretty JWS form: payload without its closing "\n}", the signatures, "\n}". */
function signed(payload: string, n = 1, tamper = false): { bytes: Buffer; payload: Buffer } {
  const formatLength = payload.lastIndexOf('\n}');
  const sigs = Array.from({ length: n }, (_, i) => ({
    header: { alg: 'ES256' },
    signature: 'c2ln',
    protected: b64url(
      JSON.stringify({
        formatLength: formatLength - (tamper && i === 1 ? 1 : 0),
        formatTail: b64url('\n}'),
        time: '2016-01-01T00:00:00Z',
      }),
    ),
  }));
  const body = `${payload.slice(0, formatLength)},\n   "signatures": ${JSON.stringify(sigs, null, 3)}\n}`;
  return { bytes: Buffer.from(body), payload: Buffer.from(payload) };
}

describe('schema 1 signatures', () => {
  const payload = JSON.stringify(unsignedObj, null, 3);

  it('the digest of a signed manifest is over the payload without signatures', async () => {
    const { bytes } = signed(payload);
    expect(Buffer.from(schema1Payload(bytes)).toString()).toBe(payload);
    const { mediaType } = parseManifest(bytes, 'application/json');
    expect(mediaType).toBe('application/vnd.docker.distribution.manifest.v1+prettyjws');
    expect(await manifestDigest(bytes, mediaType)).toBe(sha(payload));
    expect(await manifestDigest(bytes, mediaType)).not.toBe(sha(bytes));
  });

  it('several signatures must agree', () => {
    expect(Buffer.from(schema1Payload(signed(payload, 2).bytes)).toString()).toBe(payload);
    expect(() => schema1Payload(signed(payload, 2, true).bytes)).toThrow(/different payloads/);
  });

  it('refuses bad protected headers', () => {
    const bad = (prot: string) =>
      Buffer.from(JSON.stringify({ ...unsignedObj, signatures: [{ protected: prot, signature: 'x', header: {} }] }));
    expect(() => schema1Payload(bad(b64url('{"formatLength":999999,"formatTail":"Cn0"}')))).toThrow(RegistryError);
    expect(() => schema1Payload(bad(b64url('not json')))).toThrow(/not JSON/);
    expect(() => schema1Payload(bad('!!!'))).toThrow(/base64url/);
    expect(() => schema1Payload(Buffer.from(JSON.stringify({ ...unsignedObj, signatures: [] })))).toThrow(/non-empty/);
  });

  it('unsigned schema 1 hashes as is', async () => {
    const bytes = Buffer.from(JSON.stringify(unsignedObj));
    const { mediaType } = parseManifest(bytes, 'application/vnd.docker.distribution.manifest.v1+json');
    expect(mediaType).toBe('application/vnd.docker.distribution.manifest.v1+json');
    expect(await manifestDigest(bytes, mediaType)).toBe(sha(bytes));
  });
});

describe('schema 1 view and config', () => {
  const m = parseManifest(Buffer.from(JSON.stringify(unsignedObj))).manifest as Schema1Manifest;

  it('history bottom-up from v1Compatibility; throwaway layers skipped', () => {
    const v = schema1View(m);
    expect(v.history).toEqual([
      { created: '2015-12-31T00:00:00Z', author: 'me', created_by: '/bin/sh -c #(nop) ADD file' },
      { created: '2016-01-01T00:00:00.500000000Z', created_by: '/bin/sh -c echo <a&b>', empty_layer: true },
    ]);
    expect(v.layers).toEqual([{ digest: L1, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', v1Id: B }]);
    expect(v).toMatchObject({
      architecture: 'amd64',
      os: 'linux',
      created: '2016-01-01T00:00:00.500000000Z',
      config: { Env: ['A=1'] },
    });
  });

  // Expected configs and image IDs below were computed here by an independent implementation:
  // a Go 1.19 program whose encoding/json decodes and encodes moby v28.1.1's own declarations
  // (image.V1Image, api/types/container.Config, HealthcheckConfig, strslice.StrSlice,
  // nat.PortSet, ocispec.History, image.RootFS) and runs image/v1 MakeConfigFromV1Config and
  // HistoryFromConfig as pull_v2's pullSchema1 called them (Docker 28.1, the last that pulled
  // schema 1). Go prints a `created` in its own offset and drops trailing zeros.
  it("synthesizes moby's config; no docker_version is older than 1.8.3: re-encoded through V1Image", async () => {
    const diffId = `sha256:${'d'.repeat(64)}` as const;
    const { configBytes, configDigest } = await schema1ToConfig(m, [diffId]);
    const expected =
      '{"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=1"],"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"container_config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["/bin/sh -c echo \\u003ca\\u0026b\\u003e"],"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"created":"2016-01-01T00:00:00.5Z","history":[{"created":"2015-12-31T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file","author":"me"},{"created":"2016-01-01T00:00:00.5Z","created_by":"/bin/sh -c echo \\u003ca\\u0026b\\u003e","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"]}}';
    expect(Buffer.from(configBytes).toString()).toBe(expected);
    expect(configDigest).toBe('sha256:26db6fff06d0c43929987a6ce541ac942aeda3869370193f222c1bf953dab3f8');
    expect(configDigest).toBe(sha(expected));
    await expect(schema1ToConfig(m, [])).rejects.toThrow(/0 diff_ids for 1 layers/);
  });

  // An nginx-like v1 image of Docker 1.6 (fields later Dockers dropped: Memory, CpuShares,
  // PortSpecs, …; a string Cmd), and the same made by Docker 1.10 (kept as served, compacted).
  const cfg = (extra: object) => ({
    Hostname: '5c1b0000',
    Domainname: '',
    User: '',
    Memory: 0,
    MemorySwap: 0,
    CpuShares: 0,
    Cpuset: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    PortSpecs: null,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Image: B,
    WorkingDir: '',
    Entrypoint: null,
    NetworkDisabled: false,
    MacAddress: '',
    OnBuild: [],
    Labels: {},
    ...extra,
  });
  const nginx = (version: string, bottomAuthor?: string): Schema1Manifest => {
    const top = {
      id: A,
      parent: B,
      created: '2015-06-01T20:51:43.372719346+02:00',
      container: '5c1b' + '0'.repeat(60),
      container_config: cfg({
        ExposedPorts: { '80/tcp': {} },
        Env: ['PATH=/usr/sbin:/usr/bin'],
        Cmd: ['/bin/sh', '-c', '#(nop) CMD ["nginx" "-g" "daemon off;"]'],
        Volumes: null,
      }),
      docker_version: version,
      author: 'NGINX Docker Maintainers "docker-maint@nginx.com"',
      config: cfg({
        ExposedPorts: { '443/tcp': {}, '80/tcp': {} },
        Env: ['PATH=/usr/sbin:/usr/bin', 'NGINX_VERSION=1.9.0'],
        Cmd: ['nginx', '-g', 'daemon off;'],
        Volumes: { '/var/cache/nginx': {} },
      }),
      architecture: 'amd64',
      os: 'linux',
      Size: 0,
    };
    const bottom = {
      id: B,
      created: '2015-05-30T01:07:22.1Z',
      container_config: { Cmd: '/bin/sh -c #(nop) ADD file:abc in /' },
      docker_version: version,
      ...(bottomAuthor ? { author: bottomAuthor } : {}),
      Size: 125174904,
    };
    const obj = {
      schemaVersion: 1,
      name: 'library/nginx',
      tag: '1.9.0',
      architecture: 'amd64',
      fsLayers: [{ blobSum: L2 }, { blobSum: L1 }],
      history: [{ v1Compatibility: JSON.stringify(top) }, { v1Compatibility: JSON.stringify(bottom) }],
    };
    return parseManifest(Buffer.from(JSON.stringify(obj))).manifest as Schema1Manifest;
  };
  const diffIds = [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`] as const;
  it('Docker 1.6 image: the image ID Docker computes', async () => {
    const { configBytes, configDigest } = await schema1ToConfig(nginx('1.6.2'), [...diffIds]);
    expect(configDigest).toBe('sha256:690e23a9f41bfa3e146a2fa5f2c58981e7fecb315917ea8be1da6494f797a4cc');
    const c = JSON.parse(Buffer.from(configBytes).toString()) as { config: Record<string, unknown> };
    expect(Object.keys(c.config)).not.toContain('Memory');
  });
  it('Docker 1.10 image: kept as served; history in ocispec.History order', async () => {
    const { configDigest } = await schema1ToConfig(nginx('1.10.3', 'someone'), [...diffIds]);
    expect(configDigest).toBe('sha256:e1786c47bd965aebfa2f2c22f1bc4410b2d63c94009a188efa54446888db1465');
  });

  it('adjacent repeats of one v1 id collapse; a broken parent chain is refused', () => {
    const dup = { ...m, fsLayers: [m.fsLayers[0]!, ...m.fsLayers], history: [m.history[0]!, ...m.history] };
    expect(schema1View(dup).history).toHaveLength(2);
    const broken = {
      ...m,
      history: [{ v1Compatibility: topV1.replace(`"parent":"${B}"`, `"parent":"${'c'.repeat(64)}"`) }, m.history[1]!],
    };
    expect(() => schema1View(broken)).toThrow(/parent chain/);
    const badId = { ...m, history: [{ v1Compatibility: '{"id":"../x"}' }, m.history[1]!] };
    expect(() => schema1View(badId)).toThrow(/v1 image id/);
  });

  it("Docker's deprecation notice names the full reference", () => {
    expect(schema1DeprecationMessage(parseReference('docker/whalesay'))).toBe(
      '[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release. Suggest the author of docker.io/docker/whalesay:latest to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/',
    );
  });
});
