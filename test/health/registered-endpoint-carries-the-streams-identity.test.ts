// A sidecar's self-registered endpoint carries the SPIFFE ID its discovery stream's workload
// credential proves (Endpoint.identity), so other sidecars can reach it with mutual TLS and check
// that certificate; a stream opened with an admin API token proves no workload and registers without
// one. Real control plane, real bootstrap tokens from its API, real gRPC streams.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DiscoveryResponse } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { fromWireResource } from '../../proto/src/wire/wire-resource.js';
import type { Endpoints } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { cluster, RawStream } from '../discovery/support/discovery-fixture.js';
import { createToken, discoveryAddress, startIdentityApi } from '../identity/support/identity-fixture.js';
import { TEST_TOKEN, type TestApi } from '../support/api-harness.js';
import { until } from '../support/until.js';

let api: TestApi;

before(async () => {
  api = await startIdentityApi();
  const res = await api.apply([cluster('orders', 18081), cluster('legacy', 18082)]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

after(async () => {
  await api?.stop();
});

/** The endpoints of `clusterName` in the latest Endpoints response that carries it. */
function endpointsOf(responses: readonly DiscoveryResponse[], clusterName: string): Endpoints | undefined {
  for (const r of [...responses].reverse()) {
    const wire = r.resources.find((w) => w.name === clusterName);
    if (r.type === 'Endpoints' && wire !== undefined) return fromWireResource(wire)?.spec as Endpoints;
  }
  return undefined;
}

/** Opens a stream that registers `address:port` for `service` and follows Endpoints, ACKing each response. */
function register(token: string, service: string, address: string, port: number): RawStream {
  const stream = new RawStream(discoveryAddress(api), token);
  stream.send({ node: { id: `${service}-1`, service, selfEndpoint: { address, port } }, type: 'Endpoints', subscribe: ['*'] });
  return stream;
}

/** The endpoint at `address` once it appears in the Endpoints of `clusterName`; every response is ACKed. */
async function registeredEndpoint(stream: RawStream, clusterName: string, address: string): Promise<{ identity: string }> {
  let acked = 0;
  let found: { identity: string } | undefined;
  await until(`${address} in the Endpoints of ${clusterName}`, () => {
    for (; acked < stream.responses.length; acked++) stream.ack(stream.responses[acked]!);
    found = endpointsOf(stream.responses, clusterName)?.endpoints.find((e) => e.address === address);
    return found !== undefined;
  }, 8_000);
  return found!;
}

test('a sidecar registered with a bootstrap token for orders carries spiffe://sluice.local/svc/orders', async () => {
  const token = await createToken(api, 'orders');
  const stream = register(token, 'orders', '10.9.0.1', 8080);
  try {
    const endpoint = await registeredEndpoint(stream, 'orders', '10.9.0.1');
    assert.equal(endpoint.identity, 'spiffe://sluice.local/svc/orders');
  } finally {
    stream.close();
  }
});

test('a sidecar registered on an admin-token stream carries no identity', async () => {
  const stream = register(TEST_TOKEN, 'legacy', '10.9.0.2', 8080);
  try {
    const endpoint = await registeredEndpoint(stream, 'legacy', '10.9.0.2');
    assert.equal(endpoint.identity, '');
  } finally {
    stream.close();
  }
});
