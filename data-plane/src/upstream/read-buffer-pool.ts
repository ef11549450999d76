// Reusable read buffers for upstream sockets (net's `onread` option): Node otherwise allocates a
// fresh 64 KiB buffer per read, and at bulk rates that garbage lets RSS grow by V8's external-memory
// slack (~64 MB) before a GC frees it. A buffer goes back to the pool when every slice handed out
// of it was released (for a response body: when the downstream write of it completed).

/**
 * 128 KiB, not Node's 64: a 64 KiB body with its head is a little over 64 KiB, so it took two reads,
 * two downstream writes, and the second write waited for the socket to drain (epoll registration
 * and all): 13% more CPU per 64 KiB response. Pages of a buffer that reads never fill are never
 * touched, so small responses cost no more memory.
 */
const BUFFER_BYTES = 128 * 1024;
/** Free buffers kept: 16 MiB at most; more are left to the GC. */
const MAX_FREE = 128;
const free: ReadBuffer[] = [];

/** A lease on the bytes of one read: whoever keeps a slice past the call retains, then releases. */
export interface BufferLease {
  retain(): void;
  readonly release: () => void;
}

export class ReadBuffer implements BufferLease {
  readonly buf = Buffer.allocUnsafeSlow(BUFFER_BYTES);
  private refs = 0;

  /** Taken by the reader for the length of one read callback. */
  hold(): void {
    this.refs = 1;
  }

  retain(): void {
    this.refs++;
  }

  readonly release = (): void => {
    if (--this.refs === 0 && free.length < MAX_FREE) free.push(this);
  };
}

/** A lease on bytes that belong to no pooled buffer (a copy, or a buffer of their own): nothing to give back. */
export const OWN_BYTES: BufferLease = Object.freeze({ retain: () => {}, release: () => {} });

/**
 * Body pieces up to this size are copied out of the read buffer (into node's small-buffer slab) rather
 * than lent: a lent buffer stays out of the pool until the downstream write completes, and with many
 * small responses in flight (HTTP/2 clients: hundreds of streams) the pool ran dry and every read
 * allocated a new read buffer, which the GC then had to collect.
 */
export const COPY_BELOW_BYTES = 4096;

export function takeReadBuffer(): ReadBuffer {
  return free.pop() ?? new ReadBuffer();
}
