// What every kind of probe shares: its result, the single outcome it settles on, the SNI it sends, and
// an HTTP/2 session of its own (the HTTP check of H2C and H2 clusters, and the gRPC check).
import type * as Http2 from 'node:http2';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { formatHostPort } from '../../../../proto/src/model/host-port.js';

export interface ProbeResult {
  healthy: boolean;
  /** Why: `http 200`, `grpc SERVING`, `connect ECONNREFUSED`, `timeout after 1000ms`, `tcp connected`. */
  reason: string;
}

/**
 * Runs one probe to its first outcome: `start` opens what the probe needs, reports through `finish`
 * and returns how to close it. Settles once; the timeout and every later event are then ignored.
 */
export function firstOutcome(timeoutMs: number, start: (finish: (result: ProbeResult) => void) => () => void): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let close: (() => void) | undefined;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      close?.();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ healthy: false, reason: `timeout after ${timeoutMs}ms` }), timeoutMs);
    close = start(finish);
    if (settled) close();
  });
}

/** The SNI a probe sends: the cluster's, else the address when it is a name. */
export function serverName(address: string, tlsOptions: ConnectionOptions): string | undefined {
  return tlsOptions.servername ?? (net.isIP(address) ? undefined : address);
}

/**
 * A session of its own per probe (a pooled one could hide a dead listener), in cleartext with prior
 * knowledge, or over TLS offering only h2. A session error finishes the probe as a failed connect.
 */
export function openProbeSession(address: string, port: number, tlsOptions: ConnectionOptions | undefined, finish: (result: ProbeResult) => void): Http2.ClientHttp2Session {
  const http2 = loadHttp2();
  const authority = formatHostPort(address, port);
  const session =
    tlsOptions === undefined
      ? http2.connect(`http://${authority}`)
      : http2.connect(`https://${authority}`, { ...tlsOptions, ALPNProtocols: ['h2'], servername: serverName(address, tlsOptions) });
  session.on('error', (err: NodeJS.ErrnoException) => finish({ healthy: false, reason: `connect ${err.code ?? err.message}` }));
  return session;
}

/**
 * The failure of a probe's HTTP/2 stream. A stream the session cancelled because the session failed
 * (a refused connect, a failed handshake) carries that failure as its cause, and fires before the
 * session's own error: it is reported as the failed connect it is.
 */
export function streamFailure(err: NodeJS.ErrnoException): ProbeResult {
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  if (err.code === 'ERR_HTTP2_STREAM_CANCEL' && cause !== undefined) return { healthy: false, reason: `connect ${cause.code ?? cause.message}` };
  return { healthy: false, reason: `stream ${err.code ?? err.message}` };
}

/**
 * node:http2, loaded on the first HTTP/2 or gRPC health check: only these probes use its client, and
 * a worker without such checks is spared its memory (Sluice's own codec serves HTTP/2 traffic).
 */
let http2Module: typeof Http2 | undefined;
function loadHttp2(): typeof Http2 {
  return (http2Module ??= createRequire(import.meta.url)('node:http2') as typeof Http2);
}
