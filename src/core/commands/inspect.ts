/**
 * `docker image inspect` and `docker history` from an image record and its config.
 *
 * Inspect prints the Engine API's current InspectResponse (moby api/types/image
 * image_inspect.go): fields in struct order, `omitempty` ones dropped when empty (Parent,
 * Comment, Created, DockerVersion, Author, Variant, OsVersion), Config as
 * DockerOCIImageConfig (ocispec ImageConfig + Healthcheck/OnBuild/Shell, maps sorted by key),
 * indented with four spaces, `<>&` escaped as json.Marshal does. GraphDriver and Descriptor
 * describe a daemon's storage and are left out.
 */
import { LIMITS } from '../limits.ts';
import {
  GO_ZERO_TIME,
  goJson,
  createdSince,
  ellipsis,
  humanSizeWithPrecision,
  rfc3339,
  truncateId,
} from '../docker/format.ts';
import { GoStruct } from '../docker/template.ts';
import { renderRows } from '../docker/formatter.ts';
import type { ImageView } from './store-view.ts';

/** Rows `docker history` prints at most; the rest is announced on stderr, never dropped silently. */
export const MAX_HISTORY_ROWS = LIMITS.historyEntries;

type Obj = Record<string, unknown>;

export function asObject(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}
const asString = (v: unknown): string => (typeof v === 'string' ? v : '');
const asStrings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

function sortedMap(v: unknown, valueOf: (x: unknown) => unknown): Obj | undefined {
  const o = asObject(v);
  if (!o) return undefined;
  const out: Obj = {};
  for (const k of Object.keys(o).sort()) out[k] = valueOf(o[k]);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Labels from a config (`config.Labels`), string values only. */
export function labelsOf(config: unknown): Record<string, string> {
  const labels = asObject(asObject(asObject(config)?.['config'])?.['Labels']);
  const out: Record<string, string> = {};
  if (labels) for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Go's RFC3339Nano of a parsed time: fraction without trailing zeros. */
export function goTimeJson(s: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return undefined;
  let frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac === '.') frac = '';
  // Go's Z07:00 layout writes any zero offset as Z.
  const zone = /^([Zz]|[+-]00:00)$/.test(m[4]!) ? 'Z' : m[4]!;
  return `${m[1]}T${m[2]}${frac.slice(0, 10)}${zone}`;
}

function imageConfig(raw: unknown): Obj {
  const c = asObject(raw) ?? {};
  const out: Obj = {};
  const put = (k: string, v: unknown): void => {
    if (v === undefined || v === '' || v === false || v === 0) return;
    if (Array.isArray(v) && v.length === 0) return;
    out[k] = v;
  };
  put('User', asString(c['User']));
  put(
    'ExposedPorts',
    sortedMap(c['ExposedPorts'], () => ({})),
  );
  put('Env', asStrings(c['Env']));
  put('Entrypoint', asStrings(c['Entrypoint']));
  put('Cmd', asStrings(c['Cmd']));
  put(
    'Volumes',
    sortedMap(c['Volumes'], () => ({})),
  );
  put('WorkingDir', asString(c['WorkingDir']));
  put(
    'Labels',
    sortedMap(c['Labels'], (x) => (typeof x === 'string' ? x : '')),
  );
  put('StopSignal', asString(c['StopSignal']));
  put('ArgsEscaped', c['ArgsEscaped'] === true);
  const hc = asObject(c['Healthcheck']);
  if (hc) {
    const h: Obj = {};
    const test = asStrings(hc['Test']);
    if (test && test.length) h['Test'] = test;
    for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
      if (typeof hc[k] === 'number' && hc[k] !== 0) h[k] = hc[k];
    }
    out['Healthcheck'] = h;
  }
  put('OnBuild', asStrings(c['OnBuild']));
  put('Shell', asStrings(c['Shell']));
  return out;
}

