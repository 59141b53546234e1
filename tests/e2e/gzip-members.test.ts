/**
 * A layer gzip'd as several concatenated members (as pigz, eStargz and some build tools write
 * them). Chromium's own gzip decoder stops at the first member; the pull then re-reads the
 * stored blob with the JS decoder, so the layer still verifies and indexes in full.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tarBuilder } from '../../src/core/tar/builder.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { openSession, runCommand, type Session } from './ui.ts';

let reg: TestRegistry;
let s: Session;
let dir: string;
let layerDigest: string;

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'layerscope-members-'));
  reg = await startRegistry();
  const t = tarBuilder();
  for (let i = 0; i < 200; i++) t.file(`data/f${i}.txt`, `file ${i}\n`.repeat(50));
  const tar = t.bytes();
  // Three members, cut at arbitrary byte offsets of the tar.
  const cuts = [0, 12_345, 70_001, tar.length];
  const layer = Buffer.concat(cuts.slice(1).map((end, i) => gzipSync(tar.subarray(cuts[i], end))));
  const layout = join(dir, 'oci');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Uint8Array) => {
    const d = sha(b);
    writeFileSync(join(layout, 'blobs', 'sha256', d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const l = put(layer);
  layerDigest = l.digest;
  const c = put(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(tar)] } }),
    ),
  );
  const m = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l }],
      }),
    ),
  );
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...m,
          annotations: { 'org.opencontainers.image.ref.name': 'm' },
        },
      ],
    }),
  );
  execFileSync(
    'skopeo',
    [
      '--insecure-policy',
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--dest-no-creds',
      `oci:${layout}:m`,
      `docker://${reg.host}/gz/members:v1`,
    ],
    { env: { ...process.env, HOME: dir } },
  );
  s = await openSession({ PROXY_ALLOW_HOSTS: reg.host });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('pulls and indexes a multi-member gzip layer in Chromium', async () => {
  const out = await runCommand(s.page, `docker pull ${reg.host}/gz/members:v1`);
  expect(out).toContain(`${layerDigest.slice(7, 19)}: Pull complete`);
  expect(out.trimEnd().split('\n').at(-1)).toBe(`${reg.host}/gz/members:v1`);
  // All 200 files are in the index (the first member alone holds only a few of them).
  const sizes = await runCommand(s.page, `docker images --format '{{.Size}}' ${reg.host}/gz/members`);
  expect(sizes.trimEnd().split('\n').at(-1)).toMatch(/^\d+(\.\d+)?kB$/);
  await s.page.getByRole('button', { name: `Open ${reg.host}/gz/members:v1` }).click();
  await expect.poll(() => s.page.getByText('201', { exact: true }).count()).toBe(1); // data/ + 200 files
});
