/** Which plain-language explanation fits an engine error (the raw message is shown too). */
import type { MessageKey } from '../i18n/messages.ts';
import { isErrorCode, type ErrorCode, type RateLimit } from '../../core/errors.ts';

/**
 * The explanation for one code. Every code is listed, so a code added to `ErrorCode` fails to
 * compile here until someone decides what the person should read for it.
 */
export function messageKeyForCode(code: ErrorCode): MessageKey {
  switch (code) {
    // A file read through a peek index (src/core/peek/read.ts) is not what was indexed.
    case 'LAYER_FILE_MISMATCH':
      return 'error.peekChanged';
    case 'MANIFEST_UNKNOWN':
    case 'NAME_UNKNOWN':
    case 'BLOB_UNKNOWN':
      return 'error.notFound';
    case 'UNAUTHORIZED':
    case 'DENIED':
      return 'error.unauthorized';
    case 'TOOMANYREQUESTS':
      return 'error.rateLimit';
    case 'PROXY_UNREACHABLE':
      return 'error.proxyUnreachable';
    case 'HOST_NOT_ALLOWED':
      return 'error.hostNotAllowed';
    case 'QUOTA_EXCEEDED':
      return 'error.quota';

    // The rest: the message itself says what went wrong ("Error: {message}").
    // Registry (distribution spec) codes.
    case 'BLOB_UPLOAD_INVALID':
    case 'BLOB_UPLOAD_UNKNOWN':
    case 'DIGEST_INVALID':
    case 'MANIFEST_BLOB_UNKNOWN':
    case 'MANIFEST_INVALID':
    case 'NAME_INVALID':
    case 'SIZE_INVALID':
    case 'UNSUPPORTED':
    // The proxy's codes.
    case 'ORIGIN_NOT_ALLOWED':
    case 'BAD_PATH':
    case 'BAD_REDIRECT':
    case 'TOO_MANY_REDIRECTS':
    case 'METHOD_NOT_ALLOWED':
    case 'BODY_TOO_LARGE':
    case 'UPSTREAM_UNREACHABLE':
    case 'UPSTREAM_TIMEOUT':
    case 'CLIENT_CLOSED':
    case 'INTERNAL':
    // The registry client's own codes.
    case 'NETWORK_ERROR':
    case 'DIGEST_MISMATCH':
    case 'TOO_LARGE':
    case 'NO_MATCHING_MANIFEST':
    case 'UNSUPPORTED_MEDIA_TYPE':
    case 'TOKEN_INVALID':
    case 'RANGE_INVALID':
    case 'HTTP_ERROR':
    case 'REGISTRY_ERROR':
    // Tar, layer, compression.
    case 'TAR_PATH_ESCAPE':
    case 'TAR_TRUNCATED':
    case 'TAR_BAD_CHECKSUM':
    case 'TAR_BAD_HEADER':
    case 'TAR_LIMIT':
    case 'TAR_UNSUPPORTED':
    case 'TAR_WRITE':
    case 'LAYER_DIGEST_MISMATCH':
    case 'LAYER_DIFFID_MISMATCH':
    case 'LAYER_SIZE_MISMATCH':
    case 'LAYER_CORRUPT':
    case 'LAYER_LIMIT':
    case 'COMPRESSION_CORRUPT':
    case 'COMPRESSION_LIMIT':
    // Archives.
    case 'ARCHIVE_MALFORMED':
    case 'ARCHIVE_MISSING':
    case 'ARCHIVE_DIGEST_MISMATCH':
    case 'ARCHIVE_DIFFID_MISMATCH':
    case 'ARCHIVE_LIMIT':
    case 'ARCHIVE_UNSAFE':
    case 'ARCHIVE_EMPTY':
    case 'ARCHIVE_CORRUPT':
    case 'ARCHIVE_STORE':
    // The overlay union.
    case 'bad-path':
    case 'bad-root':
    case 'bad-whiteout':
    case 'hardlink-escape':
    case 'hardlink-missing':
    case 'hardlink-dir':
    case 'parent-not-dir':
    case 'symlink-loop':
    // Pull.
    case 'CONFIG_MISSING':
    case 'CONFIG_INVALID':
    case 'CONFIG_TOO_LARGE':
    case 'CONFIG_DIGEST_MISMATCH':
    case 'CONFIG_LAYER_MISMATCH':
    case 'BLOB_SIZE_UNKNOWN':
    case 'DOWNLOAD_INTERRUPTED':
    case 'RESUME_SHORT':
    // Store.
    case 'NOT_FOUND':
    case 'BLOB_INCOMPLETE':
    case 'MANIFEST_MISSING':
    case 'AMBIGUOUS_ID':
    case 'IMAGE_REFERENCED':
    case 'INVALID_ARGUMENT':
    case 'BLOB_CONFLICT':
    case 'VERSION_TOO_NEW':
    case 'CLOSED':
    case 'IDB_ERROR':
    // Application layer.
    case 'NOT_CONFIGURED':
    case 'SAMPLE_MISSING':
    case 'NO_DOWNLOAD':
    case 'NO_FILE':
    case 'INDEX_MISSING':
    case 'DANGLING_LINK':
    case 'NOT_A_FILE':
    case 'LAYER_CHANGED':
    // Command bar.
    case 'INVALID_REFERENCE':
    case 'DAEMON_ERROR':
    case 'FORMAT_ERROR':
    case 'TEMPLATE_ERROR':
    case 'SHELL_SYNTAX':
    // Anything else.
    case 'ERROR':
    case 'ABORTED':
      return 'error.generic';
    default:
      return unhandled(code);
  }
}

function unhandled(code: never): MessageKey {
  // Unreachable for typed callers; data from elsewhere gets the generic text.
  void code;
  return 'error.generic';
}

/** The explanation for an error as it arrived (a code this build does not know reads as generic). */
export function errorMessageKey(e: { code: string; message?: string }): MessageKey {
  return messageKeyForCode(isErrorCode(e.code) ? e.code : 'ERROR');
}

/** The `{detail}` of the rate-limit explanation: Docker Hub's figures when the registry sent them. */
export function rateLimitText<T extends { code: string; rateLimit?: RateLimit | undefined }>(e: T): string {
  return e.rateLimit ? `limit ${e.rateLimit.limit ?? '?'}, remaining ${e.rateLimit.remaining ?? '?'}` : '';
}
