// `rate-limit` with `scope: mesh` on a proxy that has no control plane (a static --config): the proxy
// decides alone from its own bucket, as with `scope: proxy` (fail open, not closed), and counts each
// such decision in sluice_proxy_rate_limit_fallbacks_total{reason="no_control_plane"}. A scope other
// than proxy or mesh is refused naming the field. A worker refused by an empty bucket does not ask
// again until a token can be there, so a flood of refused requests costs no message each.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { FilterConfigError } from '../../../data-plane/src/filters/filter-config.js';
import { FilterRegistry } from '../../../data-plane/src/filters/filter-registry.js';
import { LeasedTokens, type TokenLeaseRequest } from '../../../data-plane/src/filters/leased-tokens.js';
import { localRateLimit } from '../../../data-plane/src/filters/local-rate-limit.js';
import { TokenLeaseAuthority } from '../../../data-plane/src/filters/token-lease-authority.js';
import { freePort } from '../../support/free-port.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';

function status(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

for (const workers of [1, 2]) {
  test(`--workers ${workers}, static --config: scope mesh admits the proxy's own burst of 3 of 10, and counts the fallbacks`, async (t) => {
    const upstream = await startUpstream();
    t.after(() => upstream.close());
    const [port, admin] = [await freePort(), await freePort()];
    const yaml = yamlDocs(
      clusterYaml('web', [upstream.port]),
      catchAllRouteYaml('all', 'web', 'filters: [{name: rate-limit, config: {requestsPerSecond: 0.001, burst: 3, key: global, scope: mesh}}]'),
      listenerYaml('main', port),
    );
    const proxy = await startProxyProcess(yaml, ['--workers', String(workers), '--admin-listen', `127.0.0.1:${admin}`]);
    t.after(() => proxy.stop());
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await status(port));
    assert.equal(statuses.filter((s) => s === 200).length, 3, statuses.join(' '));
    assert.ok(statuses.every((s) => s === 200 || s === 429), statuses.join(' '));
    const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    const counted = Number(/^sluice_proxy_rate_limit_fallbacks_total\{reason="no_control_plane"\} (\d+)/m.exec(metrics)?.[1]);
    assert.ok(counted >= 1, `fallbacks counted:\n${metrics.split('\n').filter((l) => l.includes('rate_limit')).join('\n')}`);
  });
}

test('scope must be proxy or mesh: FilterConfigError naming the field', () => {
  const context = new FilterRegistry().context('route|rate-limit|{}');
  assert.throws(() => localRateLimit({ scope: 'cluster' }, context), (err: unknown) => err instanceof FilterConfigError && err.field === 'scope' && /"proxy" or "mesh"/.test(err.message));
  assert.throws(() => localRateLimit({ scope: 3 }, context), (err: unknown) => err instanceof FilterConfigError && err.field === 'scope');
  assert.doesNotThrow(() => localRateLimit({ scope: 'mesh' }, context));
});

test('a refused lease is not asked for again until a token can be there', async () => {
  const authority = new TokenLeaseAuthority();
  const asks: TokenLeaseRequest[] = [];
  // One token every 10 s, a burst of 1: the first request takes it, the rest are refused.
  const tokens = new LeasedTokens('route|rate-limit|{}', 0.1, 1, 2, async (r) => {
    asks.push(r);
    return authority.grant(r);
  }, 'mesh');
  assert.equal(await tokens.take(''), 0);
  const refused = await tokens.take('');
  assert.ok(refused > 9000 && refused <= 10_000, `wait ${refused} ms`);
  for (let i = 0; i < 100; i++) assert.ok((await tokens.take('')) > 0);
  assert.equal(asks.length, 2, 'one ask for the token, one that found the bucket empty');
  assert.equal(asks[0]!.scope, 'mesh', 'the scope travels with the ask');
});
