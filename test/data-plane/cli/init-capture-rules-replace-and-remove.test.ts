// `sluice init-capture` in a network namespace of its own (root): the rules it installs, a second run
// that replaces them (one jump each, never two), --remove that leaves no SLUICE chain, --dry-run that
// changes nothing, and usage errors that name the flag (exit 2).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runSluice, SLUICE_BIN } from '../../support/run-sluice.js';

const run = promisify(execFile);

test('init-capture installs, replaces and removes its rules; bad flags are usage errors', { timeout: 60_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'network namespaces and iptables need root');
  const ns = `sl${process.pid}-capture-rules`;
  await run('ip', ['netns', 'add', ns]);
  t.after(() => run('ip', ['netns', 'del', ns]).catch(() => undefined));
  const inNs = async (...args: string[]): Promise<string> => (await run('ip', ['netns', 'exec', ns, ...args], { timeout: 20_000 })).stdout;
  const nat = async (): Promise<string[]> => (await inNs('iptables-save', '-t', 'nat')).split('\n').filter((l) => l.startsWith('-A '));

  const dry = await inNs(process.execPath, SLUICE_BIN, 'init-capture', '--dry-run', '--outbound-port-map', '5432=15432');
  assert.match(dry, /^-A SLUICE_OUTPUT -p tcp --dport 5432 -j REDIRECT --to-ports 15432$/m);
  assert.deepEqual(await nat(), [], 'a dry run changes nothing');

  await inNs(process.execPath, SLUICE_BIN, 'init-capture', '--exclude-inbound-ports', '15000', '--proxy-uid', '2001');
  const out = await inNs(process.execPath, SLUICE_BIN, 'init-capture', '--exclude-inbound-ports', '15000,15020', '--proxy-uid', '2002', '--proxy-gid', '2003', '--exclude-outbound-cidrs', '10.96.0.1/32');
  assert.match(out, /capture installed: inbound TCP → 15006, outbound TCP → 15001, except user 2002/);
  const rules = await nat();
  assert.equal(rules.filter((r) => r === '-A PREROUTING -p tcp -j SLUICE_INBOUND').length, 1, rules.join('\n'));
  assert.equal(rules.filter((r) => r === '-A OUTPUT -p tcp -j SLUICE_OUTPUT').length, 1, rules.join('\n'));
  assert.ok(rules.includes('-A SLUICE_OUTPUT -m owner --uid-owner 2002 -j RETURN'), rules.join('\n'));
  assert.ok(rules.includes('-A SLUICE_OUTPUT -m owner --gid-owner 2003 -j RETURN'), rules.join('\n'));
  assert.ok(!rules.some((r) => r.includes('2001')), 'the second run replaced the first');
  assert.ok(rules.includes('-A SLUICE_INBOUND -p tcp -m tcp --dport 15020 -j RETURN'), rules.join('\n'));
  assert.ok(rules.includes('-A SLUICE_OUTPUT -d 10.96.0.1/32 -j RETURN'), rules.join('\n'));
  assert.ok(rules.includes('-A SLUICE_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006'), rules.join('\n'));
  assert.ok(rules.includes('-A SLUICE_REDIRECT -p tcp -j REDIRECT --to-ports 15001'), rules.join('\n'));

  assert.match(await inNs(process.execPath, SLUICE_BIN, 'init-capture', '--remove'), /capture removed/);
  assert.deepEqual(await nat(), []);
  assert.doesNotMatch(await inNs('iptables-save', '-t', 'nat'), /SLUICE/);

  for (const [args, message] of [
    [['--inbound-port', '70000'], /--inbound-port: "70000" is not a port/],
    [['--outbound-port-map', '5432'], /--outbound-port-map: "5432" is not PORT=LOCAL/],
    [['--exclude-outbound-cidrs', '10.0.0.0/40'], /--exclude-outbound-cidrs: "10.0.0.0\/40" is not an IPv4/],
    [['--proxy-uid', 'proxy'], /--proxy-uid: "proxy" is not a numeric id/],
    [['--no-such-flag'], /Unknown option '--no-such-flag'/],
  ] as const) {
    const r = await runSluice(['init-capture', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
