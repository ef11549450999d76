// The HTTP/2 settings Sluice's sessions run with, client side and upstream side alike: the stream
// window below (upstream sessions also turn server push off); HPACK's table stays at its 4 KiB default.
// (docs/data-plane.md, "HTTP/2 settings", says why each value).

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
