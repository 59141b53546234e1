import { describe, expect, it } from 'vitest';
import { decodeLayerIndex, decodeLayerIndexPicked, encodeLayerIndex, type LayerEntry } from './entry.ts';
import { layerSize } from './size.ts';

const entries: LayerEntry[] = [
  { path: '', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, offset: 512 },
  {
    path: 'etc/hosts',
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 20,
    mtime: 1700000000.25,
    offset: 1536,
    uname: 'root',
    gname: 'root',
  },
  {
    path: 'etc/hosts2',
    type: 'hardlink',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 1,
    linkname: 'etc/hosts',
    offset: 2560,
  },
  {
    path: 'bin/sh',
    type: 'symlink',
    mode: 0o777,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 1,
    linkname: '/usr/bin/dash',
    offset: 3072,
  },
  {
    path: 'dev/null',
    type: 'char',
    mode: 0o666,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 1,
    devmajor: 1,
    devminor: 3,
    offset: 3584,
  },
  { path: 'run/fifo', type: 'fifo', mode: 0o600, uid: 3000000, gid: 2 ** 40, size: 0, mtime: -5, offset: 4096 },
  {
    path: 'usr/bin/ping',
    type: 'file',
    mode: 0o4755,
    uid: 0,
    gid: 0,
    size: 2 ** 40 + 1,
    mtime: 2,
    xattrs: { 'security.capability': 'cap\u0001' },
    offset: 2 ** 45,
  },
  { path: 'usr/.wh.lib', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, offset: 9000 },
  {
    path: 'ünïcødé',
    type: 'block',
    mode: 0o600,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    devmajor: 8,
    devminor: 0,
    offset: 9512,
  },
];

describe('layer index', () => {
  it('round-trips through the compact form and structured clone', () => {
    const enc = encodeLayerIndex(entries);
    expect(enc.version).toBe(1);
    expect(enc.path).toBeInstanceOf(Int32Array);
    const cloned = structuredClone(enc);
    expect(decodeLayerIndex(cloned)).toEqual(entries);
  });

  it('decodes only the entries picked by path and type, whole', () => {
    const enc = structuredClone(encodeLayerIndex(entries));
    const all = decodeLayerIndex(enc);
    const pick = (p: string, t: string) => t !== 'file' || p.length % 2 === 0;
    const want = all.filter((e) => pick(e.path, e.type));
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(all.length);
    expect(decodeLayerIndexPicked(enc, pick)).toEqual(want);
  });

  it('shares repeated strings', () => {
    const enc = encodeLayerIndex(entries);
    expect(enc.strings.filter((s) => s === 'root')).toHaveLength(1);
  });

  it('refuses an unknown version', () => {
    const enc = { ...encodeLayerIndex(entries), version: 2 } as unknown as ReturnType<typeof encodeLayerIndex>;
    expect(() => decodeLayerIndex(enc)).toThrow(/version 2/);
  });

  it('round-trips an empty index', () => {
    expect(decodeLayerIndex(structuredClone(encodeLayerIndex([])))).toEqual([]);
  });
});

describe('layerSize (Docker classic size)', () => {
  it('counts regular files, hard-linked inodes once, and symlink target bytes', () => {
    // files 20 + 2^40+1 (+0 for the whiteout), symlink '/usr/bin/dash' = 13 bytes, the hard link,
    // dirs, devices and fifos 0
    expect(layerSize(entries)).toBe(20 + 2 ** 40 + 1 + 13);
  });

  it('measures symlink targets in UTF-8 bytes', () => {
    const e: LayerEntry = {
      path: 'l',
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0,
      linkname: 'é',
      offset: 0,
    };
    expect(layerSize([e])).toBe(2);
  });
});
