// `sluice control-plane --tokens-file FILE`: named admin API tokens with roles, one `token,name,role`
// per line (Kubernetes' static token file shape) with comments; a bad file stops the start with exit 2
// and every problem by line number, never the token; `sluice ctl` shows the API's 403 and exits 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { tokenDir, type TokenDir } from '../support/token-file.js';

const LOCAL = ['--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0'];
const VIEWER_TOKEN = 'viewer-7d2c0e5b9a';
const EDITOR_TOKEN = 'editor-41f8a6c3d2';
let dir: TokenDir;
let tokensFile: string;

before(() => {
  dir = tokenDir('sluice-tokens-');
  tokensFile = join(dir.dir, 'tokens.csv');
  writeFileSync(tokensFile, [
    '# token,name,role',
    `${VIEWER_TOKEN},dashboard,viewer`,
    '',
    `  ${EDITOR_TOKEN} , deploy-bot , editor  `,
  ].join('\n'), { mode: 0o600 });
});
after(() => rmSync(dir.dir, { recursive: true, force: true }));

async function badFile(lines: string[], ...expected: RegExp[]): Promise<void> {
  const file = join(dir.dir, 'bad.csv');
  writeFileSync(file, lines.join('\n'));
  const res = await runSluice(['control-plane', ...LOCAL, '--tokens-file', file]);
  assert.equal(res.code, 2, res.stderr);
  for (const e of expected) assert.match(res.stderr, e);
  for (const secret of ['dup-secret-1', 'orphan-secret-2', 'role-secret-3']) assert.ok(!res.stderr.includes(secret), `a token in: ${res.stderr}`);
}

test('a bad tokens file exits 2 naming every bad line: duplicate token, unknown role, empty name, wrong shape', async () => {
  await badFile([
    'dup-secret-1,alice,viewer',
    'dup-secret-1,bob,editor',
    'role-secret-3,carol,superuser',
    'orphan-secret-2,,viewer',
    'just-one-field',
  ],
  /--tokens-file: 4 problems/,
  /bad\.csv:2: the same token as line 1/,
  /bad\.csv:3: unknown role "superuser" \(one of viewer, editor, admin\)/,
  /bad\.csv:4: the name is empty/,
  /bad\.csv:5: expected token,name,role \(3 fields\), got 1/);
  await badFile(['# only a comment', ''], /lists no token/);
  const missing = await runSluice(['control-plane', ...LOCAL, '--tokens-file', join(dir.dir, 'absent.csv')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--tokens-file .*absent\.csv: ENOENT/);
});

test('the same token in --token-file and --tokens-file exits 2', async () => {
  const file = join(dir.dir, 'again.csv');
  writeFileSync(file, `${dir.token},someone,viewer\n`);
  const res = await runSluice(['control-plane', ...LOCAL, '--token-file', dir.tokenFile, '--tokens-file', file]);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /--tokens-file lists the token of --token-file again/);
  assert.ok(!res.stderr.includes(dir.token));
});

test('--tokens-file alone runs the control plane; ctl prints the API\'s 403 and exits 1 for a viewer', async () => {
  const proc = new SluiceProcess(['control-plane', ...LOCAL, '--tokens-file', tokensFile]);
  try {
    const line = await proc.waitFor(/^.*"msg":"control plane ready".*$/m);
    const url = JSON.parse(line[0]).api as string;
    const ctl = (token: string, args: string[], stdin?: string) => runSluice(['ctl', ...args], { env: { SLUICE_SERVER: url, SLUICE_TOKEN: token }, ...(stdin === undefined ? {} : { stdin }) });
    const cluster = 'kind: Cluster\nname: web\nendpoints:\n  - address: 127.0.0.1\n    port: 8080\n';
    const refused = await ctl(VIEWER_TOKEN, ['apply', '-f', '-'], cluster);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^error: 403 SLUICE_FORBIDDEN: POST \/v1\/apply needs the editor role; the token of "dashboard" has the viewer role$/m);
    const applied = await ctl(EDITOR_TOKEN, ['apply', '-f', '-'], cluster);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^cluster\/web created$/m);
    const read = await ctl(VIEWER_TOKEN, ['get', 'clusters']);
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stdout, /web/);
    const deleted = await ctl(VIEWER_TOKEN, ['delete', 'cluster', 'web']);
    assert.equal(deleted.code, 1);
    assert.match(deleted.stderr, /403 SLUICE_FORBIDDEN: DELETE \/v1\/cluster\/web needs the editor role/);
    assert.match(proc.stdout, /"actor":"deploy-bot".*"msg":"change committed"/);
    assert.match(proc.stdout, /"actor":"dashboard".*"code":"SLUICE_FORBIDDEN".*"msg":"change refused"/);
    for (const secret of [VIEWER_TOKEN, EDITOR_TOKEN]) assert.ok(!proc.stdout.includes(secret), 'a token in the log');
  } finally {
    assert.equal(await proc.stop(), 0);
  }
});
