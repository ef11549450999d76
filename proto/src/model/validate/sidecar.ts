// Semantic checks of one Sidecar (declared dependencies): its selector and the hosts it calls.
import type { Sidecar } from '../../../gen/sluice/v1/sidecar_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { checkHostPattern } from './syntax.js';
import { validateWorkloadSelector } from './workload-selector.js';

/** A declaration lists what one workload calls; past this it is a mistake (or `*` was meant). */
export const MAX_EGRESS_HOSTS = 1024;

export function validateSidecar(sidecar: Sidecar, path: string, errors: FieldErrors): void {
  validateWorkloadSelector(sidecar.selector, path, errors);
  const hosts = sidecar.egress?.hosts ?? [];
  const at = fieldPath(fieldPath(path, 'egress'), 'hosts');
  if (hosts.length > MAX_EGRESS_HOSTS) errors.add(at, `at most ${MAX_EGRESS_HOSTS} hosts, got ${hosts.length} (use a wildcard such as "*.example.com")`);
  const seen = new Set<string>();
  hosts.forEach((host, i) => {
    checkHostPattern(host, `${at}[${i}]`, errors);
    const key = host.toLowerCase();
    if (seen.has(key)) errors.add(`${at}[${i}]`, `"${host}" is listed twice`);
    seen.add(key);
  });
}
