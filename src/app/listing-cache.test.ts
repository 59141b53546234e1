import { describe, expect, it } from 'vitest';
import { bytesOf, env, fakeImage, pull, writeBlob } from '../store/test-helpers.ts';
import type { Store } from '../store/store.ts';
import { ListingCache, type Listing } from './listing-cache.ts';

/** What a listing without a cache reads: every record, fresh. */
async function fresh(store: Store) {
  const [images, tags, blobs] = await Promise.all([store.listImages(), store.listTags(), store.listBlobRecords()]);
  return { images, tags, blobs: new Map(blobs.map((b) => [b.digest, { size: b.size, complete: b.complete }])) };
}

const plain = (l: Listing) => ({ images: l.images, tags: l.tags, blobs: new Map(l.blobs) });

describe('ListingCache', () => {
  it('stays equal to a fresh read through tags, moves, untags, commits, removals, blobs and gc from another tab', async () => {
    const e = env();
    const mine = await e.open();
    const other = await e.open();
    const a = fakeImage('a', [bytesOf(300, 1), bytesOf(200, 2)]);
    const b = fakeImage('b', [bytesOf(300, 1), bytesOf(100, 3)]);
    await pull(other, a, ['docker.io/library/a:1']);
    const cache = new ListingCache(mine);
    expect(plain(await cache.read())).toEqual(await fresh(mine));

    const steps: (() => Promise<unknown>)[] = [
      () => other.tag(a.image.id, 'docker.io/library/a:2'),
      () => pull(other, b, ['docker.io/library/b:1']),
      // A tag moving from a to b changes a's record (its repoDigests) too.
      () => other.tag(b.image.id, 'docker.io/library/a:2'),
      () => other.untag('docker.io/library/a:1'),
      () => writeBlob(other, bytesOf(50, 9)),
      () => other.deleteImage(a.image.id, { force: true }),
      () => other.gc(),
      () => other.tag(b.image.id, 'docker.io/library/b:2'),
    ];
    for (const step of steps) {
      await step();
      expect(plain(await cache.read())).toEqual(await fresh(mine));
    }
    cache.dispose();
  });

  it('reads what a change names when the page passes it on before this store heard it', async () => {
    const e = env();
    // This "worker" hears no channel at all: only what is passed to note().
    const mine = await e.open({ channel: null });
    const other = await e.open();
    const a = fakeImage('a', [bytesOf(300, 1)]);
    await pull(other, a, ['docker.io/library/a:1']);
    const cache = new ListingCache(mine);
    await cache.read();
    await other.tag(a.image.id, 'docker.io/library/a:2');
    // Not told: the cached tags are what they were (why the page passes the change on).
    expect((await cache.read()).tags.map((t) => t.name)).toEqual(['docker.io/library/a:1']);
    cache.note(e.hub.posted.at(-1));
    expect(plain(await cache.read())).toEqual(await fresh(mine));
    // Told twice (the worker's channel delivers it late): the same answer.
    cache.note(e.hub.posted.at(-1));
    expect(plain(await cache.read())).toEqual(await fresh(mine));
    // Junk from the channel is ignored.
    cache.note({ type: 'something-else' } as never);
    cache.note(null);
    expect(plain(await cache.read())).toEqual(await fresh(mine));
  });

  it('answers overlapping reads in order, the later one with the change in it', async () => {
    const e = env();
    const mine = await e.open();
    const a = fakeImage('a', [bytesOf(300, 1)]);
    await pull(mine, a, ['docker.io/library/a:1']);
    const cache = new ListingCache(mine);
    const first = cache.read();
    await mine.tag(a.image.id, 'docker.io/library/a:2');
    const second = cache.read();
    await first;
    expect((await second).tags.map((t) => t.name)).toEqual(['docker.io/library/a:1', 'docker.io/library/a:2']);
  });
});
