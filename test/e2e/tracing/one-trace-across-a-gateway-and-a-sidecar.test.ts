// Tracing end to end, as an operator runs it: `sluice control-plane` on a throwaway etcd, a gateway
// proxy (service edge, two workers) forwarding to a sidecar proxy (service app) in front of the
// application, both exporting OTLP to a receiver that decodes with OpenTelemetry's own generated
// message classes. A request yields four spans in one trace: the gateway's server span, its client
// span, the sidecar's server span (child of the gateway's client span) and its client span, whose id
// the application receives in `traceparent`. An incoming traceparent is continued, B3 is accepted, a
// retry is a second client span, the access log carries the trace id, and a Telemetry resource
// changes the sampling at runtime: sampled-out requests are not recorded but still propagate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { request } from 'undici';
import { EtcdCluster } from '../../support/etcd-cluster.js';
import { freePort } from '../../support/free-port.js';
import { runSluice, SluiceProcess } from '../../support/run-sluice.js';
import { until } from '../../support/until.js';
import { tokenDir } from '../../support/token-file.js';
import { httpAnswer } from '../../support/http-answer.js';
import { OtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver.js';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const SERVER = 2;
const CLIENT = 3;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

test('one trace across a gateway and a sidecar: parent links, continued context, B3, retries, runtime sampling', { timeout: 90_000 }, async (t) => {
  const { dir, token, tokenFile } = tokenDir('sluice-tracing-e2e-');
  const etcd = await EtcdCluster.start(1);
  const receiver = await OtlpReceiver.start();
  // The application: remembers the trace headers of each request; /flaky fails every other call.
  const seen: IncomingHttpHeaders[] = [];
  let flaky = 0;
  const app = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/flaky' && flaky++ % 2 === 0) return void res.writeHead(503).end('try again');
    res.end('app answered');
  });
  t.after(async () => {
    app.close();
    await receiver.close();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const appPort = await listen(app);
  const [apiPort, discoveryPort, edgeAdmin, appAdmin, edgePort, sidecarPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const api = `http://127.0.0.1:${apiPort}`;
  const accessLog = join(dir, 'edge-access.log');

  const cp = new SluiceProcess(['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--token-file', tokenFile]);
  t.after(() => cp.stop());
  await until('the control plane', async () => ((await httpAnswer(apiPort, '/readyz'))?.status === 200 ? true : undefined));
  const apply = async (yaml: string): Promise<void> => {
    const r = await runSluice(['ctl', '--server', api, '--token', token, 'apply', '-f', '-'], { stdin: yaml });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  };
  const sampling = (percentage: number): string => `kind: Telemetry
name: mesh-default
tracing: {samplingPercentage: ${percentage}}
`;
  await apply(`${sampling(100)}---
kind: Cluster
name: app-sidecar
endpoints: [{address: 127.0.0.1, port: ${sidecarPort}}]
---
kind: Cluster
name: app-local
endpoints: [{address: 127.0.0.1, port: ${appPort}}]
---
kind: Listener
name: edge-in
address: 127.0.0.1
port: ${edgePort}
selector: {service: edge}
---
kind: Listener
name: app-in
address: 127.0.0.1
port: ${sidecarPort}
selector: {service: app}
---
kind: Route
name: to-app
listeners: [edge-in]
hosts: ["app.local"]
match: {pathPrefix: /}
forward: {cluster: app-sidecar}
---
kind: Route
name: app
listeners: [app-in]
hosts: ["app.local"]
match: {pathPrefix: /}
forward: {cluster: app-local}
retry: {attempts: 2, on: [SERVER_ERROR]}
`);
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' };
  const proxy = (service: string, admin: number, workers: string, extra: string[] = []): SluiceProcess => new SluiceProcess([
    'proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', `${service}-1`, '--service', service, '--namespace', 'shop',
    '--token-file', tokenFile, '--workers', workers, '--admin-listen', `127.0.0.1:${admin}`, '--state-dir', join(dir, `state-${service}`), ...extra,
  ], otel);
  const edge = proxy('edge', edgeAdmin, '2', ['--access-log', accessLog]);
  t.after(() => edge.stop());
  const sidecar = proxy('app', appAdmin, '1');
  t.after(() => sidecar.stop());
  await Promise.all([edge.waitFor(/sluice proxy: ready/), sidecar.waitFor(/sluice proxy: ready/)]);

  const call = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number; traceparent: string }> => {
    const before = seen.length;
    const res = await request(`http://127.0.0.1:${edgePort}${path}`, { headers: { host: 'app.local', ...headers } });
    await res.body.text();
    const last = seen[seen.length - 1];
    return { status: res.statusCode, traceparent: seen.length > before ? String(last?.['traceparent'] ?? '') : '' };
  };
  await until('traffic through both proxies', async () => ((await call('/warm')).status === 200 ? true : undefined), 20_000);
  const spansOf = (traceId: string, count: number): Promise<ReceivedSpan[]> =>
    until(`${count} spans of trace ${traceId}`, () => (receiver.trace(traceId).length >= count ? receiver.trace(traceId) : undefined), 10_000);

  // 1. An incoming, sampled traceparent is continued: one trace, four spans, each linked to the one before.
  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpan = '00f067aa0ba902b7';
  const continued = await call('/orders?token=secret', { traceparent: `00-${callerTrace}-${callerSpan}-01`, tracestate: 'vendor=abc' });
  assert.equal(continued.status, 200);
  const m = TRACEPARENT.exec(continued.traceparent);
  assert.ok(m !== null, `the application received a traceparent: "${continued.traceparent}"`);
  assert.equal(m[1], callerTrace, 'the caller\'s trace id reaches the application');
  assert.equal(m[3], '01');
  assert.equal(seen[seen.length - 1]!['tracestate'], 'vendor=abc', 'tracestate is passed on');
  const spans = await spansOf(callerTrace, 4);
  assert.deepEqual(receiver.errors, []);
  const one = (service: string, kind: number): ReceivedSpan => {
    const found = spans.filter((s) => s.service === service && s.kind === kind);
    assert.equal(found.length, 1, `one ${kind === SERVER ? 'server' : 'client'} span of ${service}: ${JSON.stringify(spans.map((s) => [s.service, s.kind, s.name]))}`);
    return found[0]!;
  };
  const edgeServer = one('edge', SERVER);
  const edgeClient = one('edge', CLIENT);
  const appServer = one('app', SERVER);
  const appClient = one('app', CLIENT);
  assert.equal(edgeServer.parentSpanId, callerSpan, 'the gateway\'s server span is the caller\'s child');
  assert.equal(edgeClient.parentSpanId, edgeServer.spanId);
  assert.equal(appServer.parentSpanId, edgeClient.spanId, 'the sidecar continues the gateway\'s client span');
  assert.equal(appClient.parentSpanId, appServer.spanId);
  assert.equal(m[2], appClient.spanId, 'the application\'s parent is the sidecar\'s client span');
  // Semantic conventions and the proxy's own attributes.
  assert.equal(edgeServer.name, 'GET to-app');
  assert.equal(edgeServer.attributes['http.request.method'], 'GET');
  assert.equal(edgeServer.attributes['url.path'], '/orders');
  assert.equal(edgeServer.attributes['url.query'], 'token=[redacted]', 'secrets stay out of spans as out of logs');
  assert.equal(edgeServer.attributes['http.response.status_code'], 200);
  assert.equal(edgeServer.attributes['sluice.route'], 'to-app');
  assert.equal(edgeServer.attributes['sluice.cluster'], 'app-sidecar');
  assert.equal(edgeClient.attributes['sluice.endpoint'], `127.0.0.1:${sidecarPort}`);
  assert.equal(edgeClient.attributes['server.port'], sidecarPort);
  assert.equal(appClient.attributes['http.response.status_code'], 200);
  for (const s of spans) assert.ok(s.endNs >= s.startNs && s.startNs > 0n, `${s.service} ${s.name} has a start and an end`);
  assert.ok(edgeServer.startNs <= appServer.startNs && appServer.endNs <= edgeServer.endNs + 5_000_000n, 'the sidecar\'s span lies within the gateway\'s');

  // 2. No incoming context: a new trace, rooted at the gateway.
  const fresh = await call('/new');
  const freshTrace = TRACEPARENT.exec(fresh.traceparent)![1]!;
  assert.notEqual(freshTrace, callerTrace);
  const freshSpans = await spansOf(freshTrace, 4);
  assert.equal(freshSpans.find((s) => s.service === 'edge' && s.kind === SERVER)!.parentSpanId, '', 'the gateway\'s span is the root');

  // 3. B3 on input: a 64-bit trace id becomes the low half of the W3C one.
  const b3 = await call('/b3', { b3: 'a3ce929d0e0e4736-00f067aa0ba902b8-1' });
  assert.equal(TRACEPARENT.exec(b3.traceparent)![1], '0000000000000000a3ce929d0e0e4736');
  const b3Spans = await spansOf('0000000000000000a3ce929d0e0e4736', 4);
  assert.equal(b3Spans.find((s) => s.service === 'edge' && s.kind === SERVER)!.parentSpanId, '00f067aa0ba902b8');

  // 4. A retry is a second client span with http.request.resend_count.
  flaky = 0;
  const retried = await call('/flaky');
  assert.equal(retried.status, 200);
  const retriedTrace = TRACEPARENT.exec(retried.traceparent)![1]!;
  const tries = (await spansOf(retriedTrace, 5)).filter((s) => s.service === 'app' && s.kind === CLIENT).sort((a, b) => Number(a.startNs - b.startNs));
  assert.equal(tries.length, 2, 'two tries, two client spans');
  assert.equal(tries[0]!.attributes['http.response.status_code'], 503);
  assert.equal(tries[0]!.status, 2, 'the failed try is an error');
  assert.equal(tries[1]!.attributes['http.request.resend_count'], 1);
  assert.equal(tries[1]!.attributes['http.response.status_code'], 200);

  // 5. The access log names the trace.
  await until('the access log has the continued request', () => (readFileSync(accessLog, 'utf8').includes(callerTrace) ? true : undefined), 5_000);
  const line = readFileSync(accessLog, 'utf8').split('\n').filter((l) => l.includes('/orders')).map((l) => JSON.parse(l) as { traceId: string })[0]!;
  assert.equal(line.traceId, callerTrace);

  // 6. Sampling changed through the control plane: 0% records nothing new, and still propagates.
  await apply(sampling(0));
  const offTrace = await until('sampling off on both proxies', async () => {
    const r = await call('/off');
    const id = TRACEPARENT.exec(r.traceparent);
    return id !== null && id[3] === '00' ? id[1] : undefined;
  }, 15_000);
  const exportsBefore = receiver.spans.length;
  const parentOff = await call('/parent-off', { traceparent: `00-${callerTrace.replace('4', '5')}-${callerSpan}-00` });
  const parentOffMatch = TRACEPARENT.exec(parentOff.traceparent)!;
  assert.equal(parentOffMatch[1], callerTrace.replace('4', '5'), 'a sampled-out caller\'s trace id goes on');
  assert.equal(parentOffMatch[3], '00');
  assert.notEqual(parentOffMatch[2], callerSpan, 'with a span id of the proxy\'s');
  // A caller's sampled decision is kept even at 0% (parent-based).
  const parentOn = await call('/parent-on', { traceparent: `00-${callerTrace.replace('4', '6')}-${callerSpan}-01` });
  assert.equal(TRACEPARENT.exec(parentOn.traceparent)![3], '01');
  await spansOf(callerTrace.replace('4', '6'), 4);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(receiver.trace(offTrace!), [], 'a sampled-out request records no span');
  assert.deepEqual(receiver.trace(callerTrace.replace('4', '5')), []);
  assert.equal(receiver.spans.length - exportsBefore, 4, 'only the caller-sampled request was recorded');

  // The exporter's counters are on /metrics (summed over the gateway's two workers).
  const metrics = await (await fetch(`http://127.0.0.1:${edgeAdmin}/metrics`)).text();
  const exported = Number(/^sluice_proxy_spans_exported_total (\d+)/m.exec(metrics)?.[1]);
  assert.ok(exported >= 10, `the gateway counts its exported spans: ${exported}`);
  assert.match(metrics, /^sluice_proxy_spans_dropped_total\{reason="queue_full"\} 0$/m);
});
