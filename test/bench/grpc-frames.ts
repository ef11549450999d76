// gRPC's length-prefixed messages (a flag byte, a 4-byte big-endian length, the message) on a raw
// HTTP/2 stream, for simulated proxies that speak the discovery protocol without a gRPC library's
// per-channel machinery (resolver, load balancer, call stack): the fleet benchmarks then measure the
// control plane rather than the simulator.
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** One message framed for the wire, uncompressed. */
export function frameMessage(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

/** Cuts a stream of DATA chunks into whole messages, however the chunks split them. */
export class MessageReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onMessage: (message: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buf.length >= 5) {
      if (buf[0] !== 0) throw new Error('compressed gRPC message: the simulated proxy never asks for compression');
      const end = 5 + buf.readUInt32BE(1);
      if (buf.length < end) break;
      this.onMessage(buf.subarray(5, end));
      buf = buf.subarray(end);
    }
    this.pending = buf;
  }
}

/** What a simulated proxy keeps of a DiscoveryResponse: no resource bodies. */
export interface ResponseVersions {
  type: string;
  nonce: string;
  readonly resources: { name: string; version: string }[];
  readonly removed: string[];
}

/**
 * Reads a DiscoveryResponse's type, nonce, resource names and versions and removals, skipping every
 * resource body: the simulator applies nothing, and bufbuild's reflective decoding of whole bodies
 * was most of its CPU.
 */
export function readResponseVersions(bytes: Uint8Array): ResponseVersions {
  const out: ResponseVersions = { type: '', nonce: '', resources: [], removed: [] };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) out.type = reader.string();
    else if (field === 2) out.resources.push(readNameAndVersion(reader.bytes()));
    else if (field === 3) out.removed.push(reader.string());
    else if (field === 4) out.nonce = reader.string();
    else reader.skip(wireType);
  }
  return out;
}

function readNameAndVersion(bytes: Uint8Array): { name: string; version: string } {
  const reader = new BinaryReader(bytes);
  let name = '';
  let version = '';
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) name = reader.string();
    else if (field === 2) version = reader.string();
    else reader.skip(wireType);
  }
  return { name, version };
}

/** An ACK (DiscoveryRequest fields 2 `type` and 6 `response_nonce`), written without reflection. */
export function encodeAck(type: string, nonce: string): Buffer {
  const bytes = new BinaryWriter().tag(2, WireType.LengthDelimited).string(type).tag(6, WireType.LengthDelimited).string(nonce).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
