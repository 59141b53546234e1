/**
 * Config and history comparison, and the shared base of two images (the longest common prefix
 * of their layers, by diff_id: what `FROM` made them share).
 */
import { listChanges } from './difflib.ts';

/** The parts of an OCI/Docker image config that a comparison reads (image-spec config.md). */
export interface ComparableConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  config?: {
    User?: string;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, object> | null;
    Volumes?: Record<string, object> | null;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    Shell?: string[] | null;
    OnBuild?: string[] | null;
    Domainname?: string;
    MacAddress?: string;
    AttachStdin?: boolean;
    AttachStdout?: boolean;
    AttachStderr?: boolean;
    Tty?: boolean;
    OpenStdin?: boolean;
    StdinOnce?: boolean;
    ArgsEscaped?: boolean;
    NetworkDisabled?: boolean;
  } | null;
  history?: { created_by?: string; empty_layer?: boolean }[] | null;
  rootfs?: { diff_ids?: string[] };
}

export type ConfigField =
  | 'Platform'
  | 'User'
  | 'WorkingDir'
  | 'Entrypoint'
  | 'Cmd'
  | 'Env'
  | 'ExposedPorts'
  | 'Volumes'
  | 'Labels'
  | 'StopSignal'
  | 'Shell';

/** One config field on both sides, as display strings, with list-valued fields split so
 * that a person sees which entries came and went. */
export interface ConfigFieldDiff {
  field: ConfigField;
  a: string[];
  b: string[];
  /** Entries only in B / only in A (for list-valued fields), or the whole value. */
  added: string[];
  removed: string[];
  changed: boolean;
}

function platform(c: ComparableConfig): string {
  return [c.os ?? '', c.architecture ?? '', c.variant ?? ''].filter(Boolean).join('/');
}

const sortedKeys = (m: Record<string, unknown> | null | undefined): string[] => Object.keys(m ?? {}).sort();

function fieldValues(c: ComparableConfig, field: ConfigField): string[] {
  const k = c.config ?? {};
  switch (field) {
    case 'Platform':
      return [platform(c)].filter(Boolean);
    case 'User':
      return k.User ? [k.User] : [];
    case 'WorkingDir':
      return k.WorkingDir ? [k.WorkingDir] : [];
    case 'StopSignal':
      return k.StopSignal ? [k.StopSignal] : [];
    case 'Entrypoint':
      return k.Entrypoint ? [JSON.stringify(k.Entrypoint)] : [];
    case 'Cmd':
      return k.Cmd ? [JSON.stringify(k.Cmd)] : [];
    case 'Shell':
      return k.Shell ? [JSON.stringify(k.Shell)] : [];
    case 'Env':
      return [...(k.Env ?? [])];
    case 'ExposedPorts':
      return sortedKeys(k.ExposedPorts);
    case 'Volumes':
      return sortedKeys(k.Volumes);
    case 'Labels':
      return sortedKeys(k.Labels).map((key) => `${key}=${k.Labels![key]}`);
  }
}

const FIELDS: readonly ConfigField[] = [
  'Platform',
  'User',
  'WorkingDir',
  'Entrypoint',
  'Cmd',
  'Env',
  'ExposedPorts',
  'Volumes',
  'Labels',
  'StopSignal',
  'Shell',
];

/** Every compared config field, changed or not (the view shows both and marks the changes). */
export function compareConfigs(a: ComparableConfig, b: ComparableConfig): ConfigFieldDiff[] {
  return FIELDS.map((field) => {
    const va = fieldValues(a, field);
    const vb = fieldValues(b, field);
    const setA = new Set(va);
    const setB = new Set(vb);
    const added = vb.filter((x) => !setA.has(x));
    const removed = va.filter((x) => !setB.has(x));
    const changed = va.length !== vb.length || va.some((x, i) => x !== vb[i]);
    return { field, a: va, b: vb, added, removed, changed };
  });
}

export interface HistoryComparison {
  /** The history lines both start with (the shared base's). */
  shared: string[];
  /** After the shared part: A's own lines and B's own lines. */
  onlyA: string[];
  onlyB: string[];
}

/** `created_by` lines, trimmed, as container-diff reads them. */
export function historyLines(c: ComparableConfig): string[] {
  return (c.history ?? []).map((h) => (h.created_by ?? '').trim());
}

/** History: the common prefix, then what each side adds after it. */
export function compareHistory(a: ComparableConfig, b: ComparableConfig): HistoryComparison {
  const ha = historyLines(a);
  const hb = historyLines(b);
  let n = 0;
  while (n < ha.length && n < hb.length && ha[n] === hb[n]) n++;
  return { shared: ha.slice(0, n), onlyA: ha.slice(n), onlyB: hb.slice(n) };
}

/** container-diff's `--type=history`: lines only in A (`dels`) and only in B (`adds`), by
 * difflib's sequence matching. */
export function historyListChanges(a: ComparableConfig, b: ComparableConfig): { adds: string[]; dels: string[] } {
  return listChanges(historyLines(a), historyLines(b));
}

/** The number of leading layers two images share (same diff_ids in the same order). */
export function sharedLayerCount(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** container-diff's `--type=metadata` lines (its `getMetadataList`): one `Name: value` line
 * per field of the container config. */
export function metadataLines(c: ComparableConfig): string[] {
  const k = c.config ?? {};
  // container-diff's SortMap: `key:value` pairs, sorted as strings, joined by spaces.
  const goMap = (m: Record<string, unknown> | null | undefined, value: (key: string) => string): string =>
    Object.keys(m ?? {})
      .map((key) => `${key}:${value(key)}`)
      .sort()
      .join(' ');
  const list = (x: string[] | null | undefined): string => (x ?? []).join(',');
  const bool = (x: boolean | undefined): string => String(x ?? false);
  return [
    `Domainname: ${k.Domainname ?? ''}`,
    `User: ${k.User ?? ''}`,
    `AttachStdin: ${bool(k.AttachStdin)}`,
    `AttachStdout: ${bool(k.AttachStdout)}`,
    `AttachStderr: ${bool(k.AttachStderr)}`,
    // map[string]struct{} converted with fmt.Sprintf("%s", struct{}{}) gives "{}" per value.
    `ExposedPorts: ${goMap(k.ExposedPorts, () => '{}')}`,
    `Tty: ${bool(k.Tty)}`,
    `OpenStdin: ${bool(k.OpenStdin)}`,
    `StdinOnce: ${bool(k.StdinOnce)}`,
    `Env: ${list(k.Env)}`,
    `Cmd: ${list(k.Cmd)}`,
    `ArgsEscaped: ${bool(k.ArgsEscaped)}`,
    `Volumes: ${goMap(k.Volumes, () => '{}')}`,
    `Workdir: ${k.WorkingDir ?? ''}`,
    `Entrypoint: ${list(k.Entrypoint)}`,
    `NetworkDisabled: ${bool(k.NetworkDisabled)}`,
    `MacAddress: ${k.MacAddress ?? ''}`,
    `OnBuild: ${list(k.OnBuild)}`,
    `Labels: ${goMap(k.Labels, (key) => k.Labels![key]!)}`,
    `StopSignal: ${k.StopSignal ?? ''}`,
    `Shell: ${list(k.Shell)}`,
  ];
}

export function metadataListChanges(a: ComparableConfig, b: ComparableConfig): { adds: string[]; dels: string[] } {
  return listChanges(metadataLines(a), metadataLines(b));
}
