/** The registry client's public surface. */
export { RegistryClient, type RegistryClientOptions, type RepositoryRef, type RequestOptions } from './client.ts';
export { Authenticator, pickChallenge, pullScope, type Credentials, type CredentialsLookup } from './auth.ts';
export { parseChallenges, type Challenge } from './challenge.ts';
export {
  errorFromResponse,
  isRegistryErrorData,
  readCapped,
  redact,
  redactUrl,
  RegistryError,
  type RateLimit,
  type RegistryErrorCode,
  type RegistryErrorData,
} from './errors.ts';
export {
  defaultScheme,
  identityMapper,
  isLoopbackHost,
  Transport,
  type FetchLike,
  type UrlMapper,
} from './transport.ts';
export {
  fetchManifest,
  manifestDigest,
  parseManifest,
  sha256Digest,
  MANIFEST_CAP,
  type Descriptor,
  type FetchedManifest,
  type ImageIndex,
  type ImageManifest,
  type Manifest,
  type Schema1Manifest,
} from './manifests.ts';
export {
  DEFAULT_PLATFORM,
  formatPlatform,
  isAttestation,
  normalizePlatform,
  parsePlatform,
  selectManifest,
} from './platform.ts';
export {
  schema1DeprecationMessage,
  schema1Payload,
  schema1ToConfig,
  schema1View,
  type HistoryEntry,
  type Schema1Layer,
  type Schema1View,
} from './schema1.ts';
export {
  CONFIG_CAP,
  fetchBlob,
  fetchBlobBytes,
  verifyDigestStream,
  type BlobResponse,
  type FetchBlobOptions,
} from './blobs.ts';
export { resolveImage, type ResolvedImage, type ResolvedLayer, type ResolveOptions } from './resolve.ts';
