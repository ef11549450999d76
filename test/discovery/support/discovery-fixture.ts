// Control-plane replicas with discovery on 127.0.0.1:0, over a real etcd, plus proxies: the real
// DiscoveryClient, and a raw stream for tests that must count or craft protocol messages.
import { EtcdStore } from '../../../control-plane/src/store/etcd-store.js';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import { DiscoveryRequestSchema, type DiscoveryRequest, type DiscoveryResponse } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { DISCOVERY_STREAM_PATH, deserializeResponse, serializeRequest } from '../../../proto/src/wire/service-definition.js';
import { discoveryModule, type DiscoveryModule, type DiscoveryModuleOptions } from '../../../control-plane/src/discovery/discovery-module.js';
import { createLogger } from '../../../control-plane/src/logger.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import type { ResourceStore } from '../../../control-plane/src/store/store.js';
import { DiscoveryClient, type DiscoveryClientOptions } from '../../../data-plane/src/discovery/discovery-client.js';
import { EtcdCluster } from '../../support/etcd-cluster.js';
import { TEST_TOKEN, TestApi } from '../../support/api-harness.js';
import { until } from '../../support/until.js';
import type { WorkloadAuthenticator } from '../../../control-plane/src/identity/workload-authenticator.js';
import type { ApiTokenEntry } from '../../../control-plane/src/api/api-tokens.js';

export { TEST_TOKEN };

export const cluster = (name: string, port = 18080): Record<string, unknown> => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port }] });
export const route = (name: string, clusterName: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: 'Route',
  name,
  hosts: ['disco.local'],
  match: { pathPrefix: `/${name}/` },
  forward: { cluster: clusterName },
  ...extra,
});

/** Opens the etcd store the way the control plane does. */
export async function openEtcdStore(endpoints: readonly string[]): Promise<ResourceStore> {
  return new EtcdStore({ endpoints: [...endpoints] });
}

export interface Replica {
  readonly api: TestApi;
  readonly discovery: DiscoveryModule;
  /** `127.0.0.1:port` of the discovery server. */
  readonly address: string;
  /** The store this replica writes through (for multi-op transactions the API does not offer). */
  readonly store: ResourceStore;
  readonly logs: string[];
  stop(): Promise<void>;
}

/**
 * One control plane with discovery on an ephemeral port, on its own connection to `etcd` (or on a
 * store the test made).
 */
export async function startReplica(source: EtcdCluster | ResourceStore, options: {
  debounceMs?: number;
  port?: number;
  server?: DiscoveryModuleOptions['server'];
  /** Workload credentials the discovery server accepts besides admin tokens. */
  authenticator?: WorkloadAuthenticator;
  /** Named admin API tokens with roles, beside TEST_TOKEN. */
  tokens?: readonly ApiTokenEntry[];
} = {}): Promise<Replica> {
  let discovery: DiscoveryModule | undefined;
  const store = source instanceof EtcdCluster ? await openEtcdStore(source.endpoints) : source;
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const api = await TestApi.start({ kind: 'embedded' }, {
    store,
    log: createLogger({ level: 'debug', destination }),
    ...(options.tokens ? { tokens: options.tokens } : {}),
    modules: [discoveryModule({
      listen: { host: '127.0.0.1', port: options.port ?? 0 },
      debounceMs: options.debounceMs ?? 20,
      ...(options.server ? { server: options.server } : {}),
      ...(options.authenticator ? { authenticator: options.authenticator } : {}),
    }, (m) => (discovery = m))],
  });
  const d = discovery!;
  return { api, discovery: d, address: d.address, store, logs, stop: () => api.stop() };
}

export interface Applied {
  readonly revision: number;
  readonly set: ResourceSet;
}

export interface TestProxy {
  readonly client: DiscoveryClient;
  readonly applied: Applied[];
  readonly responses: DiscoveryResponse[];
  readonly rejected: string[];
  stop(): Promise<void>;
}

/** A DiscoveryClient that records every apply, response and rejection. */
export async function startProxy(addresses: readonly string[], options: Partial<DiscoveryClientOptions> & { nodeId?: string } = {}): Promise<TestProxy> {
  const applied: Applied[] = [];
  const responses: DiscoveryResponse[] = [];
  const rejected: string[] = [];
  const { nodeId, apply, ...rest } = options;
  const client = new DiscoveryClient({
    addresses,
    node: { id: nodeId ?? 'proxy-1', service: 'test' },
    token: TEST_TOKEN,
    backoff: { initialMs: 50, maxMs: 500 },
    ...rest,
    apply: async (set, revision) => {
      await apply?.(set, revision);
      applied.push({ revision, set });
    },
  });
  client.on('response', (r) => responses.push(r));
  client.on('rejected', (_rev, _kind, message) => rejected.push(message));
  await client.start();
  return { client, applied, responses, rejected, stop: () => client.stop() };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A bare discovery stream: send exactly what a test says, see exactly what the server sends. */
export class RawStream {
  readonly responses: DiscoveryResponse[] = [];
  readonly status: Promise<grpc.StatusObject>;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;

  constructor(address: string, token: string | null = TEST_TOKEN) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const metadata = new grpc.Metadata();
    if (token !== null) metadata.set('authorization', `Bearer ${token}`);
    this.call = this.client.makeBidiStreamRequest(DISCOVERY_STREAM_PATH, serializeRequest, deserializeResponse, metadata, {});
    this.call.on('data', (r: DiscoveryResponse) => this.responses.push(r));
    this.status = new Promise((resolve) => this.call.on('status', resolve));
    this.call.on('error', () => undefined);
  }

  send(request: MessageInitShape<typeof DiscoveryRequestSchema>): void {
    this.call.write(create(DiscoveryRequestSchema, request));
  }

  ack(response: DiscoveryResponse): void {
    this.send({ type: response.type, responseNonce: response.nonce });
  }

  nack(response: DiscoveryResponse, message: string, rejectedResources: string[] = []): void {
    this.send({ type: response.type, responseNonce: response.nonce, errorDetail: { code: 'TEST', message, rejectedResources } });
  }

  /** Waits for the response number `index` (0-based). */
  async response(index: number, timeoutMs = 5000): Promise<DiscoveryResponse> {
    await until(`discovery response #${index}`, () => this.responses.length > index, timeoutMs);
    return this.responses[index]!;
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/** A single-member etcd and one replica on it. */
export async function startMesh(options: { debounceMs?: number } = {}): Promise<{ etcd: EtcdCluster; cp: Replica; stop(): Promise<void> }> {
  const etcd = await EtcdCluster.start();
  const cp = await startReplica(etcd, options);
  return {
    etcd,
    cp,
    stop: async () => {
      await cp.stop();
      await etcd.stop();
    },
  };
}
