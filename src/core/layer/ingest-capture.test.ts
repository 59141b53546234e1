/**
 * The package database bytes ingest keeps beside a layer's index (so the Packages tab reads no
 * blob): exactly the files src/core/packages/locate.ts names, byte for byte, with their data
 * offsets; nothing else; nothing over LIMITS.packageCapture.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../limits.ts';
import { isCapturedPath } from '../packages/locate.ts';
import { tarBuilder } from '../tar/builder.ts';
import { ingestLayer } from './ingest.ts';
import { chunkedStream } from './test-streams.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('package database capture at ingest', () => {
  it('names the database files, status.d stanzas and os-release, not their neighbours', () => {
    for (const p of [
      'var/lib/dpkg/status',
      'var/lib/dpkg/status.d/base',
      'lib/apk/db/installed',
      'var/lib/rpm/Packages',
      'usr/lib/sysimage/rpm/rpmdb.sqlite',
      'var/lib/rpm/Packages.db',
      'etc/os-release',
      'usr/lib/os-release',
    ])
      expect(isCapturedPath(p), p).toBe(true);
    for (const p of [
      'var/lib/dpkg/status-old',
      'var/lib/dpkg/status.d/base.md5sums',
      'var/lib/dpkg/status.d/.hidden',
      'var/lib/dpkg/status.d/sub/x',
      'var/lib/dpkg/status.d',
      'var/lib/rpm/rpmdb.sqlite-wal',
      'var/lib/rpm/Index.db',
      'usr/bin/dpkg',
      '',
    ])
      expect(isCapturedPath(p), p).toBe(false);
  });

  it('keeps the bytes and data offsets of the chosen files in one pass (gzip and plain)', async () => {
    const big = new Uint8Array(3 << 20).map((_, i) => i * 7);
    const tar = tarBuilder()
      .file('usr/share/doc/big', big)
      .file('var/lib/dpkg/status', 'Package: a\nStatus: install ok installed\nVersion: 1\n\n')
      .file('var/lib/dpkg/status.d/b', 'Package: b\n')
      .file('var/lib/dpkg/status.d/b.md5sums', 'x')
      .symlink('etc/os-release', '../usr/lib/os-release')
      .file('usr/lib/os-release', 'ID=debian\n')
      .file('var/lib/dpkg/status', 'Package: a\nVersion: 2\n')
      .bytes();
    for (const blob of [tar, gzipSync(tar)]) {
      const r = await ingestLayer(chunkedStream(blob, 4096));
      expect(r.captured.map((c) => c.path)).toEqual([
        'var/lib/dpkg/status',
        'var/lib/dpkg/status.d/b',
        'usr/lib/os-release',
        'var/lib/dpkg/status',
      ]);
      for (const c of r.captured) {
        const e = r.entries.find((x) => x.offset === c.offset)!;
        expect(e.path).toBe(c.path);
        // The kept bytes are the tar's bytes at the entry's data offset.
        expect(c.bytes).toEqual(tar.subarray(e.offset, e.offset + e.size));
      }
      expect(text(r.captured[3]!.bytes)).toBe('Package: a\nVersion: 2\n');
      expect(r.entries).toHaveLength(7);
    }
  });

  it('keeps nothing over the per-file limit, and nothing when capture is null', async () => {
    const over = new Uint8Array(LIMITS.packageCapture.fileBytes + 1);
    const tar = tarBuilder().file('var/lib/rpm/Packages', over).file('lib/apk/db/installed', 'P:x\n').bytes();
    const r = await ingestLayer(chunkedStream(tar, 1 << 20));
    expect(r.captured.map((c) => c.path)).toEqual(['lib/apk/db/installed']);
    expect(r.entries.map((e) => e.path)).toEqual(['var/lib/rpm/Packages', 'lib/apk/db/installed']);
    const none = await ingestLayer(chunkedStream(tar, 1 << 20), { capture: null });
    expect(none.captured).toEqual([]);
    expect(none.diffId).toBe(r.diffId);
  });
});
