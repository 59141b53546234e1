/**
 * Layerscope's one error model (docs/ERRORS.md): every error the app raises is a
 * `LayerscopeError` with a stable `code` from the closed union `ErrorCode`, an optional standard
 * `cause`, and subclass fields that are plain data. `toJSON()` turns any of them into `ErrorData`
 * and `reviveError()` turns that back into the same subclass with the same fields, so an error
 * keeps everything when it crosses `postMessage` (structured clone keeps only the name and
 * message of an Error, and drops the prototype).
 *
 * Every code of every subclass is listed here, once, so a `switch` over `ErrorCode` is checked
 * by the compiler for missing cases.
 */

/** Codes of the OCI distribution spec ("Error Codes"), as a registry sends them. */
const DISTRIBUTION_ERROR_CODES = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
] as const;

/** Codes Layerscope's CORS proxy (proxy/handler.ts) answers with, in a distribution error body. */
const PROXY_ERROR_CODES = [
  'HOST_NOT_ALLOWED', // the proxy refused the host (403)
  'ORIGIN_NOT_ALLOWED',
  'BAD_PATH',
  'BAD_REDIRECT',
  'TOO_MANY_REDIRECTS',
  'METHOD_NOT_ALLOWED',
  'BODY_TOO_LARGE',
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_TIMEOUT',
  'CLIENT_CLOSED',
  'INTERNAL',
] as const;

/** Registry client codes: the spec's, the proxy's, and Layerscope's own. */
export const REGISTRY_ERROR_CODES = [
  ...DISTRIBUTION_ERROR_CODES,
  ...PROXY_ERROR_CODES,
  'PROXY_UNREACHABLE', // fetch failed before any response while going through the proxy
  'NETWORK_ERROR', // fetch failed before any response, direct mode
  'DIGEST_MISMATCH', // bytes did not hash to the digest they were asked by or announced with
  'TOO_LARGE', // a body larger than we accept
  'NO_MATCHING_MANIFEST', // no manifest in an index matches the platform
  'UNSUPPORTED_MEDIA_TYPE', // a manifest type we do not read, or a manifest whose layers are not filesystems
  'TOKEN_INVALID', // the token endpoint answered something unusable
  'RANGE_INVALID', // range answer inconsistent with the request
  'HTTP_ERROR', // any other HTTP failure without a registry error body
  'REGISTRY_ERROR', // a code the registry invented; its text is in `registryCode`
] as const;

const TAR_ERROR_CODES = [
  'TAR_PATH_ESCAPE', // `..` component or absolute path (entry or hard-link target)
  'TAR_TRUNCATED', // EOF inside a header or a body
  'TAR_BAD_CHECKSUM',
  'TAR_BAD_HEADER', // unparsable numeric field, negative number, NUL in a name, bad PAX record
  'TAR_LIMIT', // a size bound set by the caller (PAX size, long name, entry count, size > 2^53)
  'TAR_UNSUPPORTED', // sparse files, multi-volume, unknown entry types
  'TAR_WRITE', // writer misuse: body length differs from the declared size, bad field
] as const;

const LAYER_ERROR_CODES = [
  'LAYER_DIGEST_MISMATCH',
  'LAYER_DIFFID_MISMATCH',
  'LAYER_SIZE_MISMATCH',
  'LAYER_CORRUPT', // decompression failed (bad gzip/zstd data, truncated stream)
  'LAYER_LIMIT', // a bound was hit (zstd window, file larger than maxBytes)
  'LAYER_FILE_MISMATCH', // a file read through a peek index is not what the index recorded (blob changed)
] as const;

const COMPRESSION_ERROR_CODES = ['COMPRESSION_CORRUPT', 'COMPRESSION_LIMIT'] as const;

