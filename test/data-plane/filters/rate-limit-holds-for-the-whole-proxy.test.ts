// The `rate-limit` filter limits the whole proxy, not each of its processes: with --workers 2 and a
// burst of 3, three requests pass in all, whichever worker each connection lands on (Node's
// round-robin hands new connections to the workers in turn: per-worker buckets would pass six).
// A header key gets a bucket per value; refusals are 429 with retry-after and the proxy's error header.
// The worker's leases (leased-tokens.ts) never grant more than the primary's bucket holds, and a
// silent primary leaves each worker its share.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { LeasedTokens, type TokenLeaseChannel } from '../../../data-plane/src/filters/leased-tokens.js';
import { TokenLeaseAuthority } from '../../../data-plane/src/filters/token-lease-authority.js';
import { freePort } from '../../support/free-port.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly error: string | undefined;
}

/** One GET on a connection of its own (so the primary hands each to the next worker). */
function get(port: number, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, error: res.headers['x-sluice-error'] as string | undefined }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function proxyWithRateLimit(t: { after(fn: () => unknown): void }, workers: number, key: string): Promise<number> {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const port = await freePort();
  const yaml = yamlDocs(
    clusterYaml('web', [upstream.port]),
    // A refill of one token every 1,000 s: only the burst passes within the test.
    catchAllRouteYaml('all', 'web', `filters: [{name: rate-limit, config: {requestsPerSecond: 0.001, burst: 3, key: "${key}"}}]`),
    listenerYaml('main', port),
  );
  const proxy = await startProxyProcess(yaml, ['--workers', String(workers), '--admin-listen', 'off']);
  t.after(() => proxy.stop());
  return port;
}

const statuses = (answers: readonly Answer[]): number[] => answers.map((a) => a.status);

for (const workers of [1, 2]) {
  test(`--workers ${workers}: a global burst of 3 lets 3 of 10 requests through; the others get 429 with retry-after`, async (t) => {
    const port = await proxyWithRateLimit(t, workers, 'global');
    const answers: Answer[] = [];
    for (let i = 0; i < 10; i++) answers.push(await get(port));
    assert.equal(answers.filter((a) => a.status === 200).length, 3, `statuses ${statuses(answers).join(' ')}`);
    for (const refused of answers.filter((a) => a.status !== 200)) {
      assert.equal(refused.status, 429);
      assert.equal(refused.error, 'rate-limited');
      assert.ok(Number(refused.retryAfter) >= 1, `retry-after ${refused.retryAfter}`);
    }
  });
}

test('--workers 2: concurrent requests share one burst too, and each header value has its own', async (t) => {
  const port = await proxyWithRateLimit(t, 2, 'header:x-user');
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((user) => Promise.all(Array.from({ length: 8 }, () => get(port, { 'x-user': user })))));
  assert.equal(alice!.filter((a) => a.status === 200).length, 3, `alice: ${statuses(alice!).join(' ')}`);
  assert.equal(bob!.filter((a) => a.status === 200).length, 3, `bob: ${statuses(bob!).join(' ')}`);
});

/** A channel straight to an authority, answered after a turn of the event loop as IPC would be. */
const direct = (authority: TokenLeaseAuthority): TokenLeaseChannel => (r) => new Promise((resolve) => setImmediate(() => resolve(authority.grant(r))));

test('leases: two workers taking at once never get more than the bucket holds', async () => {
  const authority = new TokenLeaseAuthority();
  const workers = [0, 1].map(() => new LeasedTokens('route|rate-limit|{}', 0.001, 40, 2, direct(authority)));
  const taken = await Promise.all(Array.from({ length: 200 }, (_, i) => workers[i % 2]!.take('')));
  assert.equal(taken.filter((ms) => ms === 0).length, 40);
  assert.ok(taken.filter((ms) => ms > 0).every((ms) => ms >= 1));
});

test('leases: a primary that does not answer leaves each worker its share of the burst', async () => {
  const silent: TokenLeaseChannel = () => Promise.resolve(undefined);
  const worker = new LeasedTokens('route|rate-limit|{}', 0.001, 10, 2, silent);
  const taken = await Promise.all(Array.from({ length: 20 }, () => worker.take('')));
  assert.equal(taken.filter((ms) => ms === 0).length, 5);
});
