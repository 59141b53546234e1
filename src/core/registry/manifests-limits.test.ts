/** A manifest over one of the parser's bounds is refused by a message naming the bound. */
import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifests.ts';

const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
const D = `sha256:${'a'.repeat(64)}`;
const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D, size: 1 };
const manifest = (extra: Record<string, unknown>) => ({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { ...desc, mediaType: 'application/vnd.oci.image.config.v1+json' },
  layers: [desc],
  ...extra,
});

describe('manifest bounds name the limit', () => {
  it('too many layers, manifests or URLs; too long a string', () => {
    expect(() => parseManifest(enc(manifest({ layers: Array(1001).fill(desc) })))).toThrow(/more than 1000 layers/);
    expect(() =>
      parseManifest(
        enc({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: Array(1001).fill(desc),
        }),
      ),
    ).toThrow(/more than 1000 manifests/);
    expect(() => parseManifest(enc(manifest({ layers: [{ ...desc, urls: Array(17).fill('https://x/') }] })))).toThrow(
      /layers\[0\]\.urls lists more than 16 URLs/,
    );
    expect(() => parseManifest(enc(manifest({ layers: [{ ...desc, urls: 'https://x/' }] })))).toThrow(
      /layers\[0\]\.urls is not a list/,
    );
    expect(() => parseManifest(enc(manifest({ layers: [{ ...desc, mediaType: 'x'.repeat(5000) }] })))).toThrow(
      /layers\[0\]\.mediaType is longer than 4096 characters/,
    );
    expect(() => parseManifest(enc(manifest({ layers: [{ ...desc, mediaType: 5 }] })))).toThrow(
      /layers\[0\]\.mediaType is not a string/,
    );
  });
});
