/**
 * The typed value `docker image inspect --format` runs its template on first: docker/cli v29
 * decodes the daemon's JSON into `client.ImageInspectResult`, a struct embedding moby's
 * `image.InspectResponse` (api/types/image/image_inspect.go), whose Config is a
 * `*dockerspec.DockerOCIImageConfig` (ocispec.ImageConfig and DockerOCIImageConfigExt
 * embedded). json.Unmarshal leaves a field the JSON lacks at its zero value, so absent slices
 * and maps are nil (`[]`, `map[]` when printed, `null` in `json`), absent pointers are nil
 * (`<nil>`), `{{index .Config.Labels "x"}}` is the empty string, and `{{.RootFS}}` prints
 * `{layers [sha256:…]}`. The JSON the `json` function writes is the omitempty form.
 */
import { GoMap, GoNil, GoNum, GoSlice, GoStruct, GoTime, T } from '../docker/template.ts';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function strings(v: unknown): GoSlice {
  return new GoSlice(T.string, Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : '')) : null);
}

function stringMap(v: unknown): GoMap {
  const o = obj(v);
  if (!o) return new GoMap(T.string, null);
  const out: Obj = {};
  for (const [k, x] of Object.entries(o)) out[k] = str(x);
  return new GoMap(T.string, out);
}

/** map[string]struct{}: ExposedPorts, Volumes. */
function setMap(v: unknown): GoMap {
  const o = obj(v);
  if (!o) return new GoMap(T.emptyStruct, null);
  const out: Obj = {};
  for (const k of Object.keys(o)) out[k] = new GoStruct('struct {}', {}, 'struct', {});
  return new GoMap(T.emptyStruct, out);
}

function healthcheck(v: unknown): GoStruct | GoNil {
  const h = obj(v);
  if (!h) return new GoNil('*v1.HealthcheckConfig');
  const dur = (x: unknown): GoNum => new GoNum('time.Duration', typeof x === 'number' ? x : 0);
  return new GoStruct(
    '*v1.HealthcheckConfig',
    {
      Test: strings(h['Test']),
      Interval: dur(h['Interval']),
      Timeout: dur(h['Timeout']),
      StartPeriod: dur(h['StartPeriod']),
      StartInterval: dur(h['StartInterval']),
      Retries: typeof h['Retries'] === 'number' ? h['Retries'] : 0,
    },
    'struct',
    h,
  );
}

function config(v: unknown): GoStruct | GoNil {
  const c = obj(v);
  if (!c) return new GoNil('*v1.DockerOCIImageConfig');
  const image = new GoStruct(
    'v1.ImageConfig',
    {
      User: str(c['User']),
      ExposedPorts: setMap(c['ExposedPorts']),
      Env: strings(c['Env']),
      Entrypoint: strings(c['Entrypoint']),
      Cmd: strings(c['Cmd']),
      Volumes: setMap(c['Volumes']),
      WorkingDir: str(c['WorkingDir']),
      Labels: stringMap(c['Labels']),
      StopSignal: str(c['StopSignal']),
      ArgsEscaped: c['ArgsEscaped'] === true,
    },
    'struct',
  );
  const ext = new GoStruct(
    'v1.DockerOCIImageConfigExt',
    { Healthcheck: healthcheck(c['Healthcheck']), OnBuild: strings(c['OnBuild']), Shell: strings(c['Shell']) },
    'struct',
  );
  return new GoStruct('*v1.DockerOCIImageConfig', { ImageConfig: image, DockerOCIImageConfigExt: ext }, 'struct', c, [
    'ImageConfig',
    'DockerOCIImageConfigExt',
  ]);
}

/** `client.ImageInspectResult` for the InspectResponse JSON object `o`. */
export function inspectTyped(o: Obj): GoStruct {
  const rootfs = obj(o['RootFS']) ?? {};
  const metadata = obj(o['Metadata']) ?? {};
  const lastTag = str(metadata['LastTagTime']);
  const response = new GoStruct(
    'image.InspectResponse',
    {
      ID: str(o['Id']),
      RepoTags: strings(o['RepoTags']),
      RepoDigests: strings(o['RepoDigests']),
      Comment: str(o['Comment']),
      Created: str(o['Created']),
      Author: str(o['Author']),
      Config: config(o['Config']),
      Architecture: str(o['Architecture']),
      Variant: str(o['Variant']),
      Os: str(o['Os']),
      OsVersion: str(o['OsVersion']),
      Size: new GoNum('int64', typeof o['Size'] === 'number' ? o['Size'] : 0),
      GraphDriver: new GoNil('*storage.DriverData'),
      RootFS: new GoStruct(
        'image.RootFS',
        { Type: str(rootfs['Type']), Layers: strings(rootfs['Layers']) },
        'struct',
        rootfs,
      ),
      Metadata: new GoStruct(
        'image.Metadata',
        { LastTagTime: new GoTime(lastTag || '0001-01-01T00:00:00Z') },
        'struct',
        metadata,
      ),
      Descriptor: new GoNil('*v1.Descriptor'),
      Manifests: new GoSlice({ kind: 'struct', name: 'image.ManifestSummary' }, null),
    },
    'struct',
    o,
  );
  return new GoStruct('client.ImageInspectResult', { InspectResponse: response }, 'struct', o, ['InspectResponse']);
}
