/**
 * `docker images` / `docker image ls`: the daemon's filtering (moby image list: `dangling`,
 * `reference`, `before`, `since`, `label`, `until`) and the CLI's rows (docker/cli
 * formatter/image.go: one row per repository tag, digest rows with `--digests`), plus the
 * tree view of Docker CLI v29 (`--tree`, cli/command/image/tree.go layout).
 *
 * Dangling means neither tags nor digest names, the digest references an image was pulled by
 * (moby daemon/containerd `isDanglingImage`, for the `dangling` filter and `image prune`; a
 * digest a tag pull recorded leaves with the tag). Without `-a` or a `dangling=true` filter,
 * Docker CLI v29 hides dangling images (cli/command/image/list.go); an image pulled by digest
 * only is listed as `repo <none>` (the containerd image store lists its digest name). Docker's map-ordered rows (Go map iteration is random) are sorted by name here.
 */
import { BadPatternError, pathMatch as goPathMatch } from './path-match.ts';
import { GoStruct } from '../docker/template.ts';
import { codedError } from '../errors.ts';
import { createdSince, goTimeString, humanSize, humanSizeWithPrecision, truncateId } from '../docker/format.ts';
import { renderRows, isTableFormat } from '../docker/formatter.ts';
import { isDangling as danglingView, resolveImage, type ImageView, type RefView } from './store-view.ts';

export const DEFAULT_IMAGE_TABLE =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const DEFAULT_IMAGE_TABLE_WITH_DIGEST =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

export const IMAGE_HEADERS: Readonly<Record<string, string>> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

export class DaemonError extends codedError('DAEMON_ERROR', 'DaemonError') {
  override name = 'DaemonError';
}

// ---------------------------------------------------------------------------------------------
// Filters

const ACCEPTED_FILTERS = new Set(['dangling', 'label', 'before', 'since', 'reference', 'until']);

export type Filters = Map<string, string[]>;

/** `--filter k=v` values into a map; the CLI already refused values without `=`. */
export function parseFilters(values: readonly string[]): Filters {
  const m: Filters = new Map();
  for (const v of values) {
    const i = v.indexOf('=');
    const k = v.slice(0, i).trim().toLowerCase();
    const list = m.get(k) ?? [];
    list.push(v.slice(i + 1).trim());
    m.set(k, list);
  }
  return m;
}

/** Go's path.Match; a malformed pattern is the daemon's `syntax error in pattern`. */
export function pathMatch(pattern: string, name: string): boolean {
  try {
    return goPathMatch(pattern, name);
  } catch (e) {
    if (e instanceof BadPatternError) throw new DaemonError(e.message);
    throw e;
  }
}

/** reference.FamiliarMatch: the pattern against `name:tag`, else against the name alone. */
export function familiarMatch(pattern: string, ref: RefView): boolean {
  return pathMatch(pattern, ref.familiar) || pathMatch(pattern, ref.familiarName);
}

const DURATION_RE = /^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$/;

