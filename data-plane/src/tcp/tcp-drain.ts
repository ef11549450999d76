// Drains a TCP listener: it stops accepting at once (in a worker, the primary stops handing it
// connections), the connections already piped go on, and those still open at the deadline are cut.
// A TCP connection has no request boundary to close it at cleanly, so, as with Envoy's tcp_proxy
// during a listener drain, it gets the whole drain time to finish on its own.
import { Server as NetServer, type Socket } from 'node:net';

interface TcpDrainState {
  /** Each open client socket, with how to cut it (its splice once piped: counted as `drained`). */
  readonly open: Map<Socket, () => void>;
  done?: Promise<void>;
  force?: () => void;
}

const states = new WeakMap<NetServer, TcpDrainState>();

/** Called by the TCP listener for each connection it serves: tracked until it closes. */
export function trackTcpConnection(server: NetServer, socket: Socket, cut: () => void): void {
  let state = states.get(server);
  if (state === undefined) states.set(server, (state = { open: new Map() }));
  state.open.set(socket, cut);
  const open = state.open;
  socket.once('close', () => open.delete(socket));
}

/** Replaces how a tracked connection is cut (once it is piped to an endpoint). */
export function setTcpCut(server: NetServer, socket: Socket, cut: () => void): void {
  const open = states.get(server)?.open;
  if (open?.has(socket) === true) open.set(socket, cut);
}

/**
 * Stops accepting and resolves once every connection closed, at the latest after `timeoutMs` (0
 * cuts them all now). A second call with a shorter timeout cuts the first drain short.
 */
export function drainTcpServer(server: NetServer, timeoutMs: number): Promise<void> {
  let state = states.get(server);
  if (state === undefined) states.set(server, (state = { open: new Map() }));
  if (state.done !== undefined) {
    if (timeoutMs === 0) state.force?.();
    else setTimeout(() => state!.force?.(), timeoutMs).unref();
    return state.done;
  }
  const open = state.open;
  const force = (): void => {
    for (const cut of [...open.values()]) cut();
  };
  state.force = force;
  // Resolves when the last connection closed (net.Server counts them).
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  const deadline = setTimeout(force, timeoutMs);
  deadline.unref();
  if (timeoutMs === 0) force();
  state.done = closed.then(() => clearTimeout(deadline));
  return state.done;
}
