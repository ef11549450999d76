// A request body read whole before the first try can be sent again: an idempotent PUT whose first
// endpoint resets the connection is retried on the other endpoint with its whole body. A body too
// large for the buffer is streamed, so it is not retried (its bytes are gone), as before.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { catchAllRouteYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startResettingUpstream, startUpstream } from '../helpers/fake-upstream.js';

test('a buffered PUT body is replayed on the retry; a streamed one is not retried', async (t) => {
  const good = await startUpstream();
  const bad = await startResettingUpstream();
  const mesh = await startMesh(yamlDocs(
    clusterYaml('pair', ['{{bad}}', '{{good}}']),
    catchAllRouteYaml('all', 'pair', 'retry: {attempts: 2, on: [RESET], backoffBaseMs: 1}'),
  ), { bad: bad.port, good: good.port });
  t.after(async () => {
    await mesh.close();
    await good.close();
    await bad.close();
  });
  const body = 'p'.repeat(10 * 1024);
  for (let i = 0; i < 6; i++) {
    const res = await request(mesh.url(`/put/${i}`), { method: 'PUT', body });
    assert.equal(res.statusCode, 200, `PUT ${i}`);
    assert.equal(JSON.parse(await res.body.text()).bytes, body.length);
  }
  assert.ok(bad.accepted() >= 3, `the resetting endpoint got ${bad.accepted()} of the PUTs first`);

  // 1 MiB, over the 64 KiB buffer: streamed; when the resetting endpoint gets it, it cannot be replayed.
  const large = 'q'.repeat(1024 * 1024);
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await request(mesh.url(`/large/${i}`), { method: 'PUT', body: large });
    statuses.push(res.statusCode);
    await res.body.text();
  }
  assert.ok(statuses.includes(502), `some streamed PUTs met the resetting endpoint: ${statuses.join(', ')}`);
});
