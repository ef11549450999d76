// What the manifests' command lines mean, not only that they parse: the `sluice` command lines run, here, as
// written, with only addresses, the token file, the state directory and etcd swapped for local ones
// (support/local-run.ts), and the sidecar example's mesh.yaml applied through the real API. Then every probe and scrape path answers 200 on the port the manifest sends it to, the API port is
// the admin API and takes the token from --token-file, the discovery port speaks gRPC's HTTP/2, a
// sidecar's inbound listener reaches the application on --app-port, its outbound listener accepts,
// and the webhook port answers an AdmissionReview over HTTPS verified for its Service's name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { testKey, writeEncryptionKeyFile } from '../support/encryption-keys.js';
import { REPO_ROOT } from '../support/repo-root.js';
import { render } from './support/kustomize.js';
import { flagValue, httpUses, podTemplates, resolvePort, sluiceUses, splitHostPort, type SluiceUse } from './support/manifest-uses.js';
import { accepts, httpGet, httpPost, httpsPost, localCommandLine, LocalProcess, speaksHttp2, waitForAnswer, type LocalCommandLine } from './support/local-run.js';

const FIRST_ANSWER_MS = 15_000;
const LATER_ANSWER_MS = 5_000;

const usesIn = (dir: string): SluiceUse[] => sluiceUses(podTemplates(dir, render(dir).objects));
const controlPlaneUse = (): SluiceUse | undefined => usesIn('deploy/base').find((u) => u.command === 'control-plane');
const proxyUses = (): SluiceUse[] => [...usesIn('deploy/examples/sidecar-app'), ...usesIn('deploy/examples/gateway')].filter((u) => u.command === 'proxy');

let etcd: EtcdCluster | undefined;
let dir = '';
let tokenFile = '';
let keyFile = '';
let token = '';
let discoveryPort: number | undefined;
let apiPort: number | undefined;
/** The local control plane's trust bundle, as `sluice ctl ca bundle` prints it into the ConfigMap. */
let bundleFile = '';
const running: LocalProcess[] = [];
const servers: Server[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-deploy-'));
  token = randomBytes(24).toString('hex');
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  keyFile = writeEncryptionKeyFile(join(dir, 'keys.yaml'), [testKey('deploy-test')]);
  // As deploy/base runs it: TLS with client certificates.
  etcd = await EtcdCluster.start(1, { tls: true });
});

