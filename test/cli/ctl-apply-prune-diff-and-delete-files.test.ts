// `sluice ctl apply --prune --applyset`, `ctl diff -f` and `ctl delete -f` against a real control plane:
// prune removes what the file dropped and nothing outside the set, diff prints a unified diff with
// kubectl diff's exit statuses, delete -f is all or nothing and takes absent resources as "not found".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';
import { runSluice } from '../support/run-sluice.js';

let api: TestApi;
let dir: string;
before(async () => {
  api = await TestApi.start();
  dir = mkdtempSync(join(tmpdir(), 'sluice-ctl-prune-'));
});
after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ctl = (...args: string[]) => runSluice(['ctl', ...args], { env: { SLUICE_SERVER: api.url, SLUICE_TOKEN: TEST_TOKEN } });
const cluster = (name: string) => `kind: Cluster\nname: ${name}\nendpoints:\n  - address: 127.0.0.1\n    port: 19081\n`;
const route = (name: string, to: string, hosts = '["shop.local"]') => `kind: Route\nname: ${name}\nhosts: ${hosts}\nmatch:\n  pathPrefix: /${name}/\nforward:\n  cluster: ${to}\n`;
function file(name: string, ...docs: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, docs.join('---\n'));
  return path;
}
const exists = async (kind: string, name: string) => (await api.get(`/v1/${kind}/${name}`)).status === 200;

test('apply --prune --applyset removes what the file dropped, and nothing outside the set', async () => {
  const outside = await ctl('apply', '-f', file('outside.yaml', cluster('outside'), route('outside-r', 'outside')));
  assert.equal(outside.code, 0, outside.stderr);
  const v1 = await ctl('apply', '--prune', '--applyset', 'shop', '-f', file('shop-v1.yaml', cluster('shop'), route('shop-cart', 'shop'), route('shop-old', 'shop')));
  assert.equal(v1.code, 0, v1.stderr);
  assert.equal(v1.stdout, `cluster/shop created\nroute/shop-cart created\nroute/shop-old created\nrevision ${/revision (\d+)/.exec(v1.stdout)![1]}\n`);

  const v2 = await ctl('apply', '--prune', '--applyset', 'shop', '-f', file('shop-v2.yaml', cluster('shop'), route('shop-cart', 'shop')));
  assert.equal(v2.code, 0, v2.stderr);
  assert.match(v2.stdout, /^cluster\/shop unchanged\nroute\/shop-cart unchanged\nroute\/shop-old pruned\nrevision \d+\n$/);
  assert.equal(await exists('routes', 'shop-old'), false);
  assert.equal(await exists('routes', 'shop-cart'), true);
  assert.equal(await exists('routes', 'outside-r'), true, 'a resource applied outside the set is never pruned');
  assert.equal(await exists('clusters', 'outside'), true);
});

test('a resource of another apply set is refused, naming that set; prune needs an apply set (usage, exit 2)', async () => {
  const taken = await ctl('apply', '--prune', '--applyset', 'intruder', '-f', file('intruder.yaml', route('shop-cart', 'shop'), route('intruder-r', 'shop')));
  assert.equal(taken.code, 1);
  assert.equal(taken.stderr, 'error: 409 SLUICE_CONFLICT: 1 resource of this apply belongs to another apply set\n' +
    '  routes[shop-cart]: belongs to apply set "shop": apply it with --applyset shop, or drop it from that set\'s files and apply them first\n');
  assert.equal(await exists('routes', 'intruder-r'), false);
  for (const args of [['apply', '--prune', '-f', 'x.yaml'], ['apply', '--applyset', 'shop', '-f', 'x.yaml'], ['diff', '--prune', '-f', 'x.yaml'], ['delete', '--prune', '-f', 'x.yaml']]) {
    const res = await ctl(...args);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
  }
});

test('a pruned resource still referenced from outside the apply refuses the whole apply', async () => {
  const setup = await ctl('apply', '--prune', '--applyset', 'backends', '-f', file('backends-v1.yaml', cluster('backend-a'), cluster('backend-b')));
  assert.equal(setup.code, 0, setup.stderr);
  assert.equal((await ctl('apply', '-f', file('user.yaml', route('uses-b', 'backend-b')))).code, 0);
  const res = await ctl('apply', '--prune', '--applyset', 'backends', '-f', file('backends-v2.yaml', cluster('backend-a'), cluster('backend-c')));
  assert.equal(res.code, 1);
  assert.match(res.stderr, /^error: 409 SLUICE_REFERENCED: clusters\[backend-b\] is still referenced\n  clusters\[backend-b\]: still referenced by routes\[uses-b\]\.forward\.cluster\n$/);
  assert.equal(await exists('clusters', 'backend-c'), false, 'nothing of the refused apply is stored');
  assert.equal(await exists('clusters', 'backend-b'), true);
});

