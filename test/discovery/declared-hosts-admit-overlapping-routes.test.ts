// Which mesh-wide routes a declaration lets through: those whose host patterns could serve a declared
// host (exact, `*.suffix` either side, `*`), case-insensitively.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EgressHosts } from '../../control-plane/src/discovery/egress-hosts.js';

test('a route is admitted when one of its hosts overlaps one declared host', () => {
  const declared = new EgressHosts(['b.mesh', '*.shop.local', 'API.example.com']);
  const cases: Array<[string[], boolean]> = [
    [['b.mesh'], true],
    [['c.mesh', 'b.mesh'], true],
    [['c.mesh'], false],
    [['*'], true], // a catch-all route could serve b.mesh
    [[], true], // no hosts: any host
    [['*.mesh'], true], // b.mesh falls under it
    [['*.other'], false],
    [['cart.shop.local'], true], // under the declared wildcard
    [['shop.local'], false], // a wildcard needs at least one label before its suffix
    [['*.local'], true], // overlaps *.shop.local
    [['*.x.shop.local'], true],
    [['api.example.com'], true],
    [['*.api.example.com'], false],
  ];
  for (const [hosts, admitted] of cases) assert.equal(declared.admits(hosts), admitted, JSON.stringify(hosts));
});

test('an empty declaration (a workload that calls nothing) admits no route, not even a catch-all', () => {
  const none = new EgressHosts([]);
  for (const hosts of [['b.mesh'], ['*.mesh'], ['*'], []]) assert.equal(none.admits(hosts), false, JSON.stringify(hosts));
});
