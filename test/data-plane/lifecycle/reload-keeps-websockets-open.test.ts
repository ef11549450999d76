// A zero-downtime restart must not cut WebSocket sessions that a retiring worker carries: they may
// run on until the drain timeout (every in-flight request completes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { freePort } from '../../support/free-port.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startProxyProcess } from '../helpers/proxy-process.js';
import { startWebSocketEchoUpstream } from '../../e2e/scenario/websocket-echo-upstream.js';

test('a reload lets WebSocket sessions on the retiring workers finish', async (t) => {
  const upstream = await startWebSocketEchoUpstream();
  t.after(() => upstream.close());
  const [port, adminPort] = [await freePort(), await freePort()];
  const proxy = await startProxyProcess(
    yamlDocs(clusterYaml('ws', [upstream.port]), catchAllRouteYaml('all', 'ws'), listenerYaml('public', port)),
    ['--admin-listen', `127.0.0.1:${adminPort}`, '--workers', '2', '--drain-timeout-ms', '15000'],
  );
  t.after(() => proxy.stop());

  // Sessions of 4 s, echoing every 100 ms, spread over both workers; the reload starts 500 ms in.
  const SESSIONS = 8;
  const ECHOES = 40;
  const outcomes = await Promise.all([
    ...Array.from({ length: SESSIONS }, () => session(port, ECHOES)),
    (async () => {
      await new Promise((r) => setTimeout(r, 500));
      const res = await fetch(`http://127.0.0.1:${adminPort}/reload`, { method: 'POST' });
      assert.equal(res.status, 200, await res.text());
      return 'reloaded';
    })(),
  ]);
  const results = outcomes.slice(0, SESSIONS) as Array<{ echoes: number; code: number }>;
  t.diagnostic(`sessions: ${results.map((r) => `${r.echoes}/${ECHOES} code ${r.code}`).join(', ')}`);
  for (const r of results) {
    assert.equal(r.echoes, ECHOES, 'every echo of every session came back');
    assert.equal(r.code, 1000, 'the session ended with a clean close');
  }
  assert.equal(upstream.abnormal(), 0, 'the upstream saw no session cut');
});

function session(port: number, echoes: number): Promise<{ echoes: number; code: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { handshakeTimeout: 10_000 });
    let got = 0;
    let timer: NodeJS.Timeout | undefined;
    ws.on('open', () => {
      const send = (): void => {
        if (ws.readyState === WebSocket.OPEN) ws.send(`echo ${got}`);
      };
      send();
      ws.on('message', () => {
        got++;
        if (got >= echoes) ws.close(1000);
        else timer = setTimeout(send, 100);
      });
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ echoes: got, code });
    });
  });
}
