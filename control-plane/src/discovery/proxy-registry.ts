// The proxies connected to this control-plane replica: their streams, as the discovery server opens
// and closes them. What they run is read from here (proxy-status.ts), published for the other
// replicas (fleet-status-publisher.ts) and served for the whole fleet (fleet-status.ts).
import type { Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import type { StreamState } from './stream-state.js';

export class ProxyRegistry {
  private readonly open = new Map<string, StreamState>();

  add(stream: StreamState): void {
    this.open.set(stream.id, stream);
  }

  remove(stream: StreamState): void {
    this.open.delete(stream.id);
  }

  /** The Node a connected proxy named itself with (its latest stream's), or undefined. */
  nodeOf(nodeId: string): Node | undefined {
    let found: StreamState | undefined;
    for (const s of this.open.values()) if (s.node.id === nodeId && (found === undefined || s.connectedAt >= found.connectedAt)) found = s;
    return found?.node;
  }

  get size(): number {
    return this.open.size;
  }

  streams(): IterableIterator<StreamState> {
    return this.open.values();
  }
}