after(async () => {
  await Promise.all(running.map((p) => p.stop()));
  for (const s of servers) s.close();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Checks every probe and scrape path of `use` answers 200 on the local port of its manifest port. */
async function checkHttpUses(use: SluiceUse, line: LocalCommandLine, proc: LocalProcess, problems: string[]): Promise<void> {
  let first = true;
  for (const h of httpUses(use)) {
    const port = h.port === undefined ? undefined : line.localPorts.get(h.port);
    if (port === undefined) {
      problems.push(`${h.what} ${h.path}: port ${h.port} is bound by no listen flag`);
      continue;
    }
    const answer = await waitForAnswer(proc, port, h.path, first ? FIRST_ANSWER_MS : LATER_ANSWER_MS);
    first = false;
    if (answer?.status !== 200) {
      problems.push(`${h.what}: GET ${h.path} on port ${h.port} answered ${answer === undefined ? 'nothing' : `${answer.status} ${answer.body.trim().slice(0, 80)}`}`);
    }
  }
}

/** A process that exited is the one problem worth reading; else every problem found, with its output. */
function assertRan(proc: LocalProcess, problems: readonly string[]): void {
  assert.ok(!proc.exited, proc.describe());
  assert.deepEqual(problems, [], proc.describe());
}

test('the control plane runs with deploy/base\'s command line, serving what each of its ports promises', async () => {
  const use = controlPlaneUse();
  assert.ok(use, 'deploy/base runs `sluice control-plane`');
  assert.ok(etcd);
  const line = await localCommandLine(use, { tokenFile, scratchDir: dir, etcdEndpoints: etcd.endpoints, etcdTls: etcd.tls, encryptionKeyFile: keyFile });
  const proc = new LocalProcess(line.args);
  running.push(proc);
  const problems: string[] = [];
  await checkHttpUses(use, line, proc, problems);

  apiPort = line.localPorts.get(resolvePort(use.container, 'api') ?? -1);
  if (apiPort === undefined) {
    problems.push('the `api` port is bound by no listen flag');
  } else {
    const withToken = await httpGet(apiPort, '/v1/clusters', { authorization: `Bearer ${token}` });
    const without = await httpGet(apiPort, '/v1/clusters');
    if (withToken?.status !== 200) problems.push(`GET /v1/clusters with the --token-file token answered ${withToken?.status ?? 'nothing'} on the api port`);
    if (without?.status !== 401) problems.push(`GET /v1/clusters without a token answered ${without?.status ?? 'nothing'} on the api port, not 401`);
  }
  const bundle = apiPort === undefined ? undefined : await httpGet(apiPort, '/v1/trust-bundle', { authorization: `Bearer ${token}` });
  if (bundle?.status !== 200) problems.push(`GET /v1/trust-bundle answered ${bundle?.status ?? 'nothing'}`);
  const pem = bundle?.status === 200 ? (JSON.parse(bundle.body) as { pem: string }).pem : undefined;
  if (pem !== undefined) writeFileSync((bundleFile = join(dir, 'ca.pem')), pem);
  const localDiscovery = line.localPorts.get(resolvePort(use.container, 'discovery') ?? -1);
  const tls = use.flags.some((f) => f.name === '--discovery-tls');
  if (localDiscovery === undefined) problems.push('the `discovery` port is bound by no listen flag');
  else if (!(await speaksHttp2(localDiscovery, tls ? pem : undefined))) problems.push(`the \`discovery\` port does not speak HTTP/2 (gRPC)${tls ? ' over TLS verified by the trust bundle' : ''}`);
  else discoveryPort = localDiscovery;

  // The injection webhook: HTTPS verified by the trust bundle (the caBundle) for the Service's name,
  // answering the fixture review with a patch.
  const localWebhook = line.localPorts.get(resolvePort(use.container, 'webhook') ?? -1);
  if (localWebhook === undefined) problems.push('the `webhook` port is bound by no listen flag');
  else if (pem !== undefined) {
    const review = readFileSync(join(REPO_ROOT, 'test/injection/fixtures/pod-create-review.json'), 'utf8');
    const answer = await httpsPost(localWebhook, '/inject', review, pem, 'sluice-control-plane.sluice-system.svc');
    const patched = answer?.status === 200 && typeof (JSON.parse(answer.body) as { response?: { patch?: unknown } }).response?.patch === 'string';
    if (!patched) problems.push(`POST /inject on the webhook port (verified for sluice-control-plane.sluice-system.svc) answered ${answer === undefined ? 'nothing verified' : `${answer.status} ${answer.body.slice(0, 200)}`}`);
  }

  // The sidecar example's resources, as its README applies them; proxies then get a configuration
  // at once. (The gateway's mesh.yaml stays out: its Listener would bind 0.0.0.0:8080 here.)
  if (apiPort !== undefined) {
    const applied = await httpPost(apiPort, '/v1/apply', readFileSync(join(REPO_ROOT, 'deploy/examples/sidecar-app/mesh.yaml'), 'utf8'), {
      authorization: `Bearer ${token}`,
      'content-type': 'application/yaml',
    });
    if (applied?.status !== 200) problems.push(`POST /v1/apply of deploy/examples/sidecar-app/mesh.yaml answered ${applied === undefined ? 'nothing' : `${applied.status} ${applied.body.slice(0, 200)}`}`);
  }
  assertRan(proc, problems);
});

for (const use of proxyUses()) {
  test(`${use.where} runs with its manifest's command line against that control plane`, async () => {
    assert.ok(discoveryPort, 'needs the control plane of the test above, which did not start');
    const app = createServer((_req, res) => res.end(`app behind ${use.pod.owner.metadata.name}`));
    servers.push(app);
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appPort = (app.address() as { port: number }).port;
    // As the manifests' Secret holds it: a bootstrap token for the proxy's own --service.
    const service = flagValue(use, '--service') ?? '';
    const created = await httpPost(apiPort ?? -1, '/v1/tokens', JSON.stringify({ service }), { authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    assert.equal(created?.status, 201, `POST /v1/tokens for ${service}: ${created?.body}`);
    const bootstrapFile = join(dir, `token-${service}`);
    writeFileSync(bootstrapFile, `${(JSON.parse(created!.body) as { token: string }).token}\n`, { mode: 0o600 });
    const line = await localCommandLine(use, { tokenFile: bootstrapFile, scratchDir: dir, discoveryPort, appPort, controlPlaneCa: bundleFile });
    const proc = new LocalProcess(line.args);
    running.push(proc);
    const problems: string[] = [];
    await checkHttpUses(use, line, proc, problems);

    const inbound = splitHostPort(flagValue(use, '--inbound-listen') ?? '');
    if (inbound !== undefined) {
      const answer = await httpGet(line.localPorts.get(inbound.port) ?? -1, '/', { host: 'hello' });
      if (answer?.status !== 200 || !answer.body.startsWith('app behind')) {
        problems.push(`--inbound-listen: GET / answered ${answer === undefined ? 'nothing' : `${answer.status} ${answer.body.trim().slice(0, 80)}`}, not the application on --app-port`);
      }
    }
    const outbound = splitHostPort(flagValue(use, '--outbound-listen') ?? '');
    if (outbound !== undefined && !(await accepts(line.localPorts.get(outbound.port) ?? -1))) {
      problems.push('--outbound-listen: nothing accepts connections');
    }
    assertRan(proc, problems);
  });
}
