/**
 * `docker system df [-v]` (docker/cli formatter/disk_usage.go). Images: TOTAL counts every
 * stored image, SIZE is the distinct layers' size (shared layers once), and all of it is
 * reclaimable because no container uses any image. Containers, Local Volumes and Build Cache
 * print as an empty daemon reports them.
 */
import { GoStruct } from '../docker/template.ts';
import { createdSince, humanSize, humanSizeWithPrecision, truncateId } from '../docker/format.ts';
import { renderRows, isTableFormat, preFormat, FormatError } from '../docker/formatter.ts';
import { parseTemplate, TemplateError } from '../docker/template.ts';
import { sharedSizes } from './remove.ts';
import { IMAGE_HEADERS, imageFormat } from './images.ts';
import type { ImageView } from './store-view.ts';

const DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const DF_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const DF_IMAGES_TABLE =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const DF_CONTAINERS_TABLE =
  'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const CONTAINER_HEADERS = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  LocalVolumes: 'LOCAL VOLUMES',
  Size: 'SIZE',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  Names: 'NAMES',
};
const DF_VOLUMES_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const VOLUME_HEADERS = { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' };
const DF_BUILD_CACHE_TABLE =
  'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';
const BUILD_CACHE_HEADERS = {
  ID: 'CACHE ID',
  CacheType: 'CACHE TYPE',
  Size: 'SIZE',
  CreatedSince: 'CREATED',
  LastUsedSince: 'LAST USED',
  UsageCount: 'USAGE',
  Shared: 'SHARED',
};

function usageRow(type: string, total: number, size: number, reclaimable: number): GoStruct {
  return new GoStruct('*formatter.diskUsageContext', {
    Active: '0',
    Reclaimable:
      size > 0 ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / size)}%)` : humanSize(reclaimable),
    Size: humanSize(size),
    TotalCount: String(total),
    Type: type,
  });
}

export interface DfOptions {
  verbose: boolean;
  format: string;
  nowMs: number;
}

/** The verbose images rows: first tag only, truncated IDs in tables. */
function verboseImages(views: readonly ImageView[], trunc: boolean, nowMs: number): GoStruct[] {
  const { shared } = sharedSizes(views);
  return views.map((v) => {
    const first = v.tags[0];
    const sharedSize = shared.get(v.image.id) ?? 0;
    return new GoStruct('*formatter.imageContext', {
      Containers: '0',
      CreatedAt: '',
      CreatedSince: createdSince(v.created, nowMs),
      Digest: '',
      ID: trunc ? truncateId(v.image.id) : v.image.id,
      Repository: first ? first.familiarName : '<none>',
      SharedSize: humanSize(sharedSize),
      Size: humanSizeWithPrecision(v.image.size, 3),
      Tag: first ? first.ref.tag! : '<none>',
      UniqueSize: humanSize(v.image.size - sharedSize),
      VirtualSize: humanSize(v.image.size),
    });
  });
}

/** Throws FormatError on a bad `--format`. */
export function renderDf(views: readonly ImageView[], o: DfOptions): string {
  const source = o.format || 'table';
  if (!o.verbose) {
    const { layersSize } = sharedSizes(views);
    const rows = [
      usageRow('Images', views.length, layersSize, layersSize),
      usageRow('Containers', 0, 0, 0),
      usageRow('Local Volumes', 0, 0, 0),
      new GoStruct('*formatter.diskUsageBuilderContext', {
        Active: '0',
        Reclaimable: humanSize(0),
        Size: humanSize(0),
        TotalCount: '0',
        Type: 'Build Cache',
      }),
    ];
    const format =
      source === 'table'
        ? DF_TABLE
        : source === 'raw'
          ? 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n'
          : source;
    return renderRows(format, rows, DF_HEADERS);
  }
  const trunc = isTableFormat(source);
  const images = verboseImages(views, trunc, o.nowMs);
  if (source === 'table') {
    let out = 'Images space usage:\n\n';
    out += renderRows(DF_IMAGES_TABLE, images, IMAGE_HEADERS);
    out += '\nContainers space usage:\n\n';
    out += renderRows(DF_CONTAINERS_TABLE, [], CONTAINER_HEADERS);
    out += '\nLocal Volumes space usage:\n\n';
    out += renderRows(DF_VOLUMES_TABLE, [], VOLUME_HEADERS);
    out += `\nBuild cache usage: ${humanSize(0)}\n\n`;
    out += renderRows(DF_BUILD_CACHE_TABLE, [], BUILD_CACHE_HEADERS);
    return out;
  }
  // A custom verbose format runs once over {Images, Containers, Volumes, BuildCache}.
  const format =
    source === 'raw'
      ? `{{range .Images}}type: Image\n${imageFormat('raw', false, true)}\n{{end -}}\n` +
        '{{range .Containers}}type: Container\n{{end -}}\n{{range .Volumes}}type: Volume\n{{end -}}\n' +
        '{{range .BuildCache}}type: Build Cache\n{{end -}}'
      : source;
  try {
    const tmpl = parseTemplate(preFormat(format));
    return tmpl.execute(
      new GoStruct(
        '*formatter.diskUsageContext',
        { Images: images, Containers: [], Volumes: [], BuildCache: [] },
        'struct',
      ),
    );
  } catch (e) {
    if (e instanceof TemplateError) throw new FormatError(`template parsing error: ${e.message}`);
    throw e;
  }
}