const ARCHIVE_ERROR_CODES = [
  'ARCHIVE_MALFORMED', // a member is not what its role needs (bad JSON, wrong shape)
  'ARCHIVE_MISSING', // a referenced member or blob is not in the archive
  'ARCHIVE_DIGEST_MISMATCH', // bytes do not hash to the digest they are named or referenced by
  'ARCHIVE_DIFFID_MISMATCH', // a layer's uncompressed digest differs from the config's diff_id
  'ARCHIVE_LIMIT', // a bound on sizes or counts was hit
  'ARCHIVE_UNSAFE', // a member path, link or type that could escape or confuse
  'ARCHIVE_EMPTY', // neither manifest.json nor index.json
  'ARCHIVE_CORRUPT', // the tar or its compression is damaged (truncated, bad checksum)
  'ARCHIVE_STORE', // the store refused (quota, missing image on export)
] as const;

/** Why the overlay union refused a layer (lower case: they also name union check results). */
const UNION_ERROR_CODES = [
  'bad-path', // absolute, `..`/`.`/empty component, or a whiteout name used as a directory
  'bad-root', // the root entry (`./`) is not a directory
  'bad-whiteout', // `.wh.` naming nothing, `.`, `..`, or a name with `/`
  'hardlink-escape', // hard link target leaves the root
  'hardlink-missing', // hard link target does not exist
  'hardlink-dir', // hard link to a directory (or to itself)
  'parent-not-dir', // an entry below a path that is a file, device, …
  'symlink-loop', // more than 40 symlinks while resolving a parent directory
] as const;

const PULL_ERROR_CODES = [
  'CONFIG_MISSING',
  'CONFIG_INVALID',
  'CONFIG_TOO_LARGE',
  'CONFIG_DIGEST_MISMATCH',
  'CONFIG_LAYER_MISMATCH', // the manifest and the config disagree on the number of layers
  'BLOB_SIZE_UNKNOWN',
  'DOWNLOAD_INTERRUPTED',
  'RESUME_SHORT', // a stored partial blob ended early
] as const;

const STORE_ERROR_CODES = [
  'NOT_FOUND', // no such blob, manifest, image, tag or file
  'BLOB_INCOMPLETE', // commitImage: a blob the image needs is absent or not complete
  'MANIFEST_MISSING', // commitImage: the image's manifest (or index) is not stored
  'AMBIGUOUS_ID', // an ID prefix matches more than one image
  'IMAGE_REFERENCED', // deleteImage without `force` while tags still point to the image
  'QUOTA_EXCEEDED', // the browser refused a write: its storage quota is full
  // DIGEST_MISMATCH and TOO_LARGE are shared with the registry client (listed there)
  'INVALID_ARGUMENT', // a malformed digest, size, tag name or record
  'BLOB_CONFLICT', // a blob changed under a reader or writer (removed by another tab, chunk missing)
  'VERSION_TOO_NEW', // the database was upgraded by a newer version of the app
  'CLOSED', // the store was closed (or another tab upgraded the schema)
  'IDB_ERROR', // any other IndexedDB failure
] as const;

/** The application layer's (engine, explorer) own codes. */
const APP_ERROR_CODES = [
  'NOT_CONFIGURED', // the engine was used before its settings arrived
  'SAMPLE_MISSING', // the bundled sample archive could not be fetched
  'NO_DOWNLOAD', // docker save with nowhere to put the archive
  'NO_FILE', // docker load with no file picked
  'INDEX_MISSING', // a layer's file index is not stored
  'DANGLING_LINK', // a symlink to nothing
  'NOT_A_FILE', // a file operation on a directory, device, …
  'LAYER_CHANGED', // a layer blob changed while it was being read
] as const;

/** The command bar's own failures (they print in Docker's words and do not cross workers). */
const COMMAND_ERROR_CODES = [
  'INVALID_REFERENCE',
  'DAEMON_ERROR',
  'FORMAT_ERROR',
  'TEMPLATE_ERROR',
  'SHELL_SYNTAX',
] as const;

/** Anything that did not come with a code (a bug, a browser exception), and cancellation. */
const GENERIC_ERROR_CODES = ['ERROR', 'ABORTED'] as const;

