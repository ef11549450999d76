// `sluice proxy` given a port it cannot bind at start (the admin port, a sidecar flag's listener, a
// listener of its --config; with the control plane too, also when the port is taken between start
// and the first configuration) exits 1 within seconds, naming the address and the flag, with one
// process or with workers: it never keeps serving unprobeable, nor respawns workers in a loop. A Listener pushed later by the control plane on a taken port is NACKed instead,
// and the proxy keeps serving.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../support/free-port.js';
import { assertExitsOnBindFailure, holdPort } from '../support/held-port.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';

function workspace(t: { after(fn: () => unknown): void }): { dir: string; file(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bind-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file: (name, text) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    },
  };
}

const listenerYaml = (port: number): string => `kind: Listener\nname: main\naddress: 127.0.0.1\nport: ${port}\n`;

test('with --config: a taken admin port, sidecar port or config listener port exits 1 naming it, with 1 and 2 workers', async (t) => {
  const held = await holdPort();
  t.after(() => held.release());
  const ws = workspace(t);
  const config = ws.file('proxy.yaml', listenerYaml(0));
  const taken = ws.file('taken.yaml', listenerYaml(held.port));
  const at = `127.0.0.1:${held.port}`;

  for (const workers of ['1', '2']) {
    await assertExitsOnBindFailure(['proxy', '--config', config, '--workers', workers, '--admin-listen', at], held.port, '--admin-listen');
  }
  await assertExitsOnBindFailure(['proxy', '--config', config, '--workers', '2', '--admin-listen', 'off', '--outbound-listen', at], held.port, '--outbound-listen');
  await assertExitsOnBindFailure(['proxy', '--config', config, '--workers', '1', '--admin-listen', 'off', '--inbound-listen', at, '--app-port', '9'], held.port, '--inbound-listen');
  await assertExitsOnBindFailure(['proxy', '--config', taken, '--workers', '2', '--admin-listen', 'off'], held.port, `listener main of --config ${taken}`);
});

test('with --control-plane: a taken sidecar port exits 1 (2 workers); a pushed Listener on a taken port is NACKed and the proxy keeps serving', async (t) => {
  const held = await holdPort();
  t.after(() => held.release());
  const ws = workspace(t);
  const token = 'bind-test-token';
  const tokenFile = ws.file('token', `${token}\n`);
  const controlPlane = new SluiceProcess(['control-plane', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--token-file', tokenFile]);
  t.after(() => controlPlane.stop());
  const api = JSON.parse((await controlPlane.waitFor(/^.*"msg":"control plane ready".*$/m))[0]).api as string;
  const discovery = JSON.parse((await controlPlane.waitFor(/^.*"msg":"discovery gRPC listening".*$/m))[0]).discovery as string;
  const follow = (nodeId: string): string[] => ['proxy', '--control-plane', discovery, '--token-file', tokenFile, '--node-id', nodeId, '--state-dir', join(ws.dir, nodeId)];

  // The sidecar listener opens with the first configuration: it cannot, so the proxy stops.
  await assertExitsOnBindFailure([...follow('taken-sidecar'), '--workers', '2', '--admin-listen', 'off', '--outbound-listen', `127.0.0.1:${held.port}`], held.port, '--outbound-listen');

  // The port is free at start and taken before the first configuration opens the listener (after
  // --initial-fetch-timeout-ms): the workers cannot bind it, and the primary exits 1, not respawning.
  const laterPort = await freePort();
  const late = new SluiceProcess([...follow('taken-later'), '--workers', '2', '--admin-listen', 'off', '--outbound-listen', `127.0.0.1:${laterPort}`, '--initial-fetch-timeout-ms', '4000']);
  t.after(() => late.stop());
  await late.waitFor(/sluice proxy: ready/);
  const heldLater = await holdPort(laterPort);
  t.after(() => heldLater.release());
  const exit = await new Promise<number | null>((resolve) => (late.child.exitCode !== null ? resolve(late.child.exitCode) : late.child.once('exit', (code) => resolve(code))));
  assert.equal(exit, 1, late.stderr);
  assert.match(late.stderr, new RegExp(`^sluice: cannot listen on 127\\.0\\.0\\.1:${laterPort} \\(--outbound-listen\\): address already in use`, 'm'));

  // A proxy that started well gets a Listener on the taken port from the control plane: a NACK.
  const adminPort = await freePort();
  // The control plane holds nothing yet: the proxy applies its sidecar listener alone after 300 ms.
  const proxy = new SluiceProcess([...follow('serving'), '--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--outbound-listen', '127.0.0.1:0', '--initial-fetch-timeout-ms', '300']);
  t.after(() => proxy.stop());
  await proxy.waitFor(/sluice proxy: ready/);
  await until('the proxy ready', async () => ((await fetch(`http://127.0.0.1:${adminPort}/ready`)).status === 200 ? true : undefined));
  const applied = await runSluice(['ctl', '--server', api, '--token', token, 'apply', '-f', '-'], { stdin: `kind: Listener\nname: pushed\naddress: 127.0.0.1\nport: ${held.port}\n` });
  assert.equal(applied.code, 0, applied.stderr);
  await proxy.waitFor(new RegExp(`listeners\\[pushed\\]\\.port: cannot listen on 127\\.0\\.0\\.1:${held.port}: EADDRINUSE`), 15_000, 'stderr');
  const rollout = await until('the NACK in /v1/rollout', async () => {
    const r = (await (await fetch(`${api}/v1/rollout`, { headers: { authorization: `Bearer ${token}` } })).json()) as { rejecting: number; errors: Array<{ nodeId: string; error: string }> };
    return r.rejecting === 1 ? r : undefined;
  });
  assert.equal(rollout.errors[0]?.nodeId, 'serving');
  assert.equal((await fetch(`http://127.0.0.1:${adminPort}/live`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${adminPort}/ready`)).status, 200);
  assert.equal(proxy.child.exitCode, null, 'the proxy keeps running');
});
