// Semantic checks of a policy's selector: which proxies (by --service and --namespace) it applies to.
import type { WorkloadSelector } from '../../../gen/sluice/v1/peer_authentication_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { checkName } from './syntax.js';

/** A Kubernetes namespace: a DNS label (RFC 1123), at most 63 characters. */
export const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function checkNamespace(namespace: string, path: string, errors: FieldErrors): void {
  if (!NAMESPACE.test(namespace)) errors.add(path, `"${namespace}" is not a valid namespace: use lowercase letters, digits and '-', starting and ending with a letter or digit (at most 63 characters)`);
}

export function validateWorkloadSelector(selector: WorkloadSelector | undefined, path: string, errors: FieldErrors): void {
  if (selector === undefined) return;
  const at = fieldPath(path, 'selector');
  if (selector.service !== '') checkName(selector.service, fieldPath(at, 'service'), errors);
  if (selector.namespace !== '') checkNamespace(selector.namespace, fieldPath(at, 'namespace'), errors);
}
