// Semantic checks of endpoint lists, shared by Cluster (static endpoints) and Endpoints.
import type { Endpoint } from '../../../gen/sluice/v1/endpoints_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { checkAddress, checkPort } from './syntax.js';
import { parseSpiffeId } from '../../identity/spiffe-id.js';

export function validateEndpointList(endpoints: readonly Endpoint[], path: string, errors: FieldErrors): void {
  const seen = new Map<string, number>();
  endpoints.forEach((e, i) => {
    const at = `${path}[${i}]`;
    checkAddress(e.address, fieldPath(at, 'address'), errors);
    checkPort(e.port, fieldPath(at, 'port'), errors);
    if (e.identity !== '' && parseSpiffeId(e.identity) === undefined) {
      errors.add(fieldPath(at, 'identity'), 'must be a SPIFFE ID (spiffe://<trust-domain>/<path>)');
    }
    const key = `${e.address}:${e.port}`;
    const first = seen.get(key);
    if (first !== undefined) errors.add(at, `duplicates ${path}[${first}] (${key})`);
    else seen.set(key, i);
  });
}
