/** A content digest, `sha256:<64 hex>` (OCI image-spec, descriptor.md#digests). */
export type Digest = `sha256:${string}`;

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return SHA256_RE.test(s);
}

export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw new Error(`invalid digest: ${JSON.stringify(s.slice(0, 80))}`);
  return s;
}

export function hexOf(d: Digest): string {
  return d.slice('sha256:'.length);
}
