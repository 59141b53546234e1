/**
 * Saving what the worker streams: with the File System Access API the worker writes straight
 * into the file the person picked; elsewhere it returns a Blob (kept on disk by the browser
 * when large) that a download link saves.
 */
type Picker = (opts: { suggestedName: string }) => Promise<FileSystemFileHandle>;

/**
 * What became of it: written to the file the person picked; handed to the browser's downloads
 * (where it lands, or whether the person keeps it, the page cannot know); or cancelled.
 */
export type SaveOutcome = 'saved' | 'downloaded' | 'cancelled';

export async function saveAs(
  suggestedName: string,
  write: (target: FileSystemFileHandle | null) => Promise<Blob | null>,
): Promise<SaveOutcome> {
  const picker = (globalThis as { showSaveFilePicker?: Picker }).showSaveFilePicker;
  let handle: FileSystemFileHandle | null = null;
  if (picker) {
    try {
      handle = await picker({ suggestedName });
    } catch (e) {
      if ((e as DOMException).name === 'AbortError') return 'cancelled';
      handle = null;
    }
  }
  const blob = await write(handle);
  if (blob) {
    const url = URL.createObjectURL(blob);
    const a = Object.assign(document.createElement('a'), { href: url, download: suggestedName });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return 'downloaded';
  }
  return handle ? 'saved' : 'cancelled';
}