export type RegistryErrorCode = (typeof REGISTRY_ERROR_CODES)[number];
export type TarErrorCode = (typeof TAR_ERROR_CODES)[number];
export type LayerErrorCode = (typeof LAYER_ERROR_CODES)[number] | TarErrorCode;
export type CompressionErrorCode = (typeof COMPRESSION_ERROR_CODES)[number];
export type ArchiveErrorCode = (typeof ARCHIVE_ERROR_CODES)[number];
export type UnionErrorCode = (typeof UNION_ERROR_CODES)[number];
export type PullErrorCode = (typeof PULL_ERROR_CODES)[number];
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number] | 'DIGEST_MISMATCH' | 'TOO_LARGE';
type AppErrorCode = (typeof APP_ERROR_CODES)[number];
type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

/** Every code: the closed set a UI `switch` has to cover. */
export const ERROR_CODES: readonly ErrorCode[] = [
  ...new Set([
    ...REGISTRY_ERROR_CODES,
    ...TAR_ERROR_CODES,
    ...LAYER_ERROR_CODES,
    ...COMPRESSION_ERROR_CODES,
    ...ARCHIVE_ERROR_CODES,
    ...UNION_ERROR_CODES,
    ...PULL_ERROR_CODES,
    ...STORE_ERROR_CODES,
    ...APP_ERROR_CODES,
    ...COMMAND_ERROR_CODES,
    ...GENERIC_ERROR_CODES,
  ]),
];

export type ErrorCode =
  | RegistryErrorCode
  | LayerErrorCode
  | CompressionErrorCode
  | ArchiveErrorCode
  | UnionErrorCode
  | PullErrorCode
  | StoreErrorCode
  | AppErrorCode
  | CommandErrorCode
  | (typeof GENERIC_ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && CODE_SET.has(x);
}

/** Docker Hub's `ratelimit-limit` / `ratelimit-remaining` figures. */
export interface RateLimit {
  /** `ratelimit-limit` figure (pulls per window). */
  limit?: number;
  /** `ratelimit-remaining` figure. */
  remaining?: number;
  /** Window in seconds (`;w=21600`). */
  windowSeconds?: number;
}

export type StoreErrorDetails = Record<string, string | number | boolean | string[]>;

/**
 * An error as plain data: what `toJSON()` gives and `reviveError()` takes. The optional fields
 * are those of the subclasses (a field appears only on the subclass that has it).
 */
export interface ErrorData {
  /** The subclass (`RegistryError`, `StoreError`, …), or the name of a foreign error. */
  name: string;
  code: ErrorCode;
  message: string;
  cause?: ErrorData;
  /** RegistryError: HTTP status, 0 when no response was received. */
  status?: number;
  /** RegistryError: worth trying again. */
  retryable?: boolean;
  /** RegistryError: the registry's `detail`, as text. */
  detail?: string;
  /** RegistryError: Docker Hub's rate-limit figures, on a 429. */
  rateLimit?: RateLimit;
  /** RegistryError: the code text the registry sent (also when `code` is `REGISTRY_ERROR`). */
  registryCode?: string;
  /** LayerError: the layer's digest. */
  layer?: string;
  /** TarError, LayerError, UnionError: the entry path. */
  path?: string;
  /** ArchiveError: the tar member. */
  member?: string;
  /** ArchiveError: the blob digest. */
  digest?: string;
  /** StoreError: what the store was looking at. */
  details?: StoreErrorDetails;
}

/** Fields every error has; the rest of an instance's own enumerable fields are its data. */
const BASE_KEYS = new Set(['name', 'code', 'message', 'cause', 'stack']);

const MAX_CAUSE_DEPTH = 4;

export class LayerscopeError extends Error {
  override name: string = 'LayerscopeError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Plain data that survives structured clone and JSON; `reviveError` restores the error. */
  toJSON(): ErrorData {
    return errorData(this, 0);
  }
}

/** What `reviveError` constructs for each `name`; a subclass registers itself next to its class. */
const CLASSES = new Map<string, typeof LayerscopeError>();

