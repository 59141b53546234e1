/** Filtering and sorting the images table: pure, so the GUI's order is tested in Node. */
import type { ImageRow } from '../../app/api.ts';

/** A row's stable key: one row per tag, so repository, tag and image ID together. */
export const rowKey = (r: { repository: string; tag: string; id: string }): string =>
  `${r.repository}:${r.tag}@${r.id}`;

/** The name a row's actions pass to `docker …`: the reference the row stands for (`repo:tag`, or
 * `repo@sha256:…` for a digest-only row), else `repo:tag`, or the short ID of a dangling image. */
export const rowRef = (r: {
  repository: string;
  tag: string;
  id: string;
  dangling: boolean;
  reference?: string;
}): string => r.reference ?? (r.dangling ? r.id.slice(7, 19) : `${r.repository}:${r.tag}`);

/** How many rows of the images table are drawn at first, and added by each "Show more". */
export const ROWS_PAGE = 100;

export type SortKey = 'repository' | 'tag' | 'id' | 'created' | 'size';
export type SortDir = 'asc' | 'desc';

/** Text filter over repository, tag and ID (case-insensitive); dangling rows only on demand. */
export function filterRows(rows: readonly ImageRow[], text: string, showDangling: boolean): ImageRow[] {
  const q = text.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (showDangling || !r.dangling) &&
      (q === '' ||
        r.repository.toLowerCase().includes(q) ||
        r.tag.toLowerCase().includes(q) ||
        r.shortId.includes(q) ||
        `${r.repository}:${r.tag}`.toLowerCase().includes(q)),
  );
}

const compare: Record<SortKey, (a: ImageRow, b: ImageRow) => number> = {
  repository: (a, b) => a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag),
  tag: (a, b) => a.tag.localeCompare(b.tag) || a.repository.localeCompare(b.repository),
  id: (a, b) => a.id.localeCompare(b.id),
  created: (a, b) => a.createdMs - b.createdMs,
  size: (a, b) => a.size - b.size,
};

/** Stable sort; ties keep Docker's order (newest first), which the rows arrive in. */
export function sortRows(rows: readonly ImageRow[], key: SortKey, dir: SortDir): ImageRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => sign * compare[key](a.row, b.row) || a.i - b.i)
    .map((x) => x.row);
}
