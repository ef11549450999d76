// A proxy that is draining (SIGTERM, or a worker retiring in a reload) may still receive configuration
// updates: the discovery stream is up, and the primary broadcasts them. Such an update must not open
// the listeners again, or the process would accept new connections and cut them when it exits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'node:net';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const config = yamlDocs(clusterYaml('a', [9]), catchAllRouteYaml('all', 'a'), listenerYaml('main'));

test('a configuration update during a drain opens no listener', { timeout: 20_000 }, async (t) => {
  const fx = await startMesh(config);
  t.after(() => fx.close());
  const port = fx.mesh.listeners.address('main')!.port;
  // An open connection keeps the drain going while the update arrives.
  const held = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => held.once('connect', () => resolve()));
  t.after(() => held.destroy());
  const drained = fx.mesh.listeners.close(5_000);

  const parsed = parseConfigText(config, 'yaml');
  assert.ok(parsed.ok);
  const applied = await fx.mesh.applyResources(parsed.config.resources);
  assert.ok(applied.ok, JSON.stringify(applied));
  assert.deepEqual(fx.mesh.listeners.names(), [], 'no listener is open again');
  const refused = await new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
  assert.ok(refused, 'the port no longer accepts connections');
  held.destroy();
  await drained;
});
