/**
 * How the file viewer shows bytes: text (UTF-8, else Latin-1 when it reads as text), a raster
 * image (sniffed by magic bytes, never by name; SVG is shown as text, never rendered, because
 * SVG is markup that can carry script), or a hex dump. Pure: tested in Node.
 */
export type Preview =
  | { kind: 'text'; encoding: 'utf-8' | 'latin-1'; text: string }
  | { kind: 'image'; mime: string }
  | { kind: 'hex'; lines: string[] }
  | { kind: 'empty' };

const RASTER: { mime: string; magic: number[]; at?: number }[] = [
  { mime: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mime: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { mime: 'image/gif', magic: [0x47, 0x49, 0x46, 0x38] },
  { mime: 'image/webp', magic: [0x57, 0x45, 0x42, 0x50], at: 8 },
  { mime: 'image/bmp', magic: [0x42, 0x4d] },
  { mime: 'image/x-icon', magic: [0x00, 0x00, 0x01, 0x00] },
];

export function sniffRaster(b: Uint8Array): string | undefined {
  for (const r of RASTER) {
    const at = r.at ?? 0;
    if (b.length >= at + r.magic.length && r.magic.every((m, i) => b[at + i] === m)) {
      if (r.mime === 'image/webp' && !(b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46)) continue;
      return r.mime;
    }
  }
  return undefined;
}

/** Share of bytes that are control characters other than tab, newline, carriage return, form feed. */
function controlShare(b: Uint8Array): number {
  let n = 0;
  for (const c of b) if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0x7f) n++;
  return b.length ? n / b.length : 0;
}

export function preview(bytes: Uint8Array, truncated = false): Preview {
  if (bytes.length === 0) return { kind: 'empty' };
  const mime = sniffRaster(bytes);
  if (mime && !truncated) return { kind: 'image', mime };
  if (!bytes.includes(0) && controlShare(bytes) < 0.02) {
    try {
      // A file cut at the preview limit may end mid-character: decode leniently at the end only.
      const body = truncated ? bytes.subarray(0, Math.max(0, bytes.length - 3)) : bytes;
      return { kind: 'text', encoding: 'utf-8', text: new TextDecoder('utf-8', { fatal: true }).decode(body) };
    } catch {
      return { kind: 'text', encoding: 'latin-1', text: new TextDecoder('latin1').decode(bytes) };
    }
  }
  return { kind: 'hex', lines: hexDump(bytes, 64 * 1024) };
}

/** `00000000  7f 45 4c 46 02 01 01 00  00 00 00 00 00 00 00 00  |.ELF............|` (as hexdump -C). */
export function hexDump(bytes: Uint8Array, max: number): string[] {
  const lines: string[] = [];
  const end = Math.min(bytes.length, max);
  for (let off = 0; off < end; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, end));
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (i === 8) hex += ' ';
      const c = row[i];
      hex += c === undefined ? '   ' : `${c.toString(16).padStart(2, '0')} `;
      if (c !== undefined) ascii += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    }
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex} |${ascii}|`);
  }
  return lines;
}

/** `-rwxr-xr-x` from a type and permission bits (setuid/setgid/sticky shown as ls does). */
export function modeString(type: string, mode: number): string {
  const t = { dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', hardlink: '-', file: '-' }[type] ?? '-';
  const rwx = (bits: number, special: boolean, ch: string) =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-'}`;
  return (
    t +
    rwx(mode >> 6, (mode & 0o4000) !== 0, 's') +
    rwx(mode >> 3, (mode & 0o2000) !== 0, 's') +
    rwx(mode, (mode & 0o1000) !== 0, 't')
  );
}
