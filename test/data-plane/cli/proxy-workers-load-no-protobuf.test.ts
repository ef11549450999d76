// A proxy worker receives decoded resources from its primary and loads neither the protobuf runtime
// nor the generated schemas (about 5 MiB of memory per worker). The real `sluice proxy --workers 2`
// runs under a module hook that writes down every module each process resolves; after the workers
// served requests, the primary's list has protobuf (so the hook sees it) and the workers' lists do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { moduleLog } from '../../support/module-log.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';

const PROTOBUF = /@bufbuild\/protobuf|\/proto\/gen\//;

test('workers serve without loading protobuf; the primary loads it', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-module-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = moduleLog(dir);
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const port = await freePort();
  const yaml = `kind: Cluster
name: backend
endpoints: [{address: 127.0.0.1, port: ${upstream.port}}]
---
kind: Route
name: all
hosts: ["*"]
match: {pathPrefix: /}
retry: {attempts: 2, on: [CONNECT_FAILURE, GATEWAY_ERROR]}
forward: {cluster: backend}
---
kind: Listener
name: main
address: 127.0.0.1
port: ${port}
`;
  const proxy = await startProxyProcess(yaml, ['--workers', '2', '--admin-listen', 'off'], { nodeArgs: log.nodeArgs });
  t.after(() => proxy.stop());
  for (let i = 0; i < 20; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/hello/${i}`, { headers: { connection: 'close' } });
    assert.equal(response.status, 200, await response.text());
  }

  const lines = log.modules().map(({ pid, url }) => [pid === proxy.pid ? 'primary' : 'worker', pid, url] as const);
  const workers = new Set(lines.filter(([role]) => role === 'worker').map(([, pid]) => pid));
  assert.equal(workers.size, 2, 'both workers wrote what they loaded');
  const workerModules = lines.filter(([role]) => role === 'worker').map(([, , url]) => url);
  assert.ok(workerModules.some((url) => url.endsWith('/mesh/mesh-proxy.js')), 'the hook saw the workers load the proxy');
  assert.deepEqual(workerModules.filter((url) => PROTOBUF.test(url)), [], 'modules a worker loaded');
  assert.ok(lines.some(([role, , url]) => role === 'primary' && PROTOBUF.test(url)), 'the primary loads protobuf, and the hook sees it');
});
