/**
 * Saving what the worker streams: with the File System Access API the worker writes straight
 * into the file the person picked; elsewhere it returns a Blob (kept on disk by the browser
 * when large) that a download link saves.
 */
type Picker = (opts: { suggestedName: string }) => Promise<FileSystemFileHandle>;

export async function saveAs(
  suggestedName: string,
  write: (target: FileSystemFileHandle | null) => Promise<Blob | null>,
): Promise<boolean> {
  const picker = (globalThis as { showSaveFilePicker?: Picker }).showSaveFilePicker;
  let handle: FileSystemFileHandle | null = null;
  if (picker) {
    try {
      handle = await picker({ suggestedName });
    } catch (e) {
      if ((e as DOMException).name === 'AbortError') return false; // the person cancelled
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
  }
  return true;
}