/** Make `reviveError` restore `ctor` for data named `name`. */
export function registerErrorClass(name: string, ctor: abstract new (...args: never[]) => LayerscopeError): void {
  CLASSES.set(name, ctor as unknown as typeof LayerscopeError);
}

function errorData(e: LayerscopeError, depth: number): ErrorData {
  const d: ErrorData = { name: e.name, code: e.code, message: e.message };
  for (const [key, value] of Object.entries(e)) {
    if (BASE_KEYS.has(key) || value === undefined || typeof value === 'function') continue;
    (d as unknown as Record<string, unknown>)[key] = typeof value === 'object' ? structuredClone(value) : value;
  }
  if (e.cause !== undefined && depth < MAX_CAUSE_DEPTH) d.cause = toErrorData(e.cause, depth + 1);
  return d;
}

/**
 * Any thrown value as ErrorData: a LayerscopeError as it is; another Error keeps its name and
 * message, with code `ABORTED` for an AbortError, its own `code` when that is a known code, and
 * `ERROR` otherwise.
 */
export function toErrorData(e: unknown, depth = 0): ErrorData {
  if (e instanceof LayerscopeError) return errorData(e, depth);
  if (typeof e === 'object' && e !== null) {
    const x = e as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
    const name = typeof x.name === 'string' ? x.name : 'Error';
    const d: ErrorData = {
      name,
      code: name === 'AbortError' ? 'ABORTED' : isErrorCode(x.code) ? x.code : 'ERROR',
      message: typeof x.message === 'string' ? x.message : String(e),
    };
    if (x.cause !== undefined && depth < MAX_CAUSE_DEPTH) d.cause = toErrorData(x.cause, depth + 1);
    return d;
  }
  return { name: 'Error', code: 'ERROR', message: String(e) };
}

/** Looks like ErrorData (from another thread, so checked field by field). */
export function isErrorData(x: unknown): x is ErrorData {
  if (typeof x !== 'object' || x === null) return false;
  const d = x as { name?: unknown; code?: unknown; message?: unknown };
  return typeof d.name === 'string' && typeof d.code === 'string' && typeof d.message === 'string';
}

/**
 * The error `data` describes, as an instance of its registered subclass (LayerscopeError for a
 * name nothing registered, such as `AbortError`), with its fields and cause. The subclass
 * constructor does not run: the data is restored as it was, not re-derived. An unknown code
 * becomes `ERROR`. Undefined when `data` is not ErrorData.
 */
export function reviveError(data: unknown): LayerscopeError | undefined {
  return isErrorData(data) ? revive(data, 0) : undefined;
}

function revive(data: ErrorData, depth: number): LayerscopeError {
  const ctor = CLASSES.get(data.name) ?? LayerscopeError;
  const options =
    data.cause !== undefined && isErrorData(data.cause) && depth < MAX_CAUSE_DEPTH
      ? { cause: revive(data.cause, depth + 1) }
      : undefined;
  // A real Error (so the platform treats it as one) whose prototype is the subclass's.
  const e = Reflect.construct(Error, [data.message, options], ctor) as LayerscopeError;
  for (const [key, value] of Object.entries(data)) {
    if (key === 'message' || key === 'cause' || key === 'stack' || value === undefined) continue;
    (e as unknown as Record<string, unknown>)[key] = value;
  }
  if (!isErrorCode(data.code)) (e as { code: ErrorCode }).code = 'ERROR';
  return e;
}

/** The code of any thrown value (`ERROR` when it has none we know). */
export function errorCode(e: unknown): ErrorCode {
  return e instanceof LayerscopeError ? e.code : toErrorData(e).code;
}

/**
 * A LayerscopeError subclass for errors that carry a fixed code and no other field:
 * `class FormatError extends codedError('FORMAT_ERROR', 'FormatError') {}`.
 */
export function codedError(code: ErrorCode, name: string) {
  const ctor = class extends LayerscopeError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
      this.name = name;
    }
  };
  return ctor;
}
