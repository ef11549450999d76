// `sluice start` (what `npm start` runs): prints the API address, the dashboard's (the token to sign in
// with printed apart, never in a URL), a fresh token, a curl command that answers `pong` through the
// proxy it runs (which holds a workload certificate), and an apply example that works when pasted
// into a shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { freePort } from '../support/free-port.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';

test('sluice start prints the API address, the dashboard, a token, a curl that answers pong through its proxy and a working `sluice ctl apply` example', async () => {
  const proxyPort = await freePort();
  const proc = new SluiceProcess(['start', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--proxy-listen', `127.0.0.1:${proxyPort}`, '--proxy-admin-listen', '127.0.0.1:0']);
  try {
    await proc.waitFor(/Stop with Ctrl-C/);
    const url = proc.stdout.match(/admin API {2}(http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    const token = proc.stdout.match(/token {6}(\S+)/)?.[1];
    assert.ok(url, proc.stdout);
    assert.ok(token !== undefined && token.length >= 32, 'a long random token');
    assert.match(proc.stdout, /embedded store/);

    // The dashboard: its URL (no token in it), and the printed token signs in there.
    const dashboard = proc.stdout.match(/dashboard {2}(\S+) \(sign in with the token below\)/)?.[1];
    assert.equal(dashboard, `${url}/ui`, proc.stdout);
    for (const link of proc.stdout.match(/https?:\/\/\S+/g) ?? []) assert.ok(!link.includes(token), `a token in a URL: ${link}`);
    const page = await fetch(dashboard);
    // 200 once `npm run build` has built the bundle, 503 saying to build it otherwise: never a 401.
    assert.ok([200, 503].includes(page.status), `the dashboard answered ${page.status}`);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const signIn = await fetch(`${url}/ui/session`, { method: 'POST', headers: { origin: url, 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    assert.equal(signIn.status, 200);
    assert.deepEqual(await signIn.json(), { name: 'admin', role: 'admin' });

    // The curl line, exactly as printed, answers through the proxy.
    const curl = proc.stdout.match(/^curl \S+\/ping$/m)?.[0];
    assert.ok(curl?.includes(`:${proxyPort}/`), proc.stdout);
    const ping = spawnSync('/bin/sh', ['-e', '-c', `${curl} --silent --show-error --max-time 5`], { encoding: 'utf8', timeout: 10000 });
    assert.equal(ping.status, 0, ping.stderr);
    assert.equal(ping.stdout, 'pong');
    const proxies = (await (await fetch(`${url}/v1/proxies`, { headers: { authorization: `Bearer ${token}` } })).json()) as { proxies: Array<{ nodeId: string }> };
    assert.deepEqual(proxies.proxies.map((p) => p.nodeId), ['sluice-start'], 'the proxy follows this control plane');

    // The proxy has a workload certificate for its service, from a bootstrap token made at start.
    const admin = proc.stdout.match(/admin (http:\/\/127\.0\.0\.1:\d+) \(/)?.[1];
    assert.ok(admin, proc.stdout);
    const certs = await until('the local proxy\'s certificate', async () => {
      const res = await fetch(`${admin}/certs`);
      return res.status === 200 ? (await res.json()) as { identity: string } : undefined;
    });
    assert.equal(certs.identity, 'spiffe://sluice.local/svc/local');

    assert.equal((await fetch(`${url}/v1/routes`)).status, 401);
    assert.equal((await fetch(`${url}/v1/routes`, { headers: { authorization: `Bearer ${token}` } })).status, 200);

    // The example, exactly as printed, from `export` to the `get routes` line.
    const example = proc.stdout.slice(proc.stdout.indexOf('export SLUICE_SERVER'), proc.stdout.indexOf('\n', proc.stdout.indexOf('ctl get routes')));
    const env = { ...process.env };
    delete env['SLUICE_SERVER'];
    delete env['SLUICE_TOKEN'];
    const shell = spawnSync('/bin/sh', ['-e', '-c', example], { encoding: 'utf8', env, timeout: 15000 });
    assert.equal(shell.status, 0, `${example}\n---\n${shell.stdout}\n${shell.stderr}`);
    assert.match(shell.stdout, /^cluster\/hello created$/m);
    assert.match(shell.stdout, /^route\/hello created$/m);
    assert.match(shell.stdout, /^Route\s+hello\s+\d+\s+hello\.local\/ -> hello$/m);
  } finally {
    assert.equal(await proc.stop(), 0);
  }
});

test('sluice start refuses --etcd: it always runs on the embedded store', async () => {
  const proc = new SluiceProcess(['start', '--etcd', 'http://127.0.0.1:2379']);
  const code = await new Promise<number | null>((resolve) => proc.child.once('exit', (c) => resolve(c)));
  assert.equal(code, 2);
  assert.match(proc.stderr, /--etcd is not an option here/);
});
