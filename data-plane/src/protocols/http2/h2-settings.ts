// The HTTP/2 settings Sluice's sessions run with, client side and upstream side alike
// (docs/data-plane.md, "HTTP/2 settings", says why each value).
import type { Http2Session, Settings } from 'node:http2';

/**
 * Flow-control window of each stream (SETTINGS_INITIAL_WINDOW_SIZE): how much body a peer may send on
 * one stream before Sluice has passed it on. 256 KiB, as Envoy's default: a 64 KiB window (the
 * protocol's default) caps one stream's upload at 64 KiB per round trip.
 */
export const STREAM_WINDOW_BYTES = 256 * 1024;

/**
 * Flow-control window of a whole connection, set by WINDOW_UPDATE on stream 0 (there is no setting
 * for it). The protocol's 64 KiB would be shared by every stream of the connection, so a few busy
 * streams would stall the others; 16 streams' worth lets many streams move at once while bounding what
 * one connection can make Sluice hold.
 */
export const CONNECTION_WINDOW_BYTES = 16 * STREAM_WINDOW_BYTES;

/** Streams a client may open at once on one connection, as nginx's http2_max_concurrent_streams. */
export const DOWNSTREAM_MAX_CONCURRENT_STREAMS = 128;

/**
 * node:http2's cap on what one session may hold in flight (frames queued to write, header blocks), in
 * MiB; past it new streams are refused with ENHANCE_YOUR_CALM. Its default (10) is reached by 128
 * streams of large headers or bodies; 64 is a connection window's worth many times over.
 */
export const MAX_SESSION_MEMORY_MIB = 64;

/** The settings both sides send: no server push, the per-stream window. HPACK's table stays at its 4 KiB default. */
export const BASE_SETTINGS: Settings = Object.freeze({ enablePush: false, initialWindowSize: STREAM_WINDOW_BYTES });

/** Opens the connection's own flow-control window to CONNECTION_WINDOW_BYTES; call once the session is up. */
export function widenConnectionWindow(session: Http2Session): void {
  if (!session.destroyed) session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
}
