// `sluice control-plane`'s webhook flags: off by default, the certificate's DNS names default to the
// Service's in the control plane's namespace, and flags that cannot work are usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseControlPlaneArgs } from '../../control-plane/src/cli/control-plane-options.js';
import { UsageError } from '../../proto/src/command-line/usage-error.js';

const TOKEN_ENV = { SLUICE_TOKEN: 'a-token' };

function parse(args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof parseControlPlaneArgs> {
  return parseControlPlaneArgs(args, { ...TOKEN_ENV, ...env });
}

test('without --webhook-listen there is no webhook', () => {
  const options = parse([]);
  assert.ok(options !== 'help');
  assert.equal(options.webhook, undefined);
});

test('the DNS names default to Service sluice-control-plane in POD_NAMESPACE, else sluice-system; image and control plane to deploy/\'s', () => {
  const inCluster = parse(['--webhook-listen', '0.0.0.0:15017'], { POD_NAMESPACE: 'mesh' });
  assert.ok(inCluster !== 'help');
  assert.deepEqual(inCluster.webhook, {
    listen: { host: '0.0.0.0', port: 15017 },
    dnsNames: ['sluice-control-plane.mesh.svc', 'sluice-control-plane.mesh.svc.cluster.local', 'sluice-control-plane.mesh', 'sluice-control-plane'],
    injection: { image: 'sluice:0.1.0', controlPlane: 'sluice-discovery.sluice-system.svc:15010' },
  });
  const elsewhere = parse(['--webhook-listen', '127.0.0.1:0', '--webhook-dns-names', 'injector.example.com, injector', '--inject-image', 'registry.example.com/sluice:1.2.3', '--inject-control-plane', 'discovery.mesh.svc:15010']);
  assert.ok(elsewhere !== 'help');
  assert.deepEqual(elsewhere.webhook?.dnsNames, ['injector.example.com', 'injector']);
  assert.deepEqual(elsewhere.webhook?.injection, { image: 'registry.example.com/sluice:1.2.3', controlPlane: 'discovery.mesh.svc:15010' });
  const outside = parse(['--webhook-listen', '127.0.0.1:0']);
  assert.ok(outside !== 'help');
  assert.equal(outside.webhook?.dnsNames[0], 'sluice-control-plane.sluice-system.svc', 'no POD_NAMESPACE: deploy/base\'s namespace');
});

test('flags that cannot work are usage errors naming the flag', () => {
  const refused: [string[], RegExp][] = [
    [['--inject-image', 'sluice:1'], /--inject-image needs --webhook-listen/],
    [['--webhook-dns-names', 'a'], /--webhook-dns-names needs --webhook-listen/],
    [['--webhook-listen', 'nowhere'], /--webhook-listen must be HOST:PORT/],
    [['--webhook-listen', ':15017', '--webhook-dns-names', 'Bad_Name.svc'], /--webhook-dns-names: "Bad_Name\.svc" is not a DNS name/],
    [['--webhook-listen', ':15017', '--inject-control-plane', 'discovery'], /--inject-control-plane must be HOST:PORT/],
  ];
  for (const [args, message] of refused) assert.throws(() => parse(args), (err: unknown) => err instanceof UsageError && message.test(err.message), args.join(' '));
  assert.throws(() => parseControlPlaneArgs(['--webhook-listen', ':15017'], TOKEN_ENV, false), /--webhook-listen is not an option here/);
});
