/** The registry client's public surface. */
export { RegistryClient, type RegistryClientOptions } from './client.ts';
export { pullScope, type Credentials } from './auth.ts';

export { RegistryError } from './errors.ts';
export { type FetchLike } from './transport.ts';
export { fetchManifest } from './manifests.ts';
export { parsePlatform } from './platform.ts';
export { schema1ToConfig } from './schema1.ts';
export { fetchBlob, verifyDigestStream } from './blobs.ts';
export { resolveImage } from './resolve.ts';
