/**
 * The comparison printed as container-diff prints it (`container-diff diff IMG1 IMG2
 * --type=file --type=size --type=history --type=metadata`, text and `--json`): its section
 * layout, its sizes (cloudfoundry bytefmt: binary units, one decimal), its column alignment
 * (Go's text/tabwriter with minwidth 8, padding 8), its sort orders and its JSON shapes
 * (GoogleContainerTools/container-diff util/template_utils.go, util/diff_output_utils.go,
 * util/output_sort_utils.go, tests/*_expected.json).
 *
 * Two deliberate departures, both in container-diff's own templates: its history section
 * tests one list and prints the other, and its metadata section prints each image's lines
 * under the other image's name. Here each section tests and prints the list it names.
 */
import { goJson, tabwrite } from '../docker/format.ts';
import type { FileChange } from './files.ts';

export type DiffType = 'file' | 'size' | 'history' | 'metadata';
export const DIFF_TYPES: readonly DiffType[] = ['file', 'history', 'metadata', 'size'];

/** cloudfoundry bytefmt's `ByteSize`: the largest binary unit that keeps the number ≥ 1, one
 * decimal (rounded half to even, as Go's strconv does on the exact value), `.0` dropped;
 * container-diff prints -1 (a size it could not read) as `unknown`. */
export function byteSize(bytes: number): string {
  if (bytes < 0) return 'unknown';
  if (bytes === 0) return '0';
  const units = ['B', 'K', 'M', 'G', 'T', 'P', 'E'];
  let k = 0;
  while (k < units.length - 1 && bytes >= 2 ** (10 * (k + 1))) k++;
  const n = BigInt(Math.round(bytes)) * 10n;
  const d = 1n << BigInt(10 * k);
  let q = n / d;
  const r2 = (n % d) * 2n;
  if (r2 > d || (r2 === d && q % 2n === 1n)) q++;
  const text = `${q / 10n}.${q % 10n}`;
  return (text.endsWith('.0') ? text.slice(0, -2) : text) + units[k];
}

/** container-diff's file lists: added and removed entries by name, changed files by their
 * size in the first image, largest first (or everything by size with `--order`). */
export interface FileLists {
  adds: { Name: string; Size: number }[];
  dels: { Name: string; Size: number }[];
  mods: { Name: string; Size1: number; Size2: number }[];
}

/** What container-diff lists as changed: content (or type) changes and symlink retargets;
 * mode, owner and xattr changes it does not see. */
function isContainerDiffMod(c: FileChange): boolean {
  return c.kind === 'modified' || c.fields.includes('linkname');
}

export function fileLists(changes: readonly FileChange[], orderBySize = false): FileLists {
  const name = (p: string) => `/${p}`;
  const adds = changes.filter((c) => c.kind === 'added').map((c) => ({ Name: name(c.path), Size: c.b!.size }));
  const dels = changes.filter((c) => c.kind === 'removed').map((c) => ({ Name: name(c.path), Size: c.a!.size }));
  const mods = changes
    .filter(isContainerDiffMod)
    .map((c) => ({ Name: name(c.path), Size1: c.a!.size, Size2: c.b!.size }));
  const byName = (x: { Name: string }, y: { Name: string }) => (x.Name < y.Name ? -1 : x.Name > y.Name ? 1 : 0);
  const bySize = (x: { Name: string; Size: number }, y: { Name: string; Size: number }) =>
    y.Size - x.Size || byName(x, y);
  adds.sort(orderBySize ? bySize : byName);
  dels.sort(orderBySize ? bySize : byName);
  // Go's sort.Sort is not stable; for equal sizes this keeps name order (what Go's insertion
  // sort gives for the short lists of its tests).
  mods.sort((x, y) => y.Size1 - x.Size1 || byName(x, y));
  return { adds, dels, mods };
}

export interface DiffInputs {
  image1: string;
  image2: string;
  files?: FileLists;
  size?: { size1: number; size2: number };
  history?: { adds: string[]; dels: string[] };
  metadata?: { adds: string[]; dels: string[] };
}

const TAB = (text: string) => tabwrite(text, 8, 8);