test('diff -f: exit 0 and nothing printed without differences; exit 1 with a unified diff of updates, creations and prunes', async () => {
  const same = await ctl('diff', '--prune', '--applyset', 'shop', '-f', join(dir, 'shop-v2.yaml'));
  assert.deepEqual([same.code, same.stdout, same.stderr], [0, '', '']);
  const before = (await api.get('/v1/routes')).headers.get('sluice-revision');
  const changed = file('shop-v3.yaml', cluster('shop'), route('shop-cart', 'shop', '["shop.local", "www.shop.local"]'), route('shop-new', 'shop'));
  const res = await ctl('diff', '--prune', '--applyset', 'shop', '-f', changed);
  assert.equal(res.code, 1, res.stderr);
  assert.equal(res.stdout, [
    '--- route/shop-cart (live)',
    '+++ route/shop-cart (files)',
    '@@ -2,6 +2,7 @@',
    ' name: shop-cart',
    ' hosts:',
    '   - shop.local',
    '+  - www.shop.local',
    ' match:',
    '   pathPrefix: /shop-cart/',
    ' forward:',
    '--- /dev/null',
    '+++ route/shop-new (files)',
    '@@ -0,0 +1,8 @@',
    '+kind: Route',
    '+name: shop-new',
    '+hosts:',
    '+  - shop.local',
    '+match:',
    '+  pathPrefix: /shop-new/',
    '+forward:',
    '+  cluster: shop',
    '',
  ].join('\n'));
  const dropped = await ctl('diff', '--prune', '--applyset', 'shop', '-f', file('shop-only-cluster.yaml', cluster('shop')));
  assert.equal(dropped.code, 1);
  assert.match(dropped.stdout, /^--- route\/shop-cart \(live\)\n\+\+\+ \/dev\/null \(pruned\)\n@@ -1,8 \+0,0 @@\n-kind: Route\n-name: shop-cart\n/);
  assert.equal((await api.get('/v1/routes')).headers.get('sluice-revision'), before, 'diff changes nothing');
  assert.equal(await exists('routes', 'shop-new'), false);
});

test('diff -f exits 3 when the API refuses, with its errors; apply --dry-run changes nothing', async () => {
  const refused = await ctl('diff', '-f', file('broken.yaml', route('broken', 'missing-cluster')));
  assert.equal(refused.code, 3);
  assert.equal(refused.stderr, 'error: 400 SLUICE_VALIDATION: 1 reference error\n  routes[broken].forward.cluster: unknown cluster "missing-cluster"\n');
  const dry = await ctl('apply', '--dry-run', '--prune', '--applyset', 'shop', '-f', join(dir, 'shop-v3.yaml'));
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^cluster\/shop unchanged \(dry run\)\nroute\/shop-cart updated \(dry run\)\nroute\/shop-new created \(dry run\)\nrevision \d+ \(dry run: nothing was changed\)\n$/);
  assert.equal(await exists('routes', 'shop-new'), false);
});

test('delete -f deletes every resource named, in one transaction; absent ones are "not found"; a dangling reference refuses all', async () => {
  const refused = await ctl('delete', '-f', file('delete-cluster-only.yaml', cluster('shop')));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^error: 409 SLUICE_REFERENCED: clusters\[shop\] is still referenced\n  clusters\[shop\]: still referenced by routes\[shop-cart\]\.forward\.cluster\n$/);
  assert.equal(await exists('clusters', 'shop'), true);

  const dry = await ctl('delete', '--dry-run', '-f', join(dir, 'shop-v3.yaml'));
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^cluster\/shop deleted \(dry run\)\nroute\/shop-cart deleted \(dry run\)\nroute\/shop-new not found \(dry run\)\n/);
  assert.equal(await exists('clusters', 'shop'), true);

  const res = await ctl('delete', '-f', join(dir, 'shop-v3.yaml'));
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^cluster\/shop deleted\nroute\/shop-cart deleted\nroute\/shop-new not found\nrevision \d+\n$/);
  assert.equal(await exists('clusters', 'shop'), false);
  assert.equal(await exists('routes', 'shop-cart'), false);
  // The deleted resources left the set's record: recreated outside any set, another set may take them
  // (were "shop" still listing them, it would be refused as theirs).
  const recreated = file('shop-plain.yaml', cluster('shop'), route('shop-cart', 'shop'));
  assert.equal((await ctl('apply', '-f', recreated)).code, 0);
  const adopted = await ctl('apply', '--prune', '--applyset', 'storefront', '-f', recreated);
  assert.equal(adopted.code, 0, adopted.stderr);
  assert.match(adopted.stdout, /^cluster\/shop unchanged\nroute\/shop-cart unchanged\nrevision \d+\n$/);
  const gone = await ctl('delete', '-f', file('nothing-there.yaml', route('never-was', 'shop')));
  assert.equal(gone.code, 0, gone.stderr);
  assert.match(gone.stdout, /^route\/never-was not found\n/);
});
