// Endpoint selection, table-driven: failover by priority, panic below the threshold, and the local
// zone preferred while it has an available endpoint.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Peer } from '../../../../data-plane/src/upstream/peer.js';
import { selectPeers } from '../../../../data-plane/src/upstream/balancers/select-peers.js';

/** `name:zone:priority` with a trailing `!` for an unavailable peer, e.g. `a:z1:0`, `b:z2:1!`. */
function peersOf(spec: string): Peer[] {
  return spec
    .split(' ')
    .filter((s) => s !== '')
    .map((s, i) => {
      const down = s.endsWith('!');
      const [name, zone, priority] = (down ? s.slice(0, -1) : s).split(':');
      const p = new Peer(`10.0.0.${i + 1}`, 80, { zone: zone!, available: !down, priority: Number(priority) });
      (p as { label?: string }).label = name;
      return p;
    });
}

const labels = (peers: readonly Peer[]): string => peers.map((p) => (p as { label?: string }).label).join(' ');

const CASES: Array<{ name: string; peers: string; zone: string; panic: number; want: string }> = [
  { name: 'empty cluster', peers: '', zone: '', panic: 50, want: '' },
  { name: 'all available, one level, no zone', peers: 'a:z1:0 b:z2:0 c:z3:0', zone: '', panic: 50, want: 'a b c' },
  { name: 'unavailable peers are left out', peers: 'a:z1:0 b:z2:0! c:z3:0', zone: '', panic: 50, want: 'a c' },
  { name: 'lower priority is preferred', peers: 'a:z1:1 b:z1:0 c:z1:1', zone: '', panic: 50, want: 'b' },
  { name: 'failover when the whole level is down', peers: 'a:z1:0! b:z1:0! c:z1:1 d:z1:1', zone: '', panic: 0, want: 'c d' },
  { name: 'failover skips an empty level', peers: 'a:z1:0! b:z1:1! c:z1:2', zone: '', panic: 50, want: 'c' },
  { name: 'no spill while the level has one available (threshold off)', peers: 'a:z1:0 b:z1:0! c:z1:0! d:z1:1', zone: '', panic: 0, want: 'a' },
  { name: 'panic: under 50% available uses the whole level', peers: 'a:z1:0 b:z1:0! c:z1:0! d:z1:1', zone: '', panic: 50, want: 'a b c' },
  { name: 'exactly at the threshold is not panic', peers: 'a:z1:0 b:z1:0!', zone: '', panic: 50, want: 'a' },
  { name: 'custom threshold 80%: 3 of 4 is panic', peers: 'a:z1:0 b:z1:0 c:z1:0 d:z1:0!', zone: '', panic: 80, want: 'a b c d' },
  { name: 'nothing available, panic on: lowest level in full', peers: 'a:z1:1! b:z1:0! c:z1:0!', zone: '', panic: 50, want: 'b c' },
  { name: 'nothing available, panic off: none', peers: 'a:z1:0! b:z1:0!', zone: '', panic: 0, want: '' },
  { name: 'local zone preferred', peers: 'a:z1:0 b:z2:0 c:z1:0 d:z2:0', zone: 'z1', panic: 50, want: 'a c' },
  { name: 'local zone keeps only its available peers', peers: 'a:z1:0 b:z2:0 c:z1:0! d:z2:0', zone: 'z1', panic: 50, want: 'a' },
  { name: 'local zone empty: other zones of the level', peers: 'a:z1:0! b:z2:0 c:z3:0', zone: 'z1', panic: 0, want: 'b c' },
  { name: 'unknown local zone: every zone', peers: 'a:z1:0 b:z2:0', zone: 'z9', panic: 50, want: 'a b' },
  { name: 'priority before zone: local peers at a worse level lose', peers: 'a:z1:1 b:z2:0', zone: 'z1', panic: 50, want: 'b' },
  { name: 'zone within the level chosen by failover', peers: 'a:z1:0! b:z2:1 c:z1:1 d:z2:1', zone: 'z1', panic: 0, want: 'c' },
  { name: 'panic ignores the zone', peers: 'a:z1:0 b:z1:0! c:z2:0! d:z2:0!', zone: 'z1', panic: 50, want: 'a b c d' },
];

for (const c of CASES) {
  test(`selectPeers: ${c.name}`, () => {
    const peers = peersOf(c.peers);
    assert.equal(labels(selectPeers(peers, c.zone, c.panic)), c.want);
  });
}

test('selectPeers keeps the order of the input and returns the same Peer objects', () => {
  const peers = peersOf('a:z1:0 b:z1:0 c:z1:0');
  const out = selectPeers(peers, '', 50);
  assert.deepEqual(out, peers);
  for (let i = 0; i < out.length; i++) assert.equal(out[i], peers[i]);
});
