// One active health probe of one endpoint: an HTTP GET (healthy when the status is expected) or a TCP
// connect. Shared by the proxy's ActiveHealthChecker and the control plane's leader-elected checker,
// so both judge an endpoint the same way.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import type { HealthCheck } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import { formatHostPort } from '../../../../proto/src/model/host-port.js';

/** Envoy has no default timeout; one second keeps a hung endpoint from stalling its next probe. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1000;

export interface ProbeResult {
  healthy: boolean;
  /** Why: `http 200`, `http 503`, `connect ECONNREFUSED`, `timeout after 1000ms`, `tcp connected`. */
  reason: string;
}

/**
 * Probes `address:port` once as `check` says. Never rejects: every failure is `{ healthy: false }`
 * with a reason. With `tls`, the HTTP GET goes over HTTPS and the TCP check completes a handshake.
 * With `useHttp2` (clusters of protocol H2C or H2: gRPC servers speak nothing else), the GET is an
 * HTTP/2 request, in cleartext with prior knowledge or over TLS.
 */
export function probeEndpoint(address: string, port: number, check: HealthCheck, tls?: ConnectionOptions, useHttp2 = false): Promise<ProbeResult> {
  const timeoutMs = check.timeoutMs || DEFAULT_PROBE_TIMEOUT_MS;
  if (check.check.case !== 'http') return probeTcp(address, port, timeoutMs, tls);
  const { path, host, expectedStatuses } = check.check.value;
  return (useHttp2 ? probeHttp2 : probeHttp)(address, port, path || '/', host, expectedStatuses, timeoutMs, tls);
}

/** Empty `expected` means 200-399, as the HttpHealthCheck message documents. */
export function statusIsExpected(status: number, expected: readonly number[]): boolean {
  return expected.length === 0 ? status >= 200 && status < 400 : expected.includes(status);
}

/**
 * Runs one probe to its first outcome: `start` opens what the probe needs, reports through `finish`
 * and returns how to close it. Settles once; the timeout and every later event are then ignored.
 */
function firstOutcome(timeoutMs: number, start: (finish: (result: ProbeResult) => void) => () => void): Promise<ProbeResult> {
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
function serverName(address: string, tlsOptions: ConnectionOptions): string | undefined {
  return tlsOptions.servername ?? (net.isIP(address) ? undefined : address);
}

function probeHttp(address: string, port: number, path: string, host: string, expected: readonly number[], timeoutMs: number, tlsOptions: ConnectionOptions | undefined): Promise<ProbeResult> {
  return firstOutcome(timeoutMs, (finish) => {
    const hostHeader = host || formatHostPort(address, port);
    // No agent: a probe must open its own connection, or a pooled socket could hide a dead listener.
    const options: http.RequestOptions = { host: address, port, path, method: 'GET', agent: false, headers: { host: hostHeader, 'user-agent': 'sluice-health-check', connection: 'close' } };
    const req = tlsOptions === undefined ? http.request(options) : https.request({ ...options, ...tlsOptions, servername: serverName(address, tlsOptions) });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      finish({ healthy: statusIsExpected(status, expected), reason: `http ${status}` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ healthy: false, reason: `connect ${err.code ?? err.message}` }));
    req.end();
    return () => req.destroy();
  });
}

function probeHttp2(address: string, port: number, path: string, host: string, expected: readonly number[], timeoutMs: number, tlsOptions: ConnectionOptions | undefined): Promise<ProbeResult> {
  return firstOutcome(timeoutMs, (finish) => {
    const authority = formatHostPort(address, port);
    // A session of its own per probe, for the same reason as the HTTP/1.1 probe's own connection.
    const session =
      tlsOptions === undefined
        ? http2.connect(`http://${authority}`)
        : http2.connect(`https://${authority}`, { ...tlsOptions, ALPNProtocols: ['h2'], servername: serverName(address, tlsOptions) });
    session.on('error', (err: NodeJS.ErrnoException) => finish({ healthy: false, reason: `connect ${err.code ?? err.message}` }));
    const req = session.request({ ':method': 'GET', ':path': path, ':authority': host || authority, 'user-agent': 'sluice-health-check' });
    req.on('response', (headers) => {
      const status = Number(headers[':status'] ?? 0);
      finish({ healthy: statusIsExpected(status, expected), reason: `http ${status}` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ healthy: false, reason: `stream ${err.code ?? err.message}` }));
    req.end();
    return () => session.destroy();
  });
}

function probeTcp(address: string, port: number, timeoutMs: number, tlsOptions: ConnectionOptions | undefined): Promise<ProbeResult> {
  return firstOutcome(timeoutMs, (finish) => {
    const socket =
      tlsOptions === undefined
        ? net.connect({ host: address, port }, () => finish({ healthy: true, reason: 'tcp connected' }))
        : tls.connect({ ...tlsOptions, host: address, port, servername: serverName(address, tlsOptions) }, () => finish({ healthy: true, reason: 'tls connected' }));
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ healthy: false, reason: `connect ${err.code ?? err.message}` }));
    return () => socket.destroy();
  });
}