/** The InspectResponse object of one image. */
export function inspectObject(v: ImageView, config: unknown): Obj {
  const cfg = asObject(config) ?? {};
  const img = v.image;
  const o: Obj = {
    Id: img.id,
    RepoTags: v.tags.map((t) => t.familiar),
    RepoDigests: v.digests.map((d) => d.familiar),
  };
  const comment = asString(cfg['comment']);
  if (comment) o['Comment'] = comment;
  const created = goTimeJson(asString(cfg['created']));
  if (created) o['Created'] = created;
  const dockerVersion = asString(cfg['docker_version']);
  if (dockerVersion) o['DockerVersion'] = dockerVersion;
  const author = asString(cfg['author']);
  if (author) o['Author'] = author;
  o['Config'] = imageConfig(cfg['config']);
  o['Architecture'] = asString(cfg['architecture']) || img.platform.architecture;
  const variant = asString(cfg['variant']) || img.platform.variant || '';
  if (variant) o['Variant'] = variant;
  o['Os'] = asString(cfg['os']) || img.platform.os;
  const osVersion = asString(cfg['os.version']) || img.platform['os.version'] || '';
  if (osVersion) o['OsVersion'] = osVersion;
  o['Size'] = img.size;
  o['RootFS'] = { Type: 'layers', Layers: img.layers.map((l) => l.diffId) };
  o['Metadata'] = { LastTagTime: goTimeJson(new Date(img.storedAt).toISOString()) ?? '0001-01-01T00:00:00Z' };
  return o;
}

export { inspectTyped } from './inspect-typed.ts';

/** `--format json`: the JSON inspector, compact. */
export function renderInspectCompact(objects: readonly Obj[]): string {
  return (objects.length === 0 ? '[]' : goJson(objects)) + '\n';
}

/** The default (no `--format`) inspect output: a JSON array, 4-space indent. */
export function renderInspectJson(objects: readonly Obj[]): string {
  if (objects.length === 0) return '[]\n';
  return goJson(objects, { indent: '    ' }) + '\n';
}

// ---------------------------------------------------------------------------------------------
// History

export interface HistoryItem {
  id: string;
  /** Unix seconds; Go's zero time (-62135596800) when the entry has none. */
  created: number;
  createdBy: string;
  size: number;
  comment: string;
}

const EPOCH_2000 = 946684800;

/** daemon ImageHistory: config history newest first, sizes from the non-empty layers. */
export function historyItems(v: ImageView, config: unknown): HistoryItem[] {
  const hist = asObject(config)?.['history'];
  const entries = Array.isArray(hist) ? hist : [];
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const raw of entries) {
    const h = asObject(raw) ?? {};
    let size = 0;
    if (h['empty_layer'] !== true) {
      const l = v.image.layers[layer];
      if (!l) throw new Error('too many non-empty layers in History section');
      size = l.size;
      layer++;
    }
    const t = goTimeJson(asString(h['created']));
    const ms = t ? Date.parse(t) : NaN;
    items.unshift({
      id: '<missing>',
      created: Number.isFinite(ms) ? Math.floor(ms / 1000) : GO_ZERO_TIME,
      createdBy: asString(h['created_by']),
      size,
      comment: asString(h['comment']),
    });
  }
  if (items.length > 0) items[0]!.id = v.image.id;
  return items;
}

export const HISTORY_HEADERS = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export interface HistoryOptions {
  human: boolean;
  noTrunc: boolean;
  quiet: boolean;
  format: string;
  nowMs: number;
}

/** docker/cli formatter_history.go. Throws FormatError. */
export function renderHistory(items: readonly HistoryItem[], o: HistoryOptions): string {
  let format = o.format || 'table';
  if (format === 'table') {
    format = o.quiet
      ? '{{.ID}}'
      : o.human
        ? 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'
        : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
  }
  const trunc = !o.noTrunc;
  const rows = items.map((h) => {
    const createdAt = rfc3339(h.created);
    const createdBy = h.createdBy.replace(/\t/g, ' ');
    return new GoStruct('*image.historyContext', {
      Comment: h.comment,
      CreatedAt: createdAt,
      CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
      // Before 2000 (the zero time included): N/A, as docker 28.2.2 printed it against a daemon here.
      CreatedSince: !o.human ? createdAt : h.created <= EPOCH_2000 ? 'N/A' : createdSince(h.created, o.nowMs),
      ID: trunc ? truncateId(h.id) : h.id,
      Size: o.human ? humanSizeWithPrecision(h.size, 3) : String(h.size),
    });
  });
  return renderRows(format, rows, HISTORY_HEADERS);
}
