// The two messages of the standard gRPC health service (grpc.health.v1, grpc/health/v1/health.proto),
// encoded by hand: HealthCheckRequest {string service = 1} and HealthCheckResponse {ServingStatus
// status = 1}. The proxies' probe writes requests and reads responses; the control plane's discovery
// port reads requests and writes responses. By hand rather than generated: the upstream .proto's
// names (service `Health`) do not pass this repo's buf lint, and two one-field messages need only
// varints and one length-delimited string.

export const GRPC_HEALTH_SERVICE = 'grpc.health.v1.Health';
export const GRPC_HEALTH_CHECK_PATH = `/${GRPC_HEALTH_SERVICE}/Check`;

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export enum ServingStatus {
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  /** Watch only: the service named is not known to the server. */
  SERVICE_UNKNOWN = 3,
}

/** The name a probe reason uses: `SERVING`, `NOT_SERVING`, or the number of a status this code does not know. */
export function servingStatusName(status: number): string {
  return ServingStatus[status] ?? `status ${status}`;
}

/** Protobuf wire types (the low three bits of a field's tag). */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export function encodeHealthCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([varint((1 << 3) | LENGTH_DELIMITED), varint(bytes.length), bytes]);
}

/** The `service` of a HealthCheckRequest; unknown fields are skipped, as protobuf readers must. Throws on bytes that are not protobuf. */
export function decodeHealthCheckRequest(bytes: Uint8Array): string {
  let service = '';
  readFields(bytes, (fieldNo, wireType, value) => {
    if (fieldNo === 1 && wireType === LENGTH_DELIMITED) service = Buffer.from(value as Uint8Array).toString('utf8');
  });
  return service;
}

export function encodeHealthCheckResponse(status: ServingStatus): Buffer {
  return status === ServingStatus.UNKNOWN ? Buffer.alloc(0) : Buffer.concat([varint((1 << 3) | VARINT), varint(status)]);
}

/** The `status` of a HealthCheckResponse (UNKNOWN when absent). Throws on bytes that are not protobuf. */
export function decodeHealthCheckResponse(bytes: Uint8Array): number {
  let status: number = ServingStatus.UNKNOWN;
  readFields(bytes, (fieldNo, wireType, value) => {
    // An enum is an int32 on the wire: a negative one takes ten bytes and is read here modulo 2^32.
    if (fieldNo === 1 && wireType === VARINT) status = Number(BigInt.asIntN(32, value as bigint));
  });
  return status;
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let v = BigInt(value);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Buffer.from(out);
}

/** Calls `field` with each field's number, wire type and value (a bigint for varints, the bytes otherwise). */
function readFields(bytes: Uint8Array, field: (fieldNo: number, wireType: number, value: bigint | Uint8Array) => void): void {
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= bytes.length) throw new Error('truncated varint');
      const b = bytes[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('varint longer than ten bytes');
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) throw new Error('truncated field');
    const value = bytes.subarray(pos, pos + n);
    pos += n;
    return value;
  };
  while (pos < bytes.length) {
    const tag = readVarint();
    const fieldNo = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (wireType === VARINT) field(fieldNo, wireType, readVarint());
    else if (wireType === LENGTH_DELIMITED) field(fieldNo, wireType, take(Number(readVarint())));
    else if (wireType === FIXED64) field(fieldNo, wireType, take(8));
    else if (wireType === FIXED32) field(fieldNo, wireType, take(4));
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}
