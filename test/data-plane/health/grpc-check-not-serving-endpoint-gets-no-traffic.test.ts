// Through a real proxy process: of two gRPC endpoints that both answer calls, the one whose health
// service says NOT_SERVING is taken out by the gRPC health check and gets no more calls; when it says
// SERVING again it is used again. Outlier detection cannot be what acts: both answer every call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { json } from '../helpers/grpc-echo.js';
import { NOT_SERVING, SERVING, startGrpcHealthUpstream } from '../helpers/grpc-health-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';
import { catchAllRouteYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { until } from '../../support/until.js';

test('a NOT_SERVING endpoint gets no calls until it is SERVING again', { timeout: 60_000 }, async (t) => {
  const good = await startGrpcHealthUpstream('good', SERVING);
  const bad = await startGrpcHealthUpstream('bad', NOT_SERVING);
  t.after(() => { good.close(); bad.close(); });
  const proxy = await startProxyProcess(yamlDocs(
    listenerYaml('main'),
    catchAllRouteYaml('all', 'greeter'),
    `kind: Cluster
name: greeter
protocol: H2C
endpoints: [{address: 127.0.0.1, port: ${good.port}}, {address: 127.0.0.1, port: ${bad.port}}]
healthCheck: {grpc: {serviceName: ""}, intervalMs: 300, timeoutMs: 300, unhealthyThreshold: 2, healthyThreshold: 1}`,
  ), ['--workers', '1', '--admin-listen', 'off']);
  t.after(() => proxy.stop());
  const client = new grpc.Client(`127.0.0.1:${proxy.ports.get('main')!}`, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const call = () => new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest('/test.Echo/Unary', json.serialize, json.deserialize, { n: 1 }, (err, answer) => (err ? reject(err) : resolve((answer as { text: string }).text)));
  });
  const answeredBy = async (calls: number) => {
    const names: string[] = [];
    for (let i = 0; i < calls; i++) names.push(await call());
    return names;
  };

  await until(() => `only good answers (bad health checks: ${bad.checks.length})`, async () => (await answeredBy(10)).every((n) => n === 'good'), 30_000);
  const badCalls = bad.echoes;
  assert.deepEqual(new Set(await answeredBy(20)), new Set(['good']));
  assert.equal(bad.echoes, badCalls, 'the NOT_SERVING endpoint got no calls');
  assert.ok(bad.checks.length > 0 && bad.checks.every((c) => c.service === ''), 'it was asked about the server as a whole');

  bad.status = SERVING;
  await until('bad answers again', async () => (await answeredBy(10)).includes('bad'), 30_000);
});
