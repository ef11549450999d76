// `sluice control-plane` as a process: flags, the token from --token-file or SLUICE_TOKEN, the embedded
// store by default (and saying so), etcd with --etcd (state outlives the process), clean stop on SIGTERM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';

const LOCAL = ['--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0'];
let dir: string;
let tokenFile: string;
const token = 'cli-token-5678';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cp-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `sluice control-plane` and resolves with its admin API URL from the "control plane ready" log line. */
async function startControlPlane(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ proc: SluiceProcess; url: string }> {
  const proc = new SluiceProcess(['control-plane', ...LOCAL, ...args], env);
  const line = await proc.waitFor(/^.*"msg":"control plane ready".*$/m);
  return { proc, url: JSON.parse(line[0]).api as string };
}

const getRoutes = (url: string, bearer = token) => fetch(`${url}/v1/routes`, { headers: { authorization: `Bearer ${bearer}` } });

test('--help prints every flag; unknown flags, bad addresses and a missing token exit 2', async () => {
  const help = await runSluice(['control-plane', '--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--etcd', '--api-listen', '--discovery-listen', '--token-file', '--max-body-bytes', '--log-level']) assert.ok(help.stdout.includes(flag), flag);
  for (const [args, message] of [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--api-listen', 'localhost', '--token-file', tokenFile], /--api-listen must be HOST:PORT/],
    [['--etcd', 'etcd:2379', '--token-file', tokenFile], /not an etcd client URL/],
    [['--token-file', join(dir, 'missing')], /--token-file .*ENOENT/],
    [[], /needs a token: pass --token-file FILE or set SLUICE_TOKEN/],
  ] as const) {
    const res = await runSluice(['control-plane', ...LOCAL, ...args]);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, message);
  }
});

test('without --etcd: the embedded store, said in the log; the token from --token-file guards the API; SIGTERM exits 0', async () => {
  const { proc, url } = await startControlPlane(['--token-file', tokenFile]);
  try {
    assert.match(proc.stdout, /running on the embedded store/);
    assert.match(proc.stdout, /"store":"embedded"/);
    assert.equal((await getRoutes(url)).status, 200);
    assert.equal((await getRoutes(url, 'wrong')).status, 401);
    assert.ok(!proc.stdout.includes(token), 'the token is never logged');
  } finally {
    assert.equal(await proc.stop(), 0);
  }
});

test('the token may come from SLUICE_TOKEN', async () => {
  const { proc, url } = await startControlPlane([], { SLUICE_TOKEN: 'from-env-token' });
  try {
    assert.equal((await getRoutes(url, 'from-env-token')).status, 200);
  } finally {
    await proc.stop();
  }
});

test('with --etcd: resources outlive the process', async () => {
  const etcd = await EtcdCluster.start();
  try {
    const first = await startControlPlane(['--etcd', etcd.endpoints.join(','), '--token-file', tokenFile]);
    try {
      assert.match(first.proc.stdout, /"store":"etcd"/);
      assert.doesNotMatch(first.proc.stdout, /embedded store/);
      const put = await fetch(`${first.url}/v1/clusters/kept`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ endpoints: [{ address: '127.0.0.1', port: 19081 }] }),
      });
      assert.equal(put.status, 201);
    } finally {
      await first.proc.stop();
    }
    const second = await startControlPlane(['--etcd', etcd.endpoints[0]!, '--token-file', tokenFile]);
    try {
      const res = await fetch(`${second.url}/v1/clusters/kept`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
    } finally {
      await second.proc.stop();
    }
  } finally {
    await etcd.stop();
  }
});
