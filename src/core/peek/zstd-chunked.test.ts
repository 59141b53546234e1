import { describe, expect, it } from 'vitest';
import { parseZstdChunkedFooter, zstdChunkedAnnotations } from './zstd-chunked.ts';

const hex = (s: string): Uint8Array =>
  new Uint8Array(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((b) => parseInt(b, 16)),
  );

describe('zstd:chunked footer and annotations', () => {
  it('reads the 72-byte footer of containers/storage docs/zstd-chunked (its example bytes)', () => {
    const f = hex(`50 2a 4d 18 40 00 00 00 6c 91 62 06 00 00 00 00 9e 68 0f 00 00 00 00 00 e7 4e 54 00 00 00 00 00
      01 00 00 00 00 00 00 00 12 fa 71 06 00 00 00 00 e2 57 09 00 00 00 00 00 76 07 eb 00 00 00 00 00
      47 4e 55 6c 49 6e 55 78`);
    expect(parseZstdChunkedFooter(f)).toEqual({
      offset: 0x0662916c,
      compressedLength: 0x0f689e,
      uncompressedLength: 0x544ee7,
      type: 1,
    });
    const bad = f.slice();
    bad[4] = 0x41; // frame size not 64
    expect(parseZstdChunkedFooter(bad)).toBeUndefined();
    expect(parseZstdChunkedFooter(new Uint8Array(72))).toBeUndefined();
  });

  it('reads both annotation prefixes and refuses a malformed position', () => {
    const docs = {
      'io.github.containers.zstd-chunked.manifest-checksum': 'sha256:44b5',
      'io.github.containers.zstd-chunked.manifest-position': '107123052:1009822:5525223:1',
    };
    expect(zstdChunkedAnnotations(docs)).toEqual({
      position: { offset: 107123052, compressedLength: 1009822, uncompressedLength: 5525223, type: 1 },
      checksum: 'sha256:44b5',
    });
    expect(zstdChunkedAnnotations({ 'io.containers.zstd-chunked.manifest-position': '1:2:3:1' })?.position.offset).toBe(
      1,
    );
    expect(zstdChunkedAnnotations({ 'io.containers.zstd-chunked.manifest-position': '1:x:3:1' })).toBeUndefined();
    expect(zstdChunkedAnnotations({ 'io.containers.zstd-chunked.manifest-position': '1:2:3' })).toBeUndefined();
    expect(zstdChunkedAnnotations({})).toBeUndefined();
  });
});
