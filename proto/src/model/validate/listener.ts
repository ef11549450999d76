// Semantic checks of one Listener (its certificates and its TCP cluster are checked in references.ts).
import { ListenerProtocol, type Listener } from '../../../gen/sluice/v1/listener_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { checkAddress, checkPort } from './syntax.js';
import { validateWorkloadSelector } from './workload-selector.js';

export function validateListener(listener: Listener, path: string, errors: FieldErrors): void {
  checkAddress(listener.address, fieldPath(path, 'address'), errors, true);
  // Port 0 asks the OS for a free port (tests, and proxies that report their port).
  checkPort(listener.port, fieldPath(path, 'port'), errors, true);
  const tls = listener.tls;
  if (listener.protocol === ListenerProtocol.HTTPS) {
    if (tls === undefined || tls.certificates.length === 0) errors.add(fieldPath(path, 'tls.certificates'), 'an HTTPS listener needs at least one certificate');
  } else if (tls !== undefined) {
    errors.add(fieldPath(path, 'tls'), 'is only allowed with protocol HTTPS');
  }
  if (tls !== undefined && tls.defaultCertificate !== '' && !tls.certificates.includes(tls.defaultCertificate)) {
    errors.add(fieldPath(path, 'tls.defaultCertificate'), `"${tls.defaultCertificate}" is not one of tls.certificates`);
  }
  validateWorkloadSelector(listener.selector, path, errors);
  validateTcp(listener, path, errors);
  const limits = listener.limits;
  if (limits !== undefined) {
    const at = fieldPath(path, 'limits');
    for (const [field, [min, max]] of Object.entries(LIMIT_RANGES)) {
      const value = limits[field as keyof typeof LIMIT_RANGES];
      if (value !== 0 && (value < min || value > max)) errors.add(fieldPath(at, field), `must be 0 (the default) or between ${min} and ${max}, got ${value}`);
    }
  }
}

/**
 * A TCP listener pipes bytes: it needs its `tcp` settings, and the limits that read HTTP requests
 * would silently do nothing on it, so they are refused (the idle timeout is `tcp.idleTimeoutMs`).
 */
function validateTcp(listener: Listener, path: string, errors: FieldErrors): void {
  const tcp = listener.tcp;
  if (listener.protocol !== ListenerProtocol.TCP) {
    if (tcp !== undefined) errors.add(fieldPath(path, 'tcp'), 'is only allowed with protocol TCP');
    return;
  }
  if (tcp === undefined || tcp.cluster === '') errors.add(fieldPath(path, 'tcp.cluster'), 'a TCP listener needs the cluster its connections go to');
  if (tcp !== undefined) {
    for (const [field, [min, max]] of Object.entries(TCP_RANGES)) {
      const value = tcp[field as keyof typeof TCP_RANGES];
      if (value !== 0 && (value < min || value > max)) errors.add(fieldPath(path, `tcp.${field}`), `must be 0 (the default) or between ${min} and ${max}, got ${value}`);
    }
  }
  const limits = listener.limits;
  if (limits === undefined) return;
  for (const field of HTTP_ONLY_LIMITS) {
    if (Number(limits[field]) !== 0) {
      errors.add(fieldPath(path, `limits.${field}`), field === 'idleTimeoutMs' ? 'applies to HTTP listeners; a TCP listener has tcp.idleTimeoutMs' : 'applies to HTTP listeners only');
    }
  }
}

/** Limits of HTTP requests, meaningless on a TCP listener (maxConnections, headerTimeoutMs and drainTimeoutMs apply to both). */
const HTTP_ONLY_LIMITS = ['maxHeaderBytes', 'maxHeaderCount', 'maxRequestBodyBytes', 'idleTimeoutMs', 'requestTimeoutMs', 'bodyIdleTimeoutMs', 'bodyBufferBytes'] as const;

/** A day at most without a byte; ten endpoints at most per connection (each try waits for a connect timeout). */
const TCP_RANGES = {
  idleTimeoutMs: [1, 86_400_000],
  maxConnectAttempts: [1, 10],
} as const;

/**
 * Bounds of the listener limits that have them (0 always means the default; docs/limits.md): a head
 * smaller than 1 KiB breaks ordinary clients; the ceilings keep one connection's memory and a
 * timeout's reach within reason (the HTTP/2 side accepts 8 times the header limits, see h2-downstream.ts).
 */
const LIMIT_RANGES = {
  maxHeaderBytes: [1024, 1024 * 1024],
  maxHeaderCount: [1, 10_000],
  headerTimeoutMs: [1, 300_000],
  bodyIdleTimeoutMs: [1, 3_600_000],
  bodyBufferBytes: [1, 16 * 1024 * 1024],
} as const;
