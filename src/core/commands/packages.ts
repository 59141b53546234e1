/**
 * `packages IMAGE [--format table|json]`: the packages installed in a stored image, in the
 * table syft prints (syft/format/table: NAME, VERSION, TYPE, sorted by name, version, type;
 * identical rows folded with a "(+N duplicates)" note; each cell padded to its column's width
 * and followed by two spaces; "No packages discovered" when there are none), or as JSON
 * with each package's layer, which syft does not record.
 *
 * The command bar sends a line starting with `packages` here (src/core/commands/run.ts), with
 * the words after it and a context that can list images and read an image's package history.
 */
import type { Digest } from '../digest.ts';
import type { PackageHistory } from '../packages/history.ts';
import { packagePurl } from '../sbom/purl.ts';
import type { CommandOutput, DockerContext } from './context.ts';
import { buildViews, resolveImage } from './store-view.ts';

export interface PackagesContext extends Pick<DockerContext, 'listImages' | 'listTags'> {
  /** The image's package history (src/core/packages/history.ts). */
  packages(imageId: Digest): Promise<PackageHistory>;
}

const width = (s: string) => [...s].length;

/** syft's table: rows sorted by name, version, type; duplicates folded. */
export function renderPackagesTable(rows: readonly { name: string; version: string; type: string }[]): string {
  if (rows.length === 0) return 'No packages discovered\n';
  const sorted = rows
    .map((r) => [r.name, r.version, r.type])
    .sort((a, b) => {
      for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
      return 0;
    });
  const counts = new Map<string, number>();
  const unique: string[][] = [];
  for (const r of sorted) {
    const k = r.join('|');
    const n = counts.get(k);
    if (n === undefined) unique.push(r);
    counts.set(k, (n ?? 0) + 1);
  }
  for (const r of unique) {
    const n = counts.get(r.join('|'))!;
    r.push(n === 2 ? '(+1 duplicate)' : n > 2 ? `(+${n - 1} duplicates)` : '');
  }
  const header = ['NAME', 'VERSION', 'TYPE', ''];
  const table = [header, ...unique];
  // A column empty in every row is hidden (tablewriter's AutoHide), as the note column usually is.
  const shown = [0, 1, 2, 3].filter((c) => c < 3 || unique.some((r) => r[c] !== ''));
  const widths = shown.map((c) => Math.max(...table.map((r) => width(r[c]!))));
  return table
    .map((r) => shown.map((c, i) => r[c]! + ' '.repeat(widths[i]! - width(r[c]!)) + '  ').join('') + '\n')
    .join('');
}

export interface PackagesJsonImage {
  id: Digest;
  userInput: string;
  manifestDigest?: string | undefined;
  layers: { digest: string; diffId: string; createdBy?: string | undefined }[];
}

/** The JSON form: syft's top-level shape (artifacts, distro, source) with Layerscope's
 * per-package layer, change history and database events. */
export function renderPackagesJson(h: PackageHistory, image: PackagesJsonImage): string {
  const artifacts = h.packages.map((p) => {
    const l = image.layers[p.layer];
    return {
      name: p.name,
      version: p.version,
      type: p.type,
      ...(p.arch ? { architecture: p.arch } : {}),
      ...(p.epoch !== undefined ? { epoch: p.epoch } : {}),
      ...(p.source ? { source: p.source } : {}),
      ...(p.installedSize !== undefined ? { installedSize: p.installedSize } : {}),
      ...(p.license ? { license: p.license } : {}),
      purl: packagePurl(p, h.distro),
      locations: [{ path: '/' + p.database, ...(l ? { layerID: l.diffId } : {}) }],
      layer: { index: p.layer, ...(l ? { digest: l.digest, createdBy: l.createdBy ?? '' } : {}) },
      addedInLayer: p.addedIn,
    };
  });
  const doc = {
    artifacts,
    changes: h.changes,
    databases: h.databases,
    events: h.events,
    errors: h.errors,
    distro: h.distro ?? {},
    source: {
      type: 'image',
      id: image.id,
      userInput: image.userInput,
      ...(image.manifestDigest ? { manifestDigest: image.manifestDigest } : {}),
    },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

const USAGE = 'Usage:  packages IMAGE [--format table|json]\n';

/** Runs `packages ARGS…`; returns the exit status (0 ok, 1 error, 125 usage error). */
export async function runPackagesCommand(
  args: readonly string[],
  ctx: PackagesContext,
  out: CommandOutput,
): Promise<number> {
  let format = 'table';
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^(?:--format|--output|-o)(?:=(.*))?$/.exec(a);
    if (m) {
      const v = m[1] ?? args[++i];
      if (v === undefined) {
        out.stderr(`flag needs an argument: ${a}\n${USAGE}`);
        return 125;
      }
      format = v;
    } else if (a === '--help' || a === '-h') {
      out.stdout(USAGE + '\nList the OS packages (dpkg, apk, rpm) installed in an image.\n');
      return 0;
    } else if (a.startsWith('-') && a !== '-') {
      out.stderr(`unknown flag: ${a}\n${USAGE}`);
      return 125;
    } else positional.push(a);
  }
  if (format !== 'table' && format !== 'json') {
    out.stderr(`unsupported output format "${format}", supported formats are: [table json]\n`);
    return 125;
  }
  if (positional.length !== 1) {
    out.stderr(`"packages" requires exactly 1 argument.\n${USAGE}`);
    return 125;
  }
  const [images, tags] = await Promise.all([ctx.listImages(), ctx.listTags()]);
  const r = resolveImage(positional[0]!, buildViews(images, tags));
  if (!r.ok) {
    out.stderr(`Error: ${r.error}\n`);
    return 1;
  }
  const img = r.view.image;
  let h: PackageHistory;
  try {
    h = await ctx.packages(img.id);
  } catch (e) {
    out.stderr(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  for (const e of h.errors) out.stderr(`Warning: ${e}\n`);
  if (format === 'json')
    out.stdout(
      renderPackagesJson(h, {
        id: img.id,
        userInput: positional[0]!,
        manifestDigest: img.manifestDigest,
        layers: img.layers.map((l) => ({ digest: l.digest, diffId: l.diffId })),
      }),
    );
  else out.stdout(renderPackagesTable(h.packages));
  return 0;
}
