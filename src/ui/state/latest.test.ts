import { describe, expect, it } from 'vitest';
import { Latest } from './latest.ts';

/** A promise settled by hand, so the test decides which answer arrives first. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('Latest: the newest request wins', () => {
  it('delivers a lone answer', async () => {
    const latest = new Latest();
    expect(await latest.run(async () => 42)).toEqual({ ok: true, value: 42 });
  });

  it('drops an earlier answer that arrives after a later one', async () => {
    const latest = new Latest();
    const slow = deferred<string>();
    const fast = deferred<string>();
    const first = latest.run(() => slow.promise);
    const second = latest.run(() => fast.promise);
    fast.resolve('second image');
    expect(await second).toEqual({ ok: true, value: 'second image' });
    slow.resolve('first image');
    expect(await first).toBeNull();
  });

  it('drops an earlier answer even when it arrives first', async () => {
    const latest = new Latest();
    const a = deferred<number>();
    const b = deferred<number>();
    const first = latest.run(() => a.promise);
    const second = latest.run(() => b.promise);
    a.resolve(1);
    expect(await first).toBeNull();
    b.resolve(2);
    expect(await second).toEqual({ ok: true, value: 2 });
  });

  it('reports the failure of the newest request and drops a superseded one', async () => {
    const latest = new Latest();
    const a = deferred<number>();
    const b = deferred<number>();
    const first = latest.run(() => a.promise);
    const second = latest.run(() => b.promise);
    a.reject(new Error('old'));
    b.reject(new Error('new'));
    expect(await first).toBeNull();
    const out = await second;
    expect(out?.ok).toBe(false);
    expect(out && !out.ok && (out.error as Error).message).toBe('new');
  });

  it('a task that throws synchronously is a failure, not an exception', async () => {
    const latest = new Latest();
    const out = await latest.run(() => {
      throw new TypeError('boom');
    });
    expect(out).toEqual({ ok: false, error: new TypeError('boom') });
  });

  it('cancel() drops the answer on its way', async () => {
    const latest = new Latest();
    const a = deferred<number>();
    const first = latest.run(() => a.promise);
    latest.cancel();
    a.resolve(1);
    expect(await first).toBeNull();
  });

  it('busy while any request is outstanding', async () => {
    const latest = new Latest();
    const a = deferred<number>();
    const b = deferred<number>();
    const first = latest.run(() => a.promise);
    const second = latest.run(() => b.promise);
    expect(latest.busy).toBe(true);
    b.resolve(2);
    await second;
    expect(latest.busy).toBe(true);
    a.resolve(1);
    await first;
    expect(latest.busy).toBe(false);
  });
});
