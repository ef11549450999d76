// The gRPC health check (Envoy's grpc_health_check): one unary grpc.health.v1.Health/Check over a
// fresh HTTP/2 session, in cleartext (H2C) or over TLS (H2, upstream TLS, mesh endpoints). Healthy
// only on SERVING; NOT_SERVING, SERVICE_UNKNOWN, a grpc-status other than 0 (a server without the
// health service answers UNIMPLEMENTED, one that does not know the service NOT_FOUND), a timeout or a
// failed connect are failures, each with its reason.
import type { ConnectionOptions } from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http2';
import type { GrpcHealthCheck } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import { formatHostPort } from '../../../../proto/src/model/host-port.js';
import { GRPC_HEALTH_CHECK_PATH, ServingStatus, decodeHealthCheckResponse, encodeHealthCheckRequest, servingStatusName } from '../../../../proto/src/wire/grpc-health.js';
import { firstOutcome, openProbeSession, streamFailure, type ProbeResult } from './probe-outcome.js';

/** A HealthCheckResponse is two bytes; anything past this is not a health server talking. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** gRPC's message prefix: a compressed flag and a 4-byte big-endian length. */
const PREFIX_BYTES = 5;

export function probeGrpc(address: string, port: number, check: GrpcHealthCheck, timeoutMs: number, tlsOptions: ConnectionOptions | undefined): Promise<ProbeResult> {
  return firstOutcome(timeoutMs, (finish) => {
    const session = openProbeSession(address, port, tlsOptions, finish);
    const req = session.request({
      ':method': 'POST',
      ':path': GRPC_HEALTH_CHECK_PATH,
      ':authority': check.authority || formatHostPort(address, port),
      'content-type': 'application/grpc',
      te: 'trailers',
      // The server may give up when the probe does, instead of answering no one.
      'grpc-timeout': `${timeoutMs}m`,
      'user-agent': 'sluice-health-check',
    });
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('response', (h) => {
      headers = h;
      const status = Number(h[':status'] ?? 0);
      if (status !== 200) finish({ healthy: false, reason: `http ${status}` });
    });
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_RESPONSE_BYTES) finish({ healthy: false, reason: `grpc response over ${MAX_RESPONSE_BYTES} bytes` });
      else chunks.push(chunk);
    });
    req.on('trailers', (t) => (trailers = t));
    // A trailers-only answer (every gRPC error) carries grpc-status in its headers.
    req.on('end', () => finish(verdict(trailers['grpc-status'] ?? headers['grpc-status'], trailers['grpc-message'] ?? headers['grpc-message'], Buffer.concat(chunks))));
    req.on('error', (err: NodeJS.ErrnoException) => finish(streamFailure(err)));
    req.on('close', () => finish({ healthy: false, reason: `stream closed (code ${req.rstCode ?? 0})` }));
    req.end(frame(encodeHealthCheckRequest(check.serviceName)));
    return () => session.destroy();
  });
}

function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function verdict(grpcStatus: string | string[] | undefined, grpcMessage: string | string[] | undefined, body: Buffer): ProbeResult {
  if (grpcStatus === undefined) return { healthy: false, reason: 'grpc answer without grpc-status' };
  if (grpcStatus !== '0') {
    const message = typeof grpcMessage === 'string' && grpcMessage !== '' ? `: ${percentDecoded(grpcMessage)}` : '';
    return { healthy: false, reason: `grpc-status ${String(grpcStatus)}${message}` };
  }
  if (body.length < PREFIX_BYTES || body.readUInt32BE(1) !== body.length - PREFIX_BYTES) return { healthy: false, reason: 'grpc answer is not one message' };
  // The probe offers no compression (no grpc-accept-encoding), so a compressed answer is a broken server.
  if (body[0] !== 0) return { healthy: false, reason: 'grpc answer is compressed' };
  let status: number;
  try {
    status = decodeHealthCheckResponse(body.subarray(PREFIX_BYTES));
  } catch {
    return { healthy: false, reason: 'grpc answer is not a HealthCheckResponse' };
  }
  return { healthy: status === ServingStatus.SERVING, reason: `grpc ${servingStatusName(status)}` };
}

/** grpc-message is percent-encoded (gRPC over HTTP/2); a malformed one is shown as sent. */
function percentDecoded(message: string): string {
  try {
    return decodeURIComponent(message);
  } catch {
    return message;
  }
}
