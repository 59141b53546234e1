import { describe, expect, it } from 'vitest';
import { hexDump, modeString, preview, sniffRaster } from './file-preview.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('file preview', () => {
  it('shows UTF-8 text, and Latin-1 when UTF-8 fails', () => {
    expect(preview(enc('héllo\n'))).toEqual({ kind: 'text', encoding: 'utf-8', text: 'héllo\n' });
    expect(preview(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]))).toEqual({
      kind: 'text',
      encoding: 'latin-1',
      text: 'café\n',
    });
  });
  it('previews raster images by magic bytes, never SVG', () => {
    expect(preview(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toEqual({
      kind: 'image',
      mime: 'image/png',
    });
    expect(sniffRaster(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(preview(enc('<svg onload="alert(1)"/>'))).toMatchObject({ kind: 'text' });
  });
  it('falls back to a hexdump -C style view for binaries', () => {
    const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    const p = preview(elf);
    expect(p.kind).toBe('hex');
    expect(hexDump(elf, 100)).toEqual([
      '00000000  7f 45 4c 46 02 01 01 00  00 00 00 00 00 00 00 00  |.ELF............|',
      '00000010  03                                                |.|',
    ]);
  });
  it('renders modes as ls does', () => {
    expect(modeString('file', 0o755)).toBe('-rwxr-xr-x');
    expect(modeString('dir', 0o1777)).toBe('drwxrwxrwt');
    expect(modeString('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeString('file', 0o2644)).toBe('-rw-r-Sr--');
    expect(modeString('symlink', 0o777)).toBe('lrwxrwxrwx');
  });
  it('says empty for empty files', () => {
    expect(preview(new Uint8Array(0))).toEqual({ kind: 'empty' });
  });
});
