// Pipes a TCP listener's client and its endpoint both ways until both are done. pipe() carries the
// backpressure (a slow reader pauses the other side's reads: no unbounded buffering) and each side's
// FIN: a client that ends its writes has them ended toward the endpoint, and the endpoint's answer
// still flows back (half-close), as Envoy's tcp_proxy does. A reset or error on either side, the idle
// timeout or a forced drain destroys both.
import type { Socket } from 'node:net';

/** Why a piped connection ended: both sides closed in turn, or what cut it. */
export type SpliceEnd = 'closed' | 'idle_timeout' | 'downstream_reset' | 'upstream_reset' | 'drained';

export interface SpliceCounts {
  /** Bytes from the client to the endpoint. */
  received: number;
  /** Bytes from the endpoint to the client. */
  sent: number;
}

export interface Splice {
  /** Cuts both sides now (a drain's deadline). */
  destroy(): void;
}

/**
 * Starts piping `client` and `upstream` (both half-open sockets). `onBytes` hears every chunk as it
 * passes (counters that are live for connections that last hours); `onEnd` is called once, after both
 * sockets closed.
 */
export function splice(client: Socket, upstream: Socket, idleTimeoutMs: number, onBytes: (direction: keyof SpliceCounts, n: number) => void, onEnd: (end: SpliceEnd) => void): Splice {
  let end: SpliceEnd | undefined;
  let open = 2;
  const cut = (why: SpliceEnd): void => {
    end ??= why;
    client.destroy();
    upstream.destroy();
  };
  const closed = (): void => {
    if (--open === 0) onEnd(end ?? 'closed');
  };
  client.on('data', (chunk: Buffer) => onBytes('received', chunk.length));
  upstream.on('data', (chunk: Buffer) => onBytes('sent', chunk.length));
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => cut('downstream_reset'));
  upstream.on('error', () => cut('upstream_reset'));
  // A side that closed after both its directions finished leaves the other to flush what it still
  // holds and close on its own; one that closed otherwise (destroyed, reset) takes the other with it.
  const onClose = (self: Socket, other: Socket, reset: SpliceEnd) => (): void => {
    if (!(self.readableEnded && self.writableFinished)) {
      end ??= reset;
      other.destroy();
    }
    closed();
  };
  client.once('close', onClose(client, upstream, 'downstream_reset'));
  upstream.once('close', onClose(upstream, client, 'upstream_reset'));
  // Reads from and writes to the client are every byte either way: one timer sees all activity.
  client.setTimeout(idleTimeoutMs, () => cut('idle_timeout'));
  return { destroy: () => cut('drained') };
}
