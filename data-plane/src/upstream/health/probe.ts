// One active health probe of one endpoint: an HTTP GET (healthy when the status is expected), a gRPC
// health Check (grpc-probe.ts) or a TCP connect. Shared by the proxy's ActiveHealthChecker and the
// control plane's leader-elected checker, so both judge an endpoint the same way.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import type { HealthCheck } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import { formatHostPort } from '../../../../proto/src/model/host-port.js';
import { probeGrpc } from './grpc-probe.js';
import { firstOutcome, openProbeSession, serverName, streamFailure, type ProbeResult } from './probe-outcome.js';

export type { ProbeResult };

/** Envoy has no default timeout; one second keeps a hung endpoint from stalling its next probe. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1000;

/**
 * Probes `address:port` once as `check` says. Never rejects: every failure is `{ healthy: false }`
 * with a reason. With `tls`, the HTTP GET goes over HTTPS and the TCP check completes a handshake.
 * With `useHttp2` (clusters of protocol H2C or H2: gRPC servers speak nothing else), the GET is an
 * HTTP/2 request, in cleartext with prior knowledge or over TLS. The gRPC check is always HTTP/2
 * (validation admits it on H2C and H2 clusters only).
 */
export function probeEndpoint(address: string, port: number, check: HealthCheck, tls?: ConnectionOptions, useHttp2 = false): Promise<ProbeResult> {
  const timeoutMs = check.timeoutMs || DEFAULT_PROBE_TIMEOUT_MS;
  if (check.check.case === 'grpc') return probeGrpc(address, port, check.check.value, timeoutMs, tls);
  if (check.check.case !== 'http') return probeTcp(address, port, timeoutMs, tls);
  const { path, host, expectedStatuses } = check.check.value;
  return (useHttp2 ? probeHttp2 : probeHttp)(address, port, path || '/', host, expectedStatuses, timeoutMs, tls);
}

/** Empty `expected` means 200-399, as the HttpHealthCheck message documents. */
export function statusIsExpected(status: number, expected: readonly number[]): boolean {
  return expected.length === 0 ? status >= 200 && status < 400 : expected.includes(status);
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
    const session = openProbeSession(address, port, tlsOptions, finish);
    const req = session.request({ ':method': 'GET', ':path': path, ':authority': host || formatHostPort(address, port), 'user-agent': 'sluice-health-check' });
    req.on('response', (headers) => {
      const status = Number(headers[':status'] ?? 0);
      finish({ healthy: statusIsExpected(status, expected), reason: `http ${status}` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish(streamFailure(err)));
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
