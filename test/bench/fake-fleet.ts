// A process of simulated proxies for the fleet benchmark, each with its own gRPC connection (the
// benchmark measures on the control plane's side, where the ACKs arrive). `full`: the real DiscoveryClient (decode,
// validate, build the whole configuration, apply nothing). `light`: decode and ACK only, keeping the
// versions, so that a 2-core machine measures the control plane rather than the fleet's own work.
// Run by fleet-bench.ts: node fake-fleet.js <addresses,comma> <count> <id-prefix> <token> <full|light> [services offset [trafficMs routes]]
// With `services` S > 0, proxy i (counted from `offset` across the fleet) is a sidecar of `svc-<i % S>`;
// otherwise every proxy says service `bench`. With `trafficMs` > 0 (light proxies; traffic-summary-bench.ts)
// each sends a traffic summary of `routes` routes and a quarter as many clusters every trafficMs.
import { create } from '@bufbuild/protobuf';
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { DiscoveryRequestSchema, type DiscoveryRequest } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { DISCOVERY_STREAM_PATH, serializeRequest } from '../../proto/src/wire/service-definition.js';
import { KINDS } from '../../proto/src/model/kinds.js';
import { DiscoveryClient } from '../../data-plane/src/discovery/discovery-client.js';
import { trafficSummary } from '../../data-plane/src/metrics/traffic-summary.js';
import { encodeAck, frameMessage, MessageReader, readResponseVersions } from './grpc-frames.js';

export type FleetMessage =
  | { readonly type: 'memory'; readonly rss: number; readonly cpuMs: number }
  | { readonly type: 'started'; readonly count: number };

const [addressList, countText, prefix, token, mode, servicesText, offsetText, trafficMsText, routesText] = process.argv.slice(2);
const trafficMs = Number(trafficMsText ?? 0);
const summaryRoutes = Number(routesText ?? 0);
const services = Number(servicesText ?? 0);
const offset = Number(offsetText ?? 0);
const serviceOf = (i: number): string => (services > 0 ? `svc-${(offset + i) % services}` : 'bench');
const addresses = addressList!.split(',');
const count = Number(countText);
const send = (m: FleetMessage): void => void process.send?.(m);

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The protocol and nothing else: subscribe to everything, keep versions, ACK each response. It speaks
 * gRPC on a raw node:http2 stream (grpc-frames.ts): a grpc-js channel per simulated proxy cost the
 * fleet's processes more CPU than the control plane spent serving them, on the same 2 cores.
 */
class LightProxy implements Stoppable {
  private session: ClientHttp2Session | undefined;
  private stream: ClientHttp2Stream | undefined;
  private readonly versions = new Map<string, Map<string, string>>();
  private stopped = false;
  private traffic: NodeJS.Timeout | undefined;

  constructor(private readonly address: string, private readonly id: string, private readonly service: string) {
    this.connect();
    if (trafficMs > 0) {
      // Spread over the interval, as a fleet's timers are.
      this.traffic = setTimeout(() => (this.traffic = setInterval(() => this.send(SUMMARY), trafficMs)), Math.random() * trafficMs);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.traffic);
    this.stream?.close(http2.constants.NGHTTP2_CANCEL);
    this.session?.close();
  }

  private send(request: DiscoveryRequest): void {
    this.sendBytes(serializeRequest(request));
  }

  private sendBytes(message: Buffer): void {
    if (this.stream !== undefined && !this.stream.destroyed) this.stream.write(frameMessage(message));
  }

  private connect(): void {
    const session = (this.session = http2.connect(`http://${this.address}`));
    session.on('error', () => {});
    const stream = (this.stream = session.request(
      { ':method': 'POST', ':path': DISCOVERY_STREAM_PATH, 'content-type': 'application/grpc', te: 'trailers', authorization: `Bearer ${token}` },
      { endStream: false },
    ));
    const reader = new MessageReader((bytes) => {
      const r = readResponseVersions(bytes);
      let v = this.versions.get(r.type);
      if (v === undefined) this.versions.set(r.type, (v = new Map()));
      for (const res of r.resources) v.set(res.name, res.version);
      for (const name of r.removed) v.delete(name);
      this.sendBytes(encodeAck(r.type, r.nonce));
    });
    stream.on('data', (chunk: Buffer) => reader.push(chunk));
    stream.on('error', () => {});
    stream.on('close', () => {
      session.destroy();
      // Like a real proxy: come back after a jittered pause, declaring what it holds.
      if (!this.stopped) setTimeout(() => this.connect(), 200 + Math.random() * 800);
    });
    KINDS.forEach((type, i) =>
      this.send(create(DiscoveryRequestSchema, {
        ...(i === 0 ? { node: { id: this.id, service: this.service } } : {}),
        type,
        subscribe: ['*'],
        initialResourceVersions: Object.fromEntries(this.versions.get(type) ?? []),
      })),
    );
  }
}

/** One summary, as a proxy with `summaryRoutes` busy routes sends it: every status class and bucket used. */
const SUMMARY = create(DiscoveryRequestSchema, {
  type: '',
  traffic: trafficSummary([Array.from({ length: summaryRoutes }, (_, i) => ({
    route: `route-${i}`,
    cluster: `cluster-${i % Math.max(1, Math.floor(summaryRoutes / 4))}`,
    byClass: [1, 0, 900 + i, 30, 50, 7],
    latency: Array.from({ length: 17 }, (_, b) => (b * 37 + i) % 200),
  }))], trafficMs),
});

const clients: Stoppable[] = [];
const CONNECT_WAVE = 10;
for (let i = 0; i < count; i++) {
  const id = `${prefix}-${i}`;
  if (mode === 'light') {
    clients.push(new LightProxy(addresses[(offset + i) % addresses.length]!, id, serviceOf(i)));
    if (i % CONNECT_WAVE === CONNECT_WAVE - 1) await new Promise((r) => setTimeout(r, 20));
    continue;
  }
  const client = new DiscoveryClient({
    addresses: addresses.map((_, k) => addresses[(offset + i + k) % addresses.length]!),
    node: { id, service: serviceOf(i) },
    token: token!,
    backoff: { initialMs: 200, maxMs: 5000 },
    apply: async () => undefined,
  });
  clients.push(client);
  await client.start();
  // Connect in waves so the control plane is not hit by every handshake in the same tick.
  if (i % CONNECT_WAVE === CONNECT_WAVE - 1) await new Promise((r) => setTimeout(r, 20));
}
send({ type: 'started', count });
// Never outlive the benchmark.
process.on('disconnect', () => process.exit(0));
process.on('message', (m: { type: string }) => {
  if (m.type === 'memory') {
    const cpu = process.cpuUsage();
    send({ type: 'memory', rss: process.memoryUsage().rss, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  if (m.type === 'stop') void Promise.all(clients.map((c) => c.stop())).then(() => process.exit(0));
});