/** docker/api GetTimestamp: a Go duration before `now`, a date, or Unix seconds. Returns ms. */
export function parseTimestamp(value: string, nowMs: number): number {
  if (DURATION_RE.test(value)) {
    const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    let ms = 0;
    for (const m of value.matchAll(/([0-9]+(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * unit[m[2]!]!;
    return nowMs - ms;
  }
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value) * 1000;
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/.test(value)) {
    const hasZone = /(Z|[+-]\d{2}:\d{2})$/.test(value);
    const iso = value.replace(' ', 'T') + (hasZone ? '' : value.length === 10 ? 'T00:00:00Z' : 'Z');
    const ms = Date.parse(iso);
    if (Number.isFinite(ms)) return ms;
  }
  throw new DaemonError(`failed to parse value as time or duration: "${value}"`);
}

export interface FilteredImage extends ImageView {
  /** Neither tags nor digest names before filtering (store-view `isDangling`). */
  dangling: boolean;
}

/**
 * The daemon side of `docker images`: filters, and narrowing each image's references to those
 * a `reference` filter matches. Labels come from the image configs, read only when asked.
 */
export async function filterImages(
  views: readonly ImageView[],
  filters: Filters,
  opts: { all: boolean; nowMs: number; labelsOf: (view: ImageView) => Promise<Record<string, string>> },
): Promise<FilteredImage[]> {
  for (const k of filters.keys()) if (!ACCEPTED_FILTERS.has(k)) throw new DaemonError(`invalid filter '${k}'`);
  let danglingOnly = false;
  const dangling = filters.get('dangling');
  if (dangling) {
    if (dangling.every((v) => v.toLowerCase() === 'true' || v === '1')) danglingOnly = true;
    else if (!dangling.every((v) => v.toLowerCase() === 'false' || v === '0')) {
      throw new DaemonError(`invalid filter 'dangling=[${dangling.join(' ')}]'`);
    }
  }
  const created = (key: string): number[] =>
    (filters.get(key) ?? []).map((arg) => {
      const r = resolveImage(arg, views);
      if (!r.ok) throw new DaemonError(r.error);
      return r.view.created;
    });
  const before = created('before');
  const since = created('since');
  const until = (filters.get('until') ?? []).map((v) => parseTimestamp(v, opts.nowMs) / 1000);
  const patterns = filters.get('reference') ?? [];
  const labels = filters.get('label') ?? [];

  const out: FilteredImage[] = [];
  for (const v of views) {
    if (before.some((t) => v.created >= t)) continue;
    if (since.some((t) => v.created <= t)) continue;
    if (until.some((t) => v.created >= t)) continue;
    if (labels.length > 0) {
      const have = await opts.labelsOf(v);
      const ok = labels.every((l) => {
        const i = l.indexOf('=');
        return i < 0 ? Object.prototype.hasOwnProperty.call(have, l) : have[l.slice(0, i)] === l.slice(i + 1);
      });
      if (!ok) continue;
    }
    const keep = (r: RefView): boolean => patterns.length === 0 || patterns.some((p) => familiarMatch(p, r));
    const tags = v.tags.filter(keep);
    const digests = v.digests.filter(keep);
    const noRefs = v.tags.length === 0 && v.digests.length === 0;
    // references exist but none matched; or none exist and a reference filter asks for some
    if (tags.length === 0 && digests.length === 0 && (!noRefs || patterns.length > 0)) continue;
    const isDangling = danglingView(v);
    if (dangling && danglingOnly !== isDangling) continue; // the daemon's `dangling=` filter
    if (!dangling && !opts.all && isDangling) continue; // the CLI hides dangling images unless -a
    out.push({ ...v, tags, digests, dangling: isDangling });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rows

export interface ImageRowOptions {
  nowMs: number;
  trunc: boolean;
  /** `--digests`. */
  digest: boolean;
  /** Show digests for tag rows (`--digests` or a format mentioning `{{.Digest}}`). */
  needDigest: boolean;
}

/** docker/cli imageContext for one row. */
export function imageRow(v: ImageView, repo: string, tag: string, digest: string, o: ImageRowOptions): GoStruct {
  const size = v.image.size;
  return new GoStruct('*formatter.imageContext', {
    Containers: 'N/A',
    CreatedAt: goTimeString(v.created),
    CreatedSince: createdSince(v.created, o.nowMs),
    Digest: digest,
    ID: o.trunc ? truncateId(v.image.id) : v.image.id,
    Repository: repo,
    SharedSize: 'N/A',
    Size: humanSizeWithPrecision(size, 3),
    Tag: tag,
    UniqueSize: 'N/A',
    VirtualSize: humanSize(size),
  });
}

const familiarRepo = (r: RefView): string => r.familiarName;

/** formatter.imageFormat: the rows of one image. */
export function rowsOf(v: FilteredImage, o: ImageRowOptions): GoStruct[] {
  if (v.tags.length === 0 && v.digests.length === 0) return [imageRow(v, '<none>', '<none>', '<none>', o)];
  const rows: GoStruct[] = [];
  const digestsByRepo = new Map<string, string[]>();
  for (const d of v.digests) {
    const repo = familiarRepo(d);
    digestsByRepo.set(repo, [...(digestsByRepo.get(repo) ?? []), d.ref.digest!]);
  }
  const tagsByRepo = new Map<string, string[]>();
  for (const t of v.tags) {
    const repo = familiarRepo(t);
    tagsByRepo.set(repo, [...(tagsByRepo.get(repo) ?? []), t.ref.tag!]);
  }
  for (const [repo, tags] of [...tagsByRepo].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const digests = o.needDigest ? (digestsByRepo.get(repo) ?? []) : [];
    digestsByRepo.delete(repo);
    for (const tag of tags) {
      if (digests.length === 0) rows.push(imageRow(v, repo, tag, '<none>', o));
      else for (const d of digests) rows.push(imageRow(v, repo, tag, d, o));
    }
  }
  for (const [repo, digests] of [...digestsByRepo].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (o.digest) for (const d of digests) rows.push(imageRow(v, repo, '<none>', d, o));
    else rows.push(imageRow(v, repo, '<none>', '', o));
  }
  return rows;
}

/**
 * The references of one image as the images table lists them, the rows of `docker images`
 * without `--digests` (formatter `imageFormat`): one per tag, one `repo <none>` per repository
 * that has digest references but no tag (`reference` is then its first digest reference,
 * `repo@sha256:…`), and `<none> <none>` for a dangling image.
 */
export function imageRowRefs(
  v: ImageView,
): { repository: string; tag: string; reference?: string; dangling: boolean }[] {
  if (v.tags.length === 0 && v.digests.length === 0) return [{ repository: '<none>', tag: '<none>', dangling: true }];
  const dangling = danglingView(v);
  const rows: { repository: string; tag: string; reference?: string; dangling: boolean }[] = v.tags.map((t) => ({
    repository: t.familiarName,
    tag: t.ref.tag!,
    reference: t.familiar,
    dangling: false,
  }));
  const tagged = new Set(v.tags.map((t) => t.familiarName));
  for (const d of v.digests) {
    if (tagged.has(d.familiarName)) continue;
    tagged.add(d.familiarName);
    rows.push({ repository: d.familiarName, tag: '<none>', reference: d.familiar, dangling });
  }
  return rows;
}

/** formatter.NewImageFormat. */
export function imageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === 'table') {
    if (quiet) return '{{.ID}}';
    return digest ? DEFAULT_IMAGE_TABLE_WITH_DIGEST : DEFAULT_IMAGE_TABLE;
  }
  if (source === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return digest
      ? 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n'
      : 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  if (isTableFormat(source) && digest && !source.includes('{{.Digest}}')) return source + '\t{{.Digest}}';
  return source;
}

export interface ImagesOptions {
  quiet: boolean;
  digests: boolean;
  noTrunc: boolean;
  format: string;
  nowMs: number;
}

/** The whole `docker images` output for already filtered images. Throws FormatError. */
export function renderImages(images: readonly FilteredImage[], o: ImagesOptions): string {
  const format = imageFormat(o.format || 'table', o.quiet, o.digests);
  const rowOpts: ImageRowOptions = {
    nowMs: o.nowMs,
    trunc: !o.noTrunc,
    digest: o.digests,
    needDigest: o.digests || format.includes('{{.Digest}}'),
  };
  const rows = images.flatMap((v) => rowsOf(v, rowOpts));
  return renderRows(format, rows, IMAGE_HEADERS);
}

export { renderTree, treeImages } from './images-tree.ts';

export { resolveImage };
