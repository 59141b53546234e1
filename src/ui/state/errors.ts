/** Which plain-language explanation fits an engine error (the raw message is shown too). */
import type { MessageKey } from '../i18n/messages.ts';
import type { EngineError } from '../../app/api.ts';

export function errorMessageKey(e: EngineError): MessageKey {
  switch (e.code) {
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
    default:
      return 'error.generic';
  }
}
