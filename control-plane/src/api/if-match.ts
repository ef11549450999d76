// Parses `If-Match: <revision>` (optionally quoted, as an ETag): optimistic concurrency on PUT/DELETE.
import { ControlPlaneError, ErrorCode } from '../errors.js';

/** undefined without the header; 0 = "must not exist yet"; n = "must be at revision n". */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value);
  if (match === null) {
    const problem = `must be one store revision (a non-negative integer), got ${JSON.stringify(value)}`;
    throw new ControlPlaneError(ErrorCode.BadRequest, `If-Match ${problem}`, { errors: [{ path: 'If-Match', message: problem }] });
  }
  return Number(match[1]);
}
