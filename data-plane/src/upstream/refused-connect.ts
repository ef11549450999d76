// Whether a failed connect was the endpoint's own refusal: ECONNREFUSED (nothing listens on the port)
// or ECONNRESET (it dropped the connection during the TCP or TLS handshake). Unlike a timeout, which a
// slow network or a full accept queue also causes, these say the endpoint cannot serve right now.
import { ProxyErrorCode, type ProxyError } from '../errors.js';

const REFUSALS: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET']);

/** The refusal's errno code (`ECONNREFUSED`), or undefined when the failure was something else. */
export function refusedConnectCode(error: ProxyError): string | undefined {
  if (error.code !== ProxyErrorCode.ConnectFailure) return undefined;
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && REFUSALS.has(code) ? code : undefined;
}
