import { describe, expect, it } from 'vitest';
import type { ImageRow } from '../../app/api.ts';
import { filterRows, sortRows } from './image-rows.ts';

const row = (
  repository: string,
  tag: string,
  id: string,
  createdMs: number,
  size: number,
  dangling = false,
): ImageRow => ({
  repository,
  tag,
  id: `sha256:${id.padEnd(64, '0')}`,
  shortId: id.padEnd(12, '0').slice(0, 12),
  created: new Date(createdMs).toISOString(),
  createdSince: '',
  createdMs,
  size,
  sizeText: '',
  dangling,
});
const rows = [
  row('alpine', 'latest', 'aaa', 3000, 7_800_000),
  row('ubuntu', '24.04', 'bbb', 2000, 78_000_000),
  row('<none>', '<none>', 'ccc', 1000, 5, true),
  row('ghcr.io/o/app', 'v1', 'ddd', 4000, 120),
];

describe('images table', () => {
  it('hides dangling images unless asked', () => {
    expect(filterRows(rows, '', false).map((r) => r.repository)).toEqual(['alpine', 'ubuntu', 'ghcr.io/o/app']);
    expect(filterRows(rows, '', true)).toHaveLength(4);
  });
  it('filters by repository, tag, name:tag or ID prefix', () => {
    expect(filterRows(rows, 'UBU', false).map((r) => r.tag)).toEqual(['24.04']);
    expect(filterRows(rows, 'ghcr.io/o/app:v1', false)).toHaveLength(1);
    expect(filterRows(rows, 'ddd', false).map((r) => r.repository)).toEqual(['ghcr.io/o/app']);
  });
  it('sorts by size and by created, both ways', () => {
    expect(sortRows(rows, 'size', 'desc').map((r) => r.size)).toEqual([78_000_000, 7_800_000, 120, 5]);
    expect(sortRows(rows, 'created', 'asc').map((r) => r.createdMs)).toEqual([1000, 2000, 3000, 4000]);
    expect(sortRows(rows, 'repository', 'asc').map((r) => r.repository)).toEqual([
      '<none>',
      'alpine',
      'ghcr.io/o/app',
      'ubuntu',
    ]);
  });
});
