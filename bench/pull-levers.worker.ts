/**
 * Runs inside a dedicated worker in Chromium (bench/pull-levers.ts bundles it with esbuild):
 * the pull's building blocks measured one at a time, each on the same bytes.
 */
import { createSha256 } from '../src/core/sha256.ts';

const MiB = 1 << 20;
type Msg = { t: string; mb: number };

function bytes(n: number): Uint8Array {
  // Not all zeros (no store compresses them away): a cheap xorshift fill.
  const u = new Uint8Array(n);
  const w = new Uint32Array(u.buffer, 0, n >> 2);
  let x = 0x9e3779b9;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    w[i] = x;
  }
  return u;
}

function openDb(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => r.result.createObjectStore('chunks');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}
function dropDb(name: string): Promise<void> {
  return new Promise((resolve) => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

/** `mb` MiB in 4 MiB chunks, one transaction per chunk (as blob-writer.ts does), as
 * Uint8Array values or as Blob values; then read back once. */
async function idb(kind: 'array' | 'blob', mb: number): Promise<Record<string, number>> {
  const name = `lever-${kind}-${Math.random()}`;
  const db = await openDb(name);
  const src = bytes(4 * MiB);
  const t0 = performance.now();
  for (let n = 0; n < mb / 4; n++) {
    // A fresh buffer per chunk, as the writer hands one over per chunk.
    const chunk = src.slice();
    const tx = db.transaction('chunks', 'readwrite');
    tx.objectStore('chunks').put(kind === 'blob' ? new Blob([chunk]) : chunk, n);
    await done(tx);
  }
  const write = performance.now() - t0;
  const t1 = performance.now();
  let got = 0;
  for (let n = 0; n < mb / 4; n++) {
    const tx = db.transaction('chunks', 'readonly');
    const req = tx.objectStore('chunks').get(n);
    const v = await new Promise<unknown>((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const u = v instanceof Blob ? new Uint8Array(await v.arrayBuffer()) : (v as Uint8Array);
    got += u.byteLength;
  }
  const read = performance.now() - t1;
  db.close();
  await dropDb(name);
  if (got !== mb * MiB) throw new Error(`read back ${got} bytes`);
  return { write, read };
}

let echo: Worker | undefined;
/** `mb` MiB to another worker in 512 KiB batches and back: transferred (the buffer returns with
 * the ack) or structured-cloned (copied each way; the ack carries nothing). */
async function copies(kind: 'transfer' | 'clone', mb: number, batch = 512 << 10): Promise<Record<string, number>> {
  echo ??= new Worker(new URL('./pull-levers-echo.js', self.location.href));
  const w = echo;
  const src = bytes(batch);
  const total = (mb * MiB) / batch;
  const free: ArrayBuffer[] = [];
  let inFlight = 0;
  let wake: (() => void) | undefined;
  w.onmessage = (e: MessageEvent<ArrayBuffer | null>) => {
    if (e.data) free.push(e.data);
    inFlight--;
    wake?.();
  };
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    while (inFlight >= 8) await new Promise<void>((r) => (wake = r));
    if (kind === 'transfer') {
      const buf = free.pop() ?? new ArrayBuffer(batch);
      new Uint8Array(buf).set(src); // what the hasher does: copy into a batch, send it
      w.postMessage({ kind, buf }, [buf]);
    } else {
      w.postMessage({ kind, buf: src });
    }
    inFlight++;
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  return { ms: performance.now() - t0 };
}

async function sha(kind: 'js' | 'webcrypto', mb: number, oneShotMb: number): Promise<Record<string, number>> {
  const piece = bytes(64 << 10);
  if (kind === 'js') {
    const h = createSha256();
    const t0 = performance.now();
    for (let i = 0; i < (mb * MiB) / piece.length; i++) h.update(piece);
    h.digest();
    return { ms: performance.now() - t0 };
  }
  // One-shot over buffers of oneShotMb (the bytes gathered first, as a bounded buffer would be).
  const buf = new Uint8Array(oneShotMb * MiB);
  for (let at = 0; at < buf.length; at += piece.length)
    buf.set(piece.subarray(0, Math.min(piece.length, buf.length - at)), at);
  const t0 = performance.now();
  for (let i = 0; i < mb / oneShotMb; i++) await crypto.subtle.digest('SHA-256', buf);
  return { ms: performance.now() - t0 };
}

self.onmessage = async (e: MessageEvent<Msg & { arg?: number }>) => {
  const m = e.data;
  try {
    let r: Record<string, number>;
    if (m.t === 'idb-array') r = await idb('array', m.mb);
    else if (m.t === 'idb-blob') r = await idb('blob', m.mb);
    else if (m.t === 'copy-transfer') r = await copies('transfer', m.mb);
    else if (m.t === 'copy-clone') r = await copies('clone', m.mb);
    else if (m.t === 'copy-clone-64k') r = await copies('clone', m.mb, 64 << 10);
    else if (m.t === 'sha-js') r = await sha('js', m.mb, 0);
    else if (m.t === 'sha-webcrypto') r = await sha('webcrypto', m.mb, m.arg ?? 32);
    else throw new Error(`unknown lever ${m.t}`);
    self.postMessage({ ok: true, r });
  } catch (err) {
    self.postMessage({ ok: false, error: String(err) });
  }
};
