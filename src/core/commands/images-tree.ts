/**
 * `docker images` as docker/cli v29 prints it by default: the tree view (cli/command/image/
 * tree.go). Without `--tree` it is collapsed: one row per tag (an untagged image gets one
 * `<untagged>` row), no platform children; with `--tree` each image lists all its tags and one
 * child per platform. Rows are sorted by their first name, untagged last. Output that is not a
 * terminal has no legend and no width limit: the first column is as wide as its widest value.
 */
import { humanSizeWithPrecision, shortId } from '../docker/format.ts';
import type { FilteredImage } from './images.ts';
import { digestNames, platformString } from './store-view.ts';

interface TreeDetails {
  id: string;
  diskUsage: string;
  contentSize: string;
  inUse: boolean;
}
export interface TreeImage {
  names: string[];
  details: TreeDetails;
  children: { platform: string; details: TreeDetails }[];
}

const COLUMN_SPACING = 3;

/** cli/command/image/tree.go runTree: the view's rows for filtered images. */
export function treeImages(images: readonly FilteredImage[], expanded = true): TreeImage[] {
  const rows: TreeImage[] = [];
  for (const v of images) {
    const size = humanSizeWithPrecision(v.image.size, 3);
    const content = humanSizeWithPrecision(v.image.downloadSize, 3);
    const details: TreeDetails = { id: v.image.id, diskUsage: size, contentSize: content, inUse: false };
    // The containerd image store names an image pulled by digest `repo@sha256:…` (its RepoTags
    // hold that name): a digest name shows when its repository has no tag there.
    const tagged = new Set(v.tags.map((t) => t.familiarName));
    const names = [...v.tags, ...digestNames(v).filter((d) => !tagged.has(d.familiarName))]
      .map((t) => t.familiar)
      .sort(byteCompare);
    if (expanded) {
      const child = {
        platform: platformString(v.image.platform),
        details: { id: v.image.manifestDigest, diskUsage: size, contentSize: content, inUse: false },
      };
      rows.push({ names, details, children: [child] });
      continue;
    }
    if (names.length === 0) rows.push({ names: [], details, children: [] });
    for (const n of names) rows.push({ names: [n], details, children: [] });
  }
  // Sorted by first name (strings.Compare); untagged rows last.
  return rows.sort((a, b) => {
    const x = a.names[0] ?? '';
    const y = b.names[0] ?? '';
    if ((x === '') !== (y === '')) return x === '' ? 1 : -1;
    return byteCompare(x, y);
  });
}

const ASCII = /^[\x00-\x7f]*$/;

function byteCompare(a: string, b: string): number {
  // ASCII (every reference is): UTF-16 order is byte order.
  if (ASCII.test(a) && ASCII.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function runeLength(s: string): number {
  return ASCII.test(s) ? s.length : Array.from(s).length;
}
function utf8Length(s: string): number {
  return ASCII.test(s) ? s.length : new TextEncoder().encode(s).length;
}
function fit(s: string, width: number, align: 'left' | 'right'): string {
  const n = runeLength(s);
  if (n > width)
    return (
      Array.from(s)
        .slice(0, width - 3)
        .join('') + '...'
    );
  return align === 'left' ? s + ' '.repeat(width - n) : ' '.repeat(width - n) + s;
}

/**
 * printImageTree without colours. `terminalWidth` 0 is output that is not a terminal (what the
 * command bar prints): no column is dropped and the first column takes its widest value.
 */
export function renderTree(images: readonly TreeImage[], terminalWidth = 80): string {
  const cols = [
    { title: 'ID', width: 12, align: 'left' as const, value: (d: TreeDetails) => shortId(d.id) },
    { title: 'DISK USAGE', width: 10, align: 'right' as const, value: (d: TreeDetails) => d.diskUsage },
    { title: 'CONTENT SIZE', width: 12, align: 'right' as const, value: (d: TreeDetails) => d.contentSize },
    { title: 'EXTRA', width: 5, align: 'left' as const, value: (d: TreeDetails) => (d.inUse ? 'U' : ' ') },
  ];
  let nameWidth = Math.max(terminalWidth, 20);
  let shown = cols.length;
  for (let i = 0; i < cols.length && terminalWidth > 0; i++) {
    const d = cols[i]!.width + COLUMN_SPACING;
    if (nameWidth - d < 12) {
      shown = i;
      break;
    }
    nameWidth -= d;
  }
  const columns = cols.slice(0, shown);
  // Go measures the first column in bytes here (len), and pads in runes.
  let widest = 'IMAGE'.length;
  for (const img of images) {
    for (const n of img.names) widest = Math.max(widest, utf8Length(n));
    if (img.names.length === 0) widest = Math.max(widest, '<untagged>'.length);
    for (const c of img.children) widest = Math.max(widest, utf8Length(c.platform) + utf8Length('└─ '));
  }
  nameWidth = terminalWidth === 0 ? widest : Math.min(nameWidth, widest);
  const spacing = images.some((i) => i.children.length > 0);
  const details = (d: TreeDetails): string =>
    columns.map((c) => ' '.repeat(COLUMN_SPACING) + fit(c.value(d), c.width, c.align)).join('');
  let out =
    fit('IMAGE', nameWidth, 'left') +
    columns.map((c) => ' '.repeat(COLUMN_SPACING) + fit(c.title, c.width, c.align)).join('') +
    '\n';
  for (const img of images) {
    const names = img.names.length > 0 ? img.names : ['<untagged>'];
    out += names.map((n) => fit(n, nameWidth, 'left')).join('\n');
    out += details(img.details);
    if (img.children.length > 0 || spacing) out += '\n';
    img.children.forEach((c, i) => {
      const branch = i === img.children.length - 1 ? '└─ ' : '├─ ';
      out += fit(branch + c.platform, nameWidth, 'left') + details(c.details) + '\n';
    });
    out += '\n';
  }
  return out;
}
