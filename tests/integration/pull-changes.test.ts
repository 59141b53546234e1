/**
 * What a pull does when the registry changes under it: a tag that moved (the new image is
 * downloaded, the old one becomes dangling, as in Docker), and a blob whose bytes no longer
 * match its digest (the pull fails and keeps nothing of that blob).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullEvent } from '../../src/core/pull-events.ts';
import { testEngine as engine } from '../helpers/engine.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushTestImage } from '../helpers/registry-images.ts';

let reg: TestRegistry;

const blobPath = (digest: string) =>
  join(reg.dir, 'data', 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');

beforeAll(async () => {
  reg = await startRegistry();
}, 60_000);

afterAll(async () => {
  await reg?.stop();
});

describe('the registry changed', () => {
  it('a moved tag downloads the newer image and leaves the old one dangling', async () => {
    const e = await engine();
    const first = await pushTestImage(reg, { name: 'chg/app', tag: 'latest', files: { 'etc/version': '1\n' } });
    await e.pull('a', `${reg.host}/chg/app`, undefined, () => {});
    const second = await pushTestImage(reg, { name: 'chg/app', tag: 'latest', files: { 'etc/version': '2\n' } });
    const events: PullEvent[] = [];
    const r = await e.pull('b', `${reg.host}/chg/app`, undefined, (ev) => void events.push(ev));
    expect(r).toMatchObject({ ok: true, upToDate: false, imageId: second.configDigest });
    expect(events).toContainEqual({
      type: 'status',
      text: `Downloaded newer image for ${reg.host}/chg/app:latest`,
      upToDate: false,
    });
    const rows = (await e.images()).rows;
    expect(rows.filter((x) => !x.dangling).map((x) => [x.tag, x.id])).toEqual([['latest', second.configDigest]]);
    expect(rows.filter((x) => x.dangling).map((x) => x.id)).toEqual([first.configDigest]);
    let out = '';
    await e.run('c', 'docker images -a --filter dangling=true -q', {
      stdout: (t) => void (out += t),
      stderr: (t) => void (out += t),
    });
    expect(out).toBe(`${first.configDigest!.slice(7, 19)}\n`);
    expect(await (await e.store()).checkInvariants()).toEqual([]);
  });

  it('a blob whose bytes do not match its digest fails the pull and is not kept', async () => {
    const e = await engine();
    const img = await pushTestImage(reg, { name: 'chg/bad', tag: 'v1', files: { 'etc/data': 'd'.repeat(5000) } });
    const layer = img.layers[0]!;
    const bytes = readFileSync(blobPath(layer.digest));
    bytes[bytes.length - 10]! ^= 0xff; // same size, other bytes: only the digest can tell
    writeFileSync(blobPath(layer.digest), bytes);
    const r = await e.pull('d', `${reg.host}/chg/bad:v1`, undefined, () => {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toMatch(/^LAYER_(DIGEST_MISMATCH|CORRUPT)$/);
    const store = await e.store();
    expect(await store.hasBlob(layer.digest as `sha256:${string}`)).toBe('absent');
    expect((await e.images()).rows).toEqual([]);
    expect(await store.checkInvariants()).toEqual([]);
  });
});
