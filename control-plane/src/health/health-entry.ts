// What Sluice keeps in etcd about endpoint health, outside the resources' /sluice/v1/:
//   /sluice/health/<cluster>/<address>:<port>/<source>  one writer's verdict on one endpoint
//   /sluice/registrations/<service>/<node-id>           a sidecar's own endpoint
// Values are JSON (readable with `etcdctl get`), each under its writer's lease.
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { formatHostPort } from '../../../proto/src/model/host-port.js';
import { parseSpiffeId } from '../../../proto/src/identity/spiffe-id.js';

/** The source name of the elected leader's own verdicts in /sluice/health/<cluster>/<endpoint>/<source>. */
export const CHECKER_SOURCE = 'checker';

export const HEALTH_PREFIX = '/sluice/health/';
export const REGISTRATION_PREFIX = '/sluice/registrations/';

/** One writer's verdict on one endpoint: a control-plane replica's aggregate, or the leader's check. */
export interface HealthEntry {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  readonly health: Health;
  /** Who decided: a replica id (its proxies' majority), or e.g. `checker` (the elected leader's checks). */
  readonly source: string;
  /** The replica that wrote it. */
  readonly replica: string;
  /** When this verdict was reached (ISO time). */
  readonly since: string;
}

/** A sidecar's endpoint, registered while its discovery stream is open (and one TTL after). */
export interface Registration {
  readonly service: string;
  readonly nodeId: string;
  readonly address: string;
  readonly port: number;
  readonly zone: string;
  /** The SPIFFE ID of the workload credential that registered it; absent for an admin token. */
  readonly identity?: string;
  /** UNKNOWN while serving; DRAINING once the sidecar announced its graceful stop. */
  readonly health: Health;
  readonly replica: string;
  readonly since: string;
}

/** `10.0.0.1:80`, `[::1]:80`: an endpoint's identity within its cluster. */
export function endpointId(address: string, port: number): string {
  return formatHostPort(address, port);
}

export function healthKey(cluster: string, address: string, port: number, source: string): string {
  return `${HEALTH_PREFIX}${cluster}/${endpointId(address, port)}/${source}`;
}

export function registrationKey(service: string, nodeId: string): string {
  return `${REGISTRATION_PREFIX}${service}/${nodeId}`;
}

export function healthName(h: Health): string {
  return Health[h] ?? 'UNKNOWN';
}

function parseHealth(v: unknown): Health | undefined {
  return typeof v === 'string' && v in Health && Number.isNaN(Number(v)) ? Health[v as keyof typeof Health] : undefined;
}

export function encodeHealthEntry(e: HealthEntry): string {
  return JSON.stringify({ cluster: e.cluster, address: e.address, port: e.port, health: healthName(e.health), source: e.source, replica: e.replica, since: e.since });
}

export function encodeRegistration(r: Registration): string {
  return JSON.stringify({
    service: r.service, nodeId: r.nodeId, address: r.address, port: r.port, zone: r.zone,
    ...(r.identity === undefined ? {} : { identity: r.identity }), health: healthName(r.health), replica: r.replica, since: r.since,
  });
}

/** A stored value read back; undefined (and the caller logs it) when it is not one of ours. */
export function decodeHealthEntry(json: string): HealthEntry | undefined {
  const o = parseObject(json);
  const health = parseHealth(o?.['health']);
  if (o === undefined || health === undefined || !isEndpoint(o) || typeof o['cluster'] !== 'string' || typeof o['source'] !== 'string') return undefined;
  return { cluster: o['cluster'], address: o['address'] as string, port: o['port'] as number, health, source: o['source'], replica: String(o['replica'] ?? ''), since: String(o['since'] ?? '') };
}

export function decodeRegistration(json: string): Registration | undefined {
  const o = parseObject(json);
  const health = parseHealth(o?.['health']);
  if (o === undefined || health === undefined || !isEndpoint(o) || typeof o['service'] !== 'string' || typeof o['nodeId'] !== 'string') return undefined;
  return {
    service: o['service'], nodeId: o['nodeId'], address: o['address'] as string, port: o['port'] as number, zone: String(o['zone'] ?? ''), health,
    // Anything but a SPIFFE ID would make every proxy reject the cluster's Endpoints: left out.
    ...(typeof o['identity'] === 'string' && parseSpiffeId(o['identity']) !== undefined ? { identity: o['identity'] } : {}),
    replica: String(o['replica'] ?? ''), since: String(o['since'] ?? ''),
  };
}

function parseObject(json: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isEndpoint(o: Record<string, unknown>): boolean {
  return typeof o['address'] === 'string' && o['address'] !== '' && Number.isInteger(o['port']) && (o['port'] as number) > 0 && (o['port'] as number) < 65536;
}
