// gRPC load through the proxies (@grpc/grpc-js, cleartext h2 to the proxy, h2c on to the echo server
// of test/data-plane/helpers/grpc-echo.ts): bidirectional streams that live a few seconds each (one
// message every 100 ms, every reply checked), and paced unary calls. A stream is good when every
// message came back and it ended with status OK. grpc-js itself resends streams a server refused
// unprocessed (its transparent retry); those are not visible here.
import * as grpc from '@grpc/grpc-js';
import { json, type Msg } from '../../data-plane/helpers/grpc-echo.js';
import { LaneCounters, paced, type Attempt } from './lane-counters.js';

export interface GrpcTarget {
  readonly address: string;
  readonly port: () => number | undefined;
  readonly authority: string;
}

function client(target: GrpcTarget, port: number): grpc.Client {
  return new grpc.Client(`${target.address}:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': target.authority });
}

const channelz = grpc.getChannelzHandlers();

/** Calls a channelz handler in process (they answer synchronously); undefined when it has no such entry. */
function ask<T>(handler: (call: never, callback: (err: unknown, value?: T) => void) => void, request: object): T | undefined {
  let out: T | undefined;
  handler({ request } as never, (err, value) => (out = err ? undefined : value));
  return out;
}

/**
 * The local port of the client's connection now, from grpc-js's channelz (its only public view of the
 * socket): which proxy worker holds the connection. Undefined while not connected.
 */
export function grpcLocalPort(c: grpc.Client): number | undefined {
  type Ref = { subchannel_id?: number | string; socket_id?: number | string };
  const id = c.getChannel().getChannelzRef().id;
  const channel = ask<{ channel: { subchannel_ref: Ref[] } }>(channelz.GetChannel as never, { channel_id: String(id) });
  for (const sub of channel?.channel.subchannel_ref ?? []) {
    const subchannel = ask<{ subchannel: { socket_ref: Ref[] } }>(channelz.GetSubchannel as never, { subchannel_id: String(sub.subchannel_id) });
    for (const ref of subchannel?.subchannel.socket_ref ?? []) {
      const socket = ask<{ socket: { local?: { tcpip_address?: { port?: number } } } }>(channelz.GetSocket as never, { socket_id: String(ref.socket_id) });
      const port = socket?.socket.local?.tcpip_address?.port;
      if (port !== undefined && port > 0) return port;
    }
  }
  return undefined;
}

interface CallEnd {
  readonly problem: string | undefined;
  /** The connection's local port when the call started or got its response headers. */
  readonly localPort: number | undefined;
}

function bidiSession(c: grpc.Client, messages: number, gapMs: number): Promise<CallEnd> {
  return new Promise((done) => {
    let localPort = grpcLocalPort(c);
    const resolve = (problem: string | undefined): void => done({ problem, localPort });
    const call = c.makeBidiStreamRequest('/test.Echo/Bidi', json.serialize, json.deserialize as (b: Buffer) => Msg, new grpc.Metadata(), { deadline: Date.now() + messages * gapMs + 30_000 });
    call.once('metadata', () => (localPort = grpcLocalPort(c) ?? localPort));
    let sent = 0;
    let got = 0;
    let wrong: string | undefined;
    call.on('data', (m: Msg) => {
      if (m.n !== got + 1) wrong ??= `reply ${got} was ${m.n}`;
      got++;
    });
    call.on('error', () => {}); // the status says it
    call.on('status', (s: grpc.StatusObject) => {
      clearInterval(timer);
      if (s.code !== grpc.status.OK) resolve(`bidi stream ended ${grpc.status[s.code]}: ${s.details}`);
      else if (wrong !== undefined) resolve(wrong);
      else if (got !== messages) resolve(`bidi stream: ${got} of ${messages} replies`);
      else resolve(undefined);
    });
    const timer = setInterval(() => {
      if (sent === messages) {
        clearInterval(timer);
        call.end();
        return;
      }
      call.write({ n: sent++ });
    }, gapMs);
  });
}

function unary(c: grpc.Client, n: number): Promise<CallEnd> {
  return new Promise((done) => {
    let localPort = grpcLocalPort(c);
    const resolve = (problem: string | undefined): void => done({ problem, localPort });
    const call = c.makeUnaryRequest('/test.Echo/Unary', json.serialize, json.deserialize as (b: Buffer) => Msg, { n }, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err, m) => {
      if (err) resolve(`unary ${grpc.status[err.code]}: ${err.details}`);
      else resolve(m?.n === n * 2 ? undefined : `unary ${n} answered ${m?.n}`);
    });
    call.once('metadata', () => (localPort = grpcLocalPort(c) ?? localPort));
  });
}

/** `streams` bidi loops (sessions of `sessionMs`), plus unary calls at `unaryPerSecond`. */
export async function runGrpcLane(streamsLane: LaneCounters, unaryLane: LaneCounters, target: GrpcTarget, options: { streams: number; sessionMs: number; unaryPerSecond: number; running: () => boolean }): Promise<void> {
  let c: grpc.Client | undefined;
  const get = (port: number): grpc.Client => (c ??= client(target, port));
  const count = (lane: LaneCounters, startedAt: number, { problem, localPort }: CallEnd): void => {
    const attempt: Attempt = { startedAt, localPort };
    if (problem === undefined) lane.succeeded(attempt);
    else lane.fail(`grpc ${problem}`, /UNAVAILABLE|CANCELLED|INTERNAL/.test(problem), attempt);
  };
  const streamLoop = async (): Promise<void> => {
    while (options.running()) {
      const port = target.port();
      if (port === undefined) return;
      streamsLane.started++;
      const startedAt = Date.now();
      count(streamsLane, startedAt, await bidiSession(get(port), Math.max(1, Math.round(options.sessionMs / 100)), 100));
    }
  };
  let n = 1;
  const unaryLoop = paced(options.unaryPerSecond, options.running, async () => {
    const port = target.port();
    if (port === undefined) return;
    unaryLane.started++;
    const startedAt = Date.now();
    count(unaryLane, startedAt, await unary(get(port), n++));
  });
  await Promise.all([...Array.from({ length: options.streams }, streamLoop), unaryLoop]);
  c?.close();
}
