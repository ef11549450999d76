// A cleartext client that sends the first bytes of the HTTP/2 preface ("P", "PRI * HTTP/2.0\r\n")
// and then closes or resets its connection is just closed: the proxy process stays up and serves the
// next request. (Putting the sniffed bytes back after the client's FIN threw on a socket with no
// error listener, and the uncaught error ended the process.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'node:net';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startProxyInFrontOfUpstream } from '../helpers/proxy-in-front-of-upstream.js';
import { rawRequest } from '../helpers/raw-http.js';

/** Sends `bytes`, then FIN (or a reset); resolves when the proxy has closed the connection. */
function sendThenLeave(port: number, bytes: string, reset: boolean): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes, () => (reset ? socket.resetAndDestroy() : socket.end()));
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    socket.resume();
  });
}

test('the first bytes of the HTTP/2 preface, then FIN or reset: the connection closes, the proxy stays up', async (t) => {
  const { proxy, port } = await startProxyInFrontOfUpstream(t, (up) => yamlDocs(clusterYaml('web', [up]), catchAllRouteYaml('web', 'web'), listenerYaml('main')));
  for (const bytes of ['P', 'PRI', 'PRI * HTTP/2.0\r\n', 'PRI * HTTP/2.0\r\n\r\nSM\r\n']) {
    for (const reset of [false, true]) {
      await sendThenLeave(port, bytes, reset);
      const good = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: web.test\r\nConnection: close\r\n\r\n', 5000);
      assert.equal(good.status, 200, `after ${JSON.stringify(bytes)} and ${reset ? 'a reset' : 'FIN'}: ${proxy.output().slice(-1500)}`);
    }
  }
  assert.equal(proxy.child.exitCode, null, proxy.output());
});
