// `sluice proxy --inbound-listen … --app-port … --app-protocol tcp`: the sidecar's inbound listener is a
// TCP listener piping to the application (no route), and the flag is refused with a clear message when
// it names no protocol the proxy knows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseProxyArgs } from '../../../data-plane/src/cli/proxy-options.js';
import { freePort } from '../../support/free-port.js';
import { startProxyProcess } from '../helpers/proxy-process.js';
import { exchange, sha256, startTcpUpstream } from '../helpers/tcp-servers.js';

test('--app-protocol tcp: the inbound listener pipes bytes to the application', { timeout: 60_000 }, async (t) => {
  const app = await startTcpUpstream();
  t.after(() => app.close());
  const inbound = await freePort();
  const proxy = await startProxyProcess('kind: Cluster\nname: unused\nendpoints: [{address: 127.0.0.1, port: 9}]\n', ['--workers', '1', '--admin-listen', 'off', '--inbound-listen', `127.0.0.1:${inbound}`, '--app-port', String(app.port), '--app-protocol', 'tcp']);
  t.after(() => proxy.stop());
  // Binary, not HTTP: an HTTP listener would answer 400 to it.
  const payload = randomBytes(256 * 1024);
  const back = await exchange(inbound, payload);
  assert.equal(back.sha256, sha256(payload));
  assert.equal(app.connections(), 1);
});

test('--app-protocol names the protocols it takes', () => {
  assert.throws(() => parseProxyArgs(['--config', 'x.yaml', '--inbound-listen', '127.0.0.1:1', '--app-port', '2', '--app-protocol', 'udp']), /--app-protocol must be http1, h2c or tcp, got "udp"/);
});
