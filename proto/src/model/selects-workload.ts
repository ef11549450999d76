// Whether a WorkloadSelector picks a proxy by its --service and --namespace: the one rule both planes
// apply to Listener selectors (the control plane to decide what a stream receives, the proxy again
// to what it serves).
import type { WorkloadSelector } from '../../gen/sluice/v1/peer_authentication_pb.js';

export interface SelectedWorkload {
  readonly service: string;
  readonly namespace: string;
}

/** A missing or empty selector picks every proxy; each field that is set must equal the proxy's. */
export function selectsWorkload(selector: WorkloadSelector | undefined, workload: SelectedWorkload): boolean {
  if (selector === undefined) return true;
  return (selector.service === '' || selector.service === workload.service) && (selector.namespace === '' || selector.namespace === workload.namespace);
}

/**
 * How specifically a policy's selector picks a proxy, with Istio's precedence: 2 names its service
 * (and its namespace, if set), 1 only its namespace, 0 mesh-wide (empty); -1 does not pick it.
 */
export function selectorLevel(selector: WorkloadSelector | undefined, workload: SelectedWorkload): number {
  if (!selectsWorkload(selector, workload)) return -1;
  return (selector?.service ?? '') !== '' ? 2 : (selector?.namespace ?? '') !== '' ? 1 : 0;
}
