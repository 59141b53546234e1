/** The comparison's contract between the UI and the engine worker (plain, clonable data). */
import type {
  ConfigFieldDiff,
  DirectoryDelta,
  FileChange,
  FileChangeKind,
  HistoryComparison,
  TextDiff,
} from '../core/compare/index.ts';

export interface CompareRequest {
  a: string;
  b: string;
  /** Compare the filesystem up to this layer (0-based, inclusive) instead of the whole image. */
  aLayer?: number;
  bLayer?: number;
  /** Names to print (the references the person used); default: short IDs. */
  aName?: string;
  bName?: string;
}

export interface CompareSideInfo {
  id: string;
  name: string;
  layer: number | undefined;
  /** Layers on this side (up to the compared layer). */
  layers: number;
  /** Non-directory entries and the bytes of regular files in the compared filesystem. */
  files: number;
  size: number;
}

export interface ComparisonResult {
  a: CompareSideInfo;
  b: CompareSideInfo;
  /** Leading layers both sides share (same diff_ids): their common base. */
  sharedLayers: number;
  counts: Record<FileChangeKind, number>;
  addedBytes: number;
  removedBytes: number;
  /** Files whose content had to be hashed (equal sizes, bytes in different blobs). */
  hashedFiles: number;
  /** Files proven equal from the layer index alone (same blob and offset). */
  sameByLocation: number;
  /** Directories whose total size changed, largest change first. */
  directories: DirectoryDelta[];
  config: ConfigFieldDiff[];
  history: HistoryComparison;
  /** Milliseconds the file comparison took in the worker (hashing included). */
  ms: number;
}

export interface CompareRowsQuery {
  kinds: FileChangeKind[];
  /** Substring of the path; '' for all. */
  path: string;
  sort: 'path' | 'delta';
  start: number;
  count: number;
}

export interface CompareRowsWindow {
  total: number;
  start: number;
  rows: FileChange[];
}

export interface FileDiffResult {
  path: string;
  a?: { type: string; size: number; digest?: string };
  b?: { type: string; size: number; digest?: string };
  diff?: TextDiff;
}
