/**
 * A layer whose tar stops right after the last file's data (no padding, no end-of-archive
 * marker) is a valid layer, as Go's archive/tar reads it (Docker, containerd, umoci): the pull
 * indexes it and its diff_id is the SHA-256 of exactly those bytes (checked with sha256sum).
 * A body really cut short stays an error that says so.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tarBuilder } from '../tar/builder.ts';
import { ingestLayer } from './ingest.ts';

const sha = (b: Uint8Array) =>
  `sha256:${execFileSync('sha256sum', { input: b, encoding: 'utf8' }).split(' ')[0]}` as const;
const gzip = (b: Uint8Array) => new Uint8Array(execFileSync('gzip', ['-c', '-n'], { input: b }));

describe('a layer tar that ends right after its last data', () => {
  const full = tarBuilder()
    .dir('etc')
    .file('etc/a', 'x'.repeat(10))
    .file('etc/b', 'y'.repeat(700))
    .bytes({ end: false });
  const cut = full.slice(0, full.length - (1024 - 700));

  it('is indexed, with the diff_id of its bytes (plain and gzip)', async () => {
    for (const blob of [cut, gzip(cut)]) {
      const r = await ingestLayer(new Blob([blob]).stream());
      expect(r.entries.map((e) => [e.path, e.size])).toEqual([
        ['etc', 0],
        ['etc/a', 10],
        ['etc/b', 700],
      ]);
      expect(r.diffId).toBe(sha(cut));
      expect(r.size).toBe(710);
    }
  });

  it('a body cut short is refused, saying where', async () => {
    await expect(ingestLayer(new Blob([cut.slice(0, cut.length - 1)]).stream())).rejects.toMatchObject({
      code: 'TAR_TRUNCATED',
      message: expect.stringContaining('archive ends inside the body of etc/b'),
    });
  });
});
