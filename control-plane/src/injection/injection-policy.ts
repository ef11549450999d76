// Which pods that reach the webhook get a sidecar. The webhook configuration's selectors already chose
// the pods of namespaces labelled sluice.io/inject=enabled and pods labelled sluice.io/inject=true
// (the review does not carry the namespace's labels); the handler then skips, as Istio's injector
// does, the pods that opted out, that are injected already, or that share the node's network.
import type { IPod } from 'kubernetes-models/v1/Pod';
import { INJECT_LABEL, PROXY_CONTAINER, STATUS_ANNOTATION } from './injection-names.js';

/** Why `pod` gets no sidecar, or undefined when it gets one. */
export function skipReason(pod: IPod): string | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  if (annotations[INJECT_LABEL] === 'false' || labels[INJECT_LABEL] === 'false') return `opted out (${INJECT_LABEL}: "false")`;
  // Idempotent: a reinvocation, or a pod whose sidecar was written by hand, is left as it is.
  if (annotations[STATUS_ANNOTATION] !== undefined) return `already injected (${STATUS_ANNOTATION} is set)`;
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  if (containers.some((c) => c.name === PROXY_CONTAINER)) return `already has a container named ${PROXY_CONTAINER}`;
  // Its proxy would bind the node's ports 15000, 15001 and 15006, and a capture would redirect the node's traffic.
  if (pod.spec?.hostNetwork === true) return 'uses the host network';
  return undefined;
}
