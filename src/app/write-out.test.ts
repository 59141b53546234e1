import { describe, expect, it } from 'vitest';
import { writeOut } from './engine.ts';
import { StoreError } from '../store/errors.ts';

describe('writeOut (Download file / filesystem without a file picker)', () => {
  it('gives the bytes as a Blob', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array([1, 2]));
        c.enqueue(new Uint8Array([3]));
        c.close();
      },
    });
    const blob = await writeOut(stream, null, 'application/x-tar');
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('a stream that fails (a blob another tab removed) rejects with that error, not a bare fetch error', async () => {
    const gone = new StoreError('NOT_FOUND', 'blob sha256:abc… is not stored');
    let n = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n++ === 0) c.enqueue(new Uint8Array(10));
        else c.error(gone);
      },
    });
    await expect(writeOut(stream, null, 'application/x-tar')).rejects.toBe(gone);
  });
});
