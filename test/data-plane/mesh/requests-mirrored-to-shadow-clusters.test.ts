// Forward.mirrors: a shadow cluster gets a copy of each request (or the configured share), as the
// primary upstream gets it, with `-shadow` after its Host; its answer is thrown away. A shadow that
// never answers or refuses connections changes nothing for clients: every request is answered while
// the shadow still holds its copies, copies in flight are bounded, and each copy ends counted.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { parseResource } from '../../../proto/src/model/validate-resource.js';
import { checkChangeSet } from '../../../proto/src/model/change-set.js';
import { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { MAX_IN_FLIGHT_PER_CLUSTER } from '../../../data-plane/src/mesh/request-mirror.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream, echoHandler, type FakeUpstream } from '../helpers/fake-upstream.js';
import { until } from '../../support/until.js';

const CONFIG = `
kind: Cluster
name: web
endpoints: [{address: 127.0.0.1, port: {{web}}}]
---
kind: Cluster
name: shadow-all
endpoints: [{address: 127.0.0.1, port: {{all}}}]
---
kind: Cluster
name: shadow-quarter
endpoints: [{address: 127.0.0.1, port: {{quarter}}}]
---
kind: Cluster
name: shadow-stuck
endpoints: [{address: 127.0.0.1, port: {{stuck}}}]
---
kind: Cluster
name: shadow-dead
endpoints: [{address: 127.0.0.1, port: {{dead}}}]
outlierDetection: {consecutiveConnectFailures: 0}
---
kind: Route
name: mirrored
hosts: ["web.local"]
match: {pathPrefix: /api/}
forward: {cluster: web, mirrors: [{cluster: shadow-all}, {cluster: shadow-quarter, percent: 25}]}
rewrite: {pathPrefix: /v1/}
requestHeaders: {set: {x-edited: "yes"}}
---
kind: Route
name: streamed
hosts: ["web.local"]
match: {pathPrefix: /stream/}
forward: {cluster: web, mirrors: [{cluster: shadow-all}]}
streamRequestBody: true
---
kind: Route
name: to-stuck
hosts: ["stuck.local"]
forward: {cluster: web, mirrors: [{cluster: shadow-stuck}]}
---
kind: Route
name: to-dead
hosts: ["dead.local"]
forward: {cluster: web, mirrors: [{cluster: shadow-dead}]}
---
kind: Route
name: plain
hosts: ["plain.local"]
forward: {cluster: web}
`;

interface Seen {
  readonly host: string | undefined;
  readonly url: string | undefined;
  readonly edited: string | string[] | undefined;
  readonly bytes: number;
}

/** An upstream recording what each request carried, answering 200 after reading the body. */
async function recordingUpstream(): Promise<{ up: FakeUpstream; seen: Seen[] }> {
  const seen: Seen[] = [];
  const up = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      seen.push({ host: req.headers.host, url: req.url, edited: req.headers['x-edited'], bytes });
      res.end('shadow answer');
    });
  });
  return { up, seen };
}

function mirrored(metrics: string, route: string, cluster: string, result: string): number {
  const m = new RegExp(`sluice_proxy_mirrored_requests_total\\{route="${route}",cluster="${cluster}",result="${result}"\\} (\\d+)`).exec(metrics);
  return m === null ? 0 : Number(m[1]);
}

async function sendAll(url: string, host: string, n: number, agent: Agent, body?: string): Promise<number[]> {
  const statuses: number[] = [];
  const queue = Array.from({ length: n }, (_, i) => i);
  const lane = async (): Promise<void> => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const res = await request(`${url}${i}`, { dispatcher: agent, method: body === undefined ? 'GET' : 'POST', headers: { host }, body, headersTimeout: 10_000, bodyTimeout: 10_000 });
      await res.body.text();
      statuses.push(res.statusCode);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return statuses;
}

test('each mirror gets its share of copies as the primary sends them; streamed bodies are not copied', { timeout: 60_000 }, async (t) => {
  const web = await startUpstream(echoHandler);
  const all = await recordingUpstream();
  const quarter = await recordingUpstream();
  const stuck = await startUpstream(() => undefined);
  t.after(async () => Promise.all([web.close(), all.up.close(), quarter.up.close(), stuck.close()]));
  const mesh = await startMesh(CONFIG, { web: web.port, all: all.up.port, quarter: quarter.up.port, stuck: stuck.port, dead: 1 });
  t.after(() => mesh.close());
  const agent = new Agent({ connections: 8 });
  t.after(() => agent.close());

  const gets = await sendAll(mesh.url('/api/item/'), 'web.local', 400, agent);
  assert.deepEqual(new Set(gets), new Set([200]));
  const posts = await sendAll(mesh.url('/api/upload/'), 'web.local', 40, agent, 'x'.repeat(3000));
  assert.deepEqual(new Set(posts), new Set([200]));
  await until('every copy to the 100% shadow arrived', () => (all.seen.length === 440 ? true : undefined), 10_000);

  // The copy is the request as the primary got it: rewritten path, edited headers, same body.
  assert.ok(all.seen.every((s) => s.host === 'web.local-shadow' && s.edited === 'yes'), JSON.stringify(all.seen[0]));
  assert.deepEqual(all.seen.filter((s) => s.url!.startsWith('/v1/item/')).length, 400);
  const uploads = all.seen.filter((s) => s.url!.startsWith('/v1/upload/'));
  assert.equal(uploads.length, 40);
  assert.ok(uploads.every((s) => s.bytes === 3000), JSON.stringify(uploads.map((s) => s.bytes)));
  assert.equal(web.seen.length, 440, 'the primary got each request once');

  // 25% of 440: mean 110, standard deviation 9.1; the bounds are more than 5 deviations out.
  await new Promise((r) => setTimeout(r, 200));
  const share = quarter.seen.length;
  console.log(`# 25% mirror: ${share} of 440 copies (${(100 * share / 440).toFixed(1)}%)`);
  assert.ok(share >= 60 && share <= 160, `25% mirror got ${share} of 440`);

  // A streamed body is not kept, so it is not copied; the request itself is served.
  const streamed = await sendAll(mesh.url('/stream/'), 'web.local', 5, agent, 'y'.repeat(2000));
  assert.deepEqual(streamed, [200, 200, 200, 200, 200]);
  const metrics = await mesh.mesh.metrics.registry.metrics();
  assert.equal(mirrored(metrics, 'mirrored', 'shadow-all', 'answered'), 440);
  assert.equal(mirrored(metrics, 'mirrored', 'shadow-quarter', 'answered'), share);
  assert.equal(mirrored(metrics, 'streamed', 'shadow-all', 'skipped'), 5);
  assert.equal(all.seen.filter((s) => s.url!.startsWith('/stream/')).length, 0);
});

