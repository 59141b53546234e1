/**
 * Layer hashes in dedicated workers (src/workers/hasher.ts), in Chromium: the engine worker starts
 * nested sha256 workers, pulls of gzip and zstd layers over 8 MiB (many 512 KiB batches
 * through the workers) verify against the registry's digests, and a blob whose bytes were
 * changed on the registry's disk is refused with the digest the workers computed, which is
 * sha256sum's.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, runCommand, type Session } from './ui.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushTestImage, type Files, type PushedImage } from '../helpers/registry-images.ts';

let session: Session;
let page: Page;
let reg: TestRegistry;
let gz: PushedImage;
let zst: PushedImage;
let bad: PushedImage;
const workerUrls: string[] = [];

const blobPath = (digest: string) =>
  join(reg.dir, 'data', 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');

function layers(seed: number): Files[] {
  // Noise (stays large compressed) and text (decompresses to much more than it weighs). The noise
  // makes the layer larger than ONE_SHOT_MAX (8 MiB), the bound under which a blob is hashed by
  // WebCrypto's one-shot digest instead of the workers (src/workers/hasher.ts).
  const noise = new Uint8Array(9 << 20);
  for (let i = 0, x = seed; i < noise.length; i++) noise[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  const text = Array.from({ length: 60_000 }, (_, i) => `line ${i} of layer ${seed}\n`).join('');
  return [{ 'data/noise.bin': noise, 'etc/text': text }, { 'usr/share/doc/more': text.repeat(2) }];
}

beforeAll(async () => {
  reg = await startRegistry();
  gz = await pushTestImage(reg, {
    name: 'e2e/hash-gz',
    tag: 'v1',
    layers: layers(1),
    format: 'oci',
    compression: 'gzip',
  });
  zst = await pushTestImage(reg, {
    name: 'e2e/hash-zst',
    tag: 'v1',
    layers: layers(2),
    format: 'oci',
    compression: 'zstd',
  });
  bad = await pushTestImage(reg, {
    name: 'e2e/hash-bad',
    tag: 'v1',
    layers: layers(3),
    format: 'oci',
    compression: 'gzip',
  });
  session = await openSession({ PROXY_ALLOW_HOSTS: reg.host });
  page = session.page;
  // Nested workers (the sha256 ones inside the engine worker) are reported here too.
  page.on('worker', (w) => workerUrls.push(w.url()));
  for (const w of page.workers()) workerUrls.push(w.url());
}, 180_000);

afterAll(async () => {
  await session?.close();
  await reg?.stop();
});

describe('layer hashes in workers', () => {
  for (const [label, img] of [
    ['gzip', () => gz],
    ['zstd', () => zst],
  ] as const) {
    it(`pulls ${label} layers, verified against the registry's digests`, async () => {
      const { reference, layers: pushed, manifestDigest } = img();
      const out = await runCommand(page, `docker pull ${reference}`, 90_000);
      for (const l of pushed) expect(out).toContain(`${l.digest.slice(7, 19)}: Pull complete`);
      expect(out).toContain(`Digest: ${manifestDigest}`);
      // The pull's hashes ran in sha256 workers beside the engine worker.
      expect(workerUrls.some((u) => /hasher\.worker/.test(u))).toBe(true);
    });
  }

  it('refuses a blob whose bytes changed on the registry, naming sha256sum’s digest of them', async () => {
    const layer = bad.layers[0]!;
    const file = blobPath(layer.digest);
    // The same size, and the same decompressed bytes: only the gzip header's OS byte (RFC 1952
    // §2.3.1, outside the CRC) changes, so only the digest can tell.
    const bytes = readFileSync(file);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    bytes[9]! ^= 0x01;
    writeFileSync(file, bytes);
    const actual = `sha256:${execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]}`;
    const out = await runCommand(page, `docker pull ${bad.reference}`, 90_000);
    expect(out).not.toContain(`${layer.digest.slice(7, 19)}: Pull complete`);
    expect(out).toContain(actual);
  });
});
