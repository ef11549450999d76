// Callbacks for what arrives on discovery streams besides ACKs: each says when it runs.

import type { HealthReport, Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';

export interface DiscoveryHooks {
  /**
   * A proxy connected and named itself (first request of a stream). `stream` is unique per stream of
   * this server; `peer` is not (streams multiplexed on one connection share it). `identity` is the
   * workload SPIFFE ID the stream's credential proves; undefined for an admin API token.
   */
  onStreamOpen?(node: Node, peer: string, stream: string, identity: string | undefined): void;
  /**
   * The proxy has ACKed everything of `revision` (apart from versions it rejected): what /v1/rollout
   * counts as "at". Called once per revision reached, right after the ACK that completed it.
   */
  onProxySynced?(node: Node, revision: number): void;
  /** The stream ended, for any reason. */
  onStreamClose?(node: Node, peer: string, stream: string): void;
  /**
   * A request carried health reports (DiscoveryRequest.health): the proxy's full view on the first
   * request of a stream, transitions after; `stream` tells this stream from any other of the same
   * node (as in onStreamOpen/onStreamClose). The health module aggregates them.
   */
  onHealthReports?(node: Node, reports: readonly HealthReport[], peer: string, stream: string): void;
}