test('a shadow that never answers or refuses connections costs clients nothing; copies in flight are bounded', { timeout: 90_000 }, async (t) => {
  const web = await startUpstream(echoHandler);
  let stuckReceived = 0;
  const stuck = await startUpstream(() => void stuckReceived++);
  // A port that refuses: bound, then closed.
  const closed = await startUpstream();
  const deadPort = closed.port;
  await closed.close();
  t.after(async () => Promise.all([web.close(), stuck.close()]));
  const mesh = await startMesh(CONFIG, { web: web.port, all: 1, quarter: 1, stuck: stuck.port, dead: deadPort });
  t.after(() => mesh.close());
  const agent = new Agent({ connections: 8 });
  t.after(() => agent.close());

  const timed = async (host: string, n: number): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      const res = await request(mesh.url(`/t/${i}`), { dispatcher: agent, headers: { host }, headersTimeout: 10_000, bodyTimeout: 10_000 });
      await res.body.text();
      assert.equal(res.statusCode, 200);
      ms.push(performance.now() - started);
    }
    return ms.sort((a, b) => a - b);
  };
  const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)]!;

  const plain = await timed('plain.local', 300);
  const toStuck = await timed('stuck.local', 300);
  const toDead = await timed('dead.local', 300);
  console.log(`# primary median latency (ms): no mirror ${median(plain).toFixed(2)}, shadow never answers ${median(toStuck).toFixed(2)}, shadow refuses ${median(toDead).toFixed(2)}`);

  // Every client request was answered while the stuck shadow held every copy it got, unanswered.
  await until('the stuck shadow holds the bounded number of copies', () => (stuckReceived === MAX_IN_FLIGHT_PER_CLUSTER ? true : undefined), 10_000);
  const metrics = await mesh.mesh.metrics.registry.metrics();
  assert.equal(mirrored(metrics, 'to-stuck', 'shadow-stuck', 'answered'), 0);
  assert.equal(mirrored(metrics, 'to-stuck', 'shadow-stuck', 'skipped'), 300 - MAX_IN_FLIGHT_PER_CLUSTER);
  await until('every copy to the refusing shadow counted as failed', async () =>
    (mirrored(await mesh.mesh.metrics.registry.metrics(), 'to-dead', 'shadow-dead', 'failed') === 300 ? true : undefined), 10_000);
  assert.equal(web.seen.length, 900);
  // Generous, so a loaded machine does not fail it; a primary that waited for its shadow would take
  // the mirror's timeout (15 s) or its connect failure each time.
  assert.ok(median(toStuck) < median(plain) * 3 + 20, `stuck shadow: ${median(toStuck)} ms against ${median(plain)} ms`);
  assert.ok(median(toDead) < median(plain) * 3 + 20, `refusing shadow: ${median(toDead)} ms against ${median(plain)} ms`);
});

test('mirrors are validated with their paths and must name existing clusters', () => {
  const parsed = parseResource({
    kind: 'Route', name: 'r', hosts: ['a.local'],
    forward: { cluster: 'web', mirrors: [{ cluster: '' }, { cluster: 'shadow', percent: 150 }, { cluster: 'x' }, { cluster: 'y' }, { cluster: 'z' }] },
  }, 'documents[0]');
  assert.equal(parsed.ok, false);
  const errors = parsed.ok ? [] : parsed.errors.map((e) => `${e.path}: ${e.message}`).sort();
  assert.deepEqual(errors, [
    'routes[r].forward.mirrors: at most 4 mirrors, got 5',
    'routes[r].forward.mirrors[0].cluster: is required',
    'routes[r].forward.mirrors[1].percent: must be between 0 and 100, got 150',
  ]);

  const ok = (doc: unknown) => {
    const r = parseResource(doc, 'documents[0]');
    if (!r.ok) assert.fail(r.errors.map((e) => e.message).join('\n'));
    return r.resource;
  };
  const set = ResourceSet.of([ok({ kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port: 80 }] })]);
  const route = ok({ kind: 'Route', name: 'r', hosts: ['a.local'], forward: { cluster: 'web', mirrors: [{ cluster: 'missing', percent: 10 }] } });
  const refs = checkChangeSet(set, { puts: [route], deletes: [] }).invalid.map((e) => `${e.path}: ${e.message}`);
  assert.ok(refs.some((e) => e.startsWith('routes[r].forward.mirrors[0].cluster:') && e.includes('missing')), refs.join('\n'));
});
