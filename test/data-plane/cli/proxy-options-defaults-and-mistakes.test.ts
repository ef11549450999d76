// `sluice proxy` flags: the defaults an operator gets, every flag in --help, and each mistake refused
// with a UsageError (exit 2) naming the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProxyArgs, PROXY_USAGE, type ProxyOptions } from '../../../data-plane/src/cli/proxy-options.js';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';

const CP = ['--control-plane', '10.0.0.1:15010, 10.0.0.2:15010', '--node-id', 'gw-1', '--service', 'gateway', '--token-file', '/t'];

function parse(argv: string[]): ProxyOptions {
  const options = parseProxyArgs(argv);
  assert.notEqual(options, 'help');
  return options as ProxyOptions;
}

test('--control-plane: every replica, the node, and the defaults', () => {
  const o = parse(CP);
  assert.deepEqual(o.controlPlane, ['10.0.0.1:15010', '10.0.0.2:15010']);
  assert.equal(o.nodeId, 'gw-1');
  assert.equal(o.service, 'gateway');
  assert.equal(o.zone, '');
  assert.equal(o.stateDir, join(tmpdir(), 'sluice-proxy-gw-1'));
  assert.equal(o.initialFetchTimeoutMs, 5000);
  assert.equal(o.trafficIntervalMs, 5000);
  assert.equal(parse([...CP, '--traffic-interval-ms', '0']).trafficIntervalMs, 0, '0 turns the summaries off');
  assert.equal(parse([...CP, '--traffic-interval-ms', '15000']).trafficIntervalMs, 15000);
  assert.deepEqual(o.admin, { host: '127.0.0.1', port: 15000 });
  assert.ok(Object.isFrozen(o));
  assert.equal(parse([...CP, '--admin-listen', 'off']).admin, undefined);
  assert.equal(parse([...CP, '--zone', 'eu-1a', '--state-dir', '/var/lib/sluice']).stateDir, '/var/lib/sluice');
});

test('--help names every flag the parser takes', () => {
  assert.equal(parseProxyArgs(['--help']), 'help');
  const flags = ['--config', '--control-plane', '--node-id', '--service', '--zone', '--token-file', '--state-dir', '--initial-fetch-timeout-ms', '--traffic-interval-ms', '--admin-listen', '--workers', '--outbound-listen', '--inbound-listen', '--app-port'];
  for (const flag of flags) assert.match(PROXY_USAGE, new RegExp(`${flag}\\b`), flag);
});

test('mistakes are UsageErrors that name the flag', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /--config or --control-plane is required/],
    [['--config', 'a.yaml', ...CP], /exclude each other/],
    [[...CP, '--workers', '0'], /--workers must be a positive integer/],
    [[...CP, '--admin-listen', '15000'], /--admin-listen must be HOST:PORT/],
    [[...CP, '--inbound-listen', '127.0.0.1:15006'], /--inbound-listen and --app-port go together/],
    [[...CP, '--initial-fetch-timeout-ms', 'soon'], /--initial-fetch-timeout-ms must be a positive integer/],
    [[...CP, '--traffic-interval-ms', '500'], /--traffic-interval-ms must be 0 \(off\) or an integer of at least 1000/],
    [[...CP, '--traffic-interval-ms', ''], /--traffic-interval-ms must be 0/],
    [['--control-plane', ' , '], /at least one HOST:PORT/],
    [[...CP, '--no-such-flag'], /no-such-flag/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseProxyArgs(argv), (err: unknown) => err instanceof UsageError && message.test((err as Error).message), argv.join(' '));
  }
});
