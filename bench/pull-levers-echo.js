// bench/pull-levers.worker.ts's peer: acks each batch, returning a transferred buffer.
self.onmessage = (e) => {
  if (e.data.kind === 'transfer') self.postMessage(e.data.buf, [e.data.buf]);
  else self.postMessage(null);
};