function fileSection(d: DiffInputs, f: FileLists): string {
  const rows = (list: { Name: string; Size: number }[]) =>
    list.length === 0 ? ' None' : '\nFILE\tSIZE' + list.map((e) => `\n${e.Name}\t${byteSize(e.Size)}`).join('');
  const mods =
    f.mods.length === 0
      ? ' None'
      : '\nFILE\tSIZE1\tSIZE2' +
        f.mods.map((e) => `\n${e.Name}\t${byteSize(e.Size1)}\t${byteSize(e.Size2)}`).join('') +
        '\n';
  return TAB(
    `\n-----File-----\n\n` +
      `These entries have been added to ${d.image2}:${rows(f.adds)}\n\n` +
      `These entries have been deleted from ${d.image2}:${rows(f.dels)}\n\n` +
      `These entries have been changed between ${d.image1} and ${d.image2}:${mods}\n`,
  );
}

function sizeSection(d: DiffInputs, s: { size1: number; size2: number }): string {
  const body = s.size1 === s.size2 ? ' None' : `\nSIZE1\tSIZE2\n${byteSize(s.size1)}\t${byteSize(s.size2)}\n`;
  return TAB(`\n-----Size-----\n\nImage size difference between ${d.image1} and ${d.image2}:${body}\n`);
}

const dashList = (lines: string[]) => (lines.length === 0 ? ' None' : '\n' + lines.map((l) => `-${l}\n`).join(''));

function historySection(d: DiffInputs, h: { adds: string[]; dels: string[] }): string {
  return TAB(
    `\n-----History-----\n\n` +
      `Docker history lines found only in ${d.image1}:${dashList(h.dels)}\n\n` +
      `Docker history lines found only in ${d.image2}:${dashList(h.adds)}\n`,
  );
}

function metadataSection(d: DiffInputs, m: { adds: string[]; dels: string[] }): string {
  return TAB(
    `\n-----Metadata-----\n\n` +
      `Image metadata differences between ${d.image1} and ${d.image2}:\n\n` +
      `${d.image1}${dashList(m.dels)}\n\n` +
      `${d.image2}${dashList(m.adds)}\n`,
  );
}

/** The text container-diff prints for the given types, in its order (analyzer names sorted). */
export function diffText(d: DiffInputs, types: readonly DiffType[]): string {
  let out = '';
  for (const t of DIFF_TYPES) {
    if (!types.includes(t)) continue;
    if (t === 'file' && d.files) out += fileSection(d, d.files);
    if (t === 'size' && d.size) out += sizeSection(d, d.size);
    if (t === 'history' && d.history) out += historySection(d, d.history);
    if (t === 'metadata' && d.metadata) out += metadataSection(d, d.metadata);
  }
  return out;
}

/** `--json`: container-diff's array of results (Go's json.MarshalIndent, two spaces). Empty
 * file lists are `null` there (Go nil slices); history and metadata lists are `[]`. */
export function diffJson(d: DiffInputs, types: readonly DiffType[]): string {
  const results: unknown[] = [];
  const base = { Image1: d.image1, Image2: d.image2 };
  const orNull = <T>(x: T[]) => (x.length === 0 ? null : x);
  for (const t of DIFF_TYPES) {
    if (!types.includes(t)) continue;
    if (t === 'file' && d.files) {
      const f = d.files;
      results.push({
        ...base,
        DiffType: 'File',
        Diff: { Adds: orNull(f.adds), Dels: orNull(f.dels), Mods: orNull(f.mods) },
      });
    }
    if (t === 'history' && d.history) {
      results.push({ ...base, DiffType: 'History', Diff: { Adds: d.history.adds, Dels: d.history.dels } });
    }
    if (t === 'metadata' && d.metadata) {
      results.push({ ...base, DiffType: 'Metadata', Diff: { Adds: d.metadata.adds, Dels: d.metadata.dels } });
    }
    if (t === 'size' && d.size) {
      const diff = d.size.size1 === d.size.size2 ? [] : [{ Name: '', Size1: d.size.size1, Size2: d.size.size2 }];
      results.push({ ...base, DiffType: 'Size', Diff: diff });
    }
  }
  return goJson(results, { indent: '  ' });
}
