// `sluice proxy --admin-advertise`: the admin address a proxy tells the control plane (Node.admin_address,
// `adminAddress` in GET /v1/proxies), where `sluice ctl proxy-config` reads its configuration. By default
// the --admin-listen address, but only when another machine could use it as it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyArgs, type ProxyOptions } from '../../../data-plane/src/cli/proxy-options.js';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';

const CP = ['--control-plane', '10.0.0.1:15010', '--node-id', 'gw-1', '--token-file', '/t'];

function advertised(...argv: string[]): string {
  return (parseProxyArgs([...CP, ...argv]) as ProxyOptions).adminAdvertise;
}

test('the --admin-listen address is advertised unless it is a wildcard, port 0 or off', () => {
  assert.equal(advertised(), '127.0.0.1:15000');
  assert.equal(advertised('--admin-listen', '10.1.2.3:9901'), '10.1.2.3:9901');
  assert.equal(advertised('--admin-listen', '[fd00::7]:15000'), '[fd00::7]:15000');
  assert.equal(advertised('--admin-listen', '0.0.0.0:15000'), '', 'every address of the pod: which one is for others to say');
  assert.equal(advertised('--admin-listen', '[::]:15000'), '');
  assert.equal(advertised('--admin-listen', '127.0.0.1:0'), '', 'the port is known only once bound, after the stream opened');
  assert.equal(advertised('--admin-listen', 'off'), '');
});

test('--admin-advertise HOST:PORT is sent as given; off sends none; a malformed one is a usage error', () => {
  assert.equal(advertised('--admin-listen', '0.0.0.0:15000', '--admin-advertise', '10.244.1.7:15000'), '10.244.1.7:15000');
  assert.equal(advertised('--admin-advertise', '[fd00::9]:15000'), '[fd00::9]:15000');
  assert.equal(advertised('--admin-advertise', 'off'), '');
  for (const bad of ['10.0.0.1', '10.0.0.1:0', ':15000', 'host:99999']) {
    assert.throws(() => advertised('--admin-advertise', bad), (err: unknown) => err instanceof UsageError && /--admin-advertise must be HOST:PORT/.test(err.message), bad);
  }
});
