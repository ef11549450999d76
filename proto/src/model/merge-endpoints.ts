// One rule for "which endpoints does a cluster have", shared by the proxy (load balancing, active
// checks, shared ejections) and the control plane (the Endpoints it sends, the endpoints it checks
// itself): a cluster may list endpoints inline and have an Endpoints resource of the same name; for the
// same address and port, the Endpoints resource's entry wins (it is the one that carries health and
// weight changes at run time).
import { formatHostPort } from './host-port.js';

interface Addressed {
  readonly address: string;
  readonly port: number;
}

/**
 * `first`'s endpoints, then those of `then` at an address and port `first` does not list. Call it
 * with the Endpoints resource's list first and the cluster's inline list second.
 */
export function mergeEndpoints<A extends Addressed, B extends Addressed>(first: readonly A[], then: readonly B[]): Array<A | B> {
  const seen = new Set(first.map((e) => formatHostPort(e.address, e.port)));
  const out: Array<A | B> = [...first];
  for (const e of then) {
    const key = formatHostPort(e.address, e.port);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}
