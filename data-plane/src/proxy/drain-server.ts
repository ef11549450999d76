// Drains one listening server made by createProxyServer: stop accepting, let what is in flight finish,
// tell every client to go elsewhere, and close what is left at the deadline.
//
// The keep-alive race: a client may send a request on an idle keep-alive connection at the moment the
// server closes it, and sees a reset. node:http's own server.close() closes idle connections at once,
// which maximises that window. We do what Envoy's drain does instead: every response from now on says
// `Connection: close` (so a client with traffic leaves after its next answer, cleanly), the idle
// keep-alive timeout drops to a short grace (DRAIN_IDLE_GRACE_MS), and only connections that stayed idle
// through the grace are closed. HTTP/2 clients get GOAWAY (open streams finish). Upgraded connections
// (WebSocket) and slow requests may finish until the deadline, then everything left is destroyed.
import { Server as NetServer, type Socket } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import { closeIfIdleHttp1 } from '../protocols/http1/h1-downstream.js';
import { h2Of } from '../protocols/http2/h2-downstream.js';

/** How long an idle keep-alive connection is kept once a drain starts, so a request already on its way is answered (with `Connection: close`) instead of reset. */
export const DRAIN_IDLE_GRACE_MS = 1000;

export interface DrainState {
  /** A drain started: the request handler marks every new response `Connection: close`. */
  draining: boolean;
  /** Every accepted TCP socket (HTTP/1.1, h2, upgraded, still in a TLS handshake). */
  readonly sockets: Set<Socket>;
  /** TLS sockets once the handshake is done: node:http serves these, not the raw ones. */
  readonly secure: Set<Socket>;
  done?: Promise<void>;
  force?: () => void;
}

const states = new WeakMap<object, DrainState>();

/**
 * Called by createProxyServer once HTTP/2 is attached: tracks the server's client sockets. The state
 * it returns is what the request handler reads (`draining`: one property read per request).
 */
export function trackConnections(server: Server, tls: boolean): DrainState {
  const state: DrainState = { draining: false, sockets: new Set(), secure: new Set() };
  states.set(server, state);
  const track = (set: Set<Socket>) => (socket: Socket) => {
    set.add(socket);
    socket.once('close', () => set.delete(socket));
  };
  server.on('connection', track(state.sockets));
  if (tls) server.on('secureConnection', track(state.secure));
  return state;
}

/**
 * Drains `server` and resolves when its last connection closed: at once when nothing is open, at the
 * latest after `timeoutMs`. A second call with a shorter timeout (a fast stop during a drain) cuts the
 * first one short; timeout 0 closes everything now.
 */
export function drainServer(server: Server, timeoutMs: number, idleGraceMs = DRAIN_IDLE_GRACE_MS): Promise<void> {
  let state = states.get(server);
  if (state === undefined) states.set(server, (state = { draining: false, sockets: new Set(), secure: new Set() }));
  if (state.done !== undefined) {
    if (timeoutMs === 0) state.force?.();
    else setTimeout(() => state!.force?.(), timeoutMs).unref();
    return state.done;
  }
  state.draining = true;
  // net.Server's close, not node:http's: the latter also closes every idle connection right now.
  // In a cluster worker this also tells the primary to stop handing this worker connections.
  const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  for (const socket of [...state.sockets, ...state.secure]) {
    const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (res != null && !res.headersSent) res.shouldKeepAlive = false;
  }
  // node:http arms this on each connection when its response ends: the rest go idle for the grace only.
  server.keepAliveTimeout = Math.max(1, Math.min(idleGraceMs, timeoutMs));
  const h2 = h2Of(server);
  h2?.goAway();
  const s = state;
  const force = (): void => {
    server.closeAllConnections();
    h2?.destroyAll();
    for (const socket of s.sockets) socket.destroy();
  };
  state.force = force;
  if (timeoutMs === 0) force();
  const grace = setTimeout(() => {
    server.closeIdleConnections();
    for (const socket of [...s.sockets, ...s.secure]) closeIfIdleHttp1(socket);
  }, Math.min(idleGraceMs, timeoutMs));
  const deadline = setTimeout(force, timeoutMs);
  grace.unref();
  deadline.unref();
  state.done = closed.then(() => {
    clearTimeout(grace);
    clearTimeout(deadline);
  });
  return state.done;
}
