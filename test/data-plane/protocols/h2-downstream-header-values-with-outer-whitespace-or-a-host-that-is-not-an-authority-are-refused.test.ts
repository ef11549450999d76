// RFC 9113 §8.2.1: a field value must not begin or end with SP or HTAB; a request that has one is
// malformed. HTTP/1.1's parser strips them, so a value the proxy passes as " admin.example" is the
// upstream's "admin.example": routes and policies keyed on the value miss what the upstream matches.
// And `host`, which stands in for a missing :authority (§8.3.1), is held to the same grammar
// (host[:port]): "user@evil.example:80/x?y" is not an authority. Each such request is refused on its
// own stream (RST_STREAM PROTOCOL_ERROR), nothing of it reaches the upstream, and the connection keeps
// serving: a normal request on it afterwards gets its answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startInProcess } from './support/h2-listener.js';
import { getRequest, plainBlock, RawH2Client } from './support/raw-h2-client.js';

const noAuthority = (path: string, more: string[]): string[] => [':method', 'GET', ':scheme', 'http', ':path', path, ...more];

const CASES: ReadonlyArray<readonly [string, string[]]> = [
  ['a value with a leading and a trailing space', getRequest('/ws/space', ['x-api-key', ' secret '])],
  ['a value with a trailing space', getRequest('/ws/trailing-space', ['x-api-key', 'secret '])],
  ['a value with a leading tab', getRequest('/ws/leading-tab', ['x-api-key', '\tsecret'])],
  ['a value with a trailing tab', getRequest('/ws/trailing-tab', ['x-api-key', 'secret\t'])],
  ['host with outer space and tab, no :authority', noAuthority('/ws/host-space', ['host', ' admin.example\t'])],
  ['host "user@evil.example:80/x?y", no :authority', noAuthority('/ws/host-userinfo', ['host', 'user@evil.example:80/x?y'])],
  ['host "a.example, b.example", no :authority', noAuthority('/ws/host-list', ['host', 'a.example, b.example'])],
];

test('outer whitespace in a value, or a host outside host[:port], is refused per stream and reaches no upstream', { timeout: 20_000 }, async (t) => {
  const { port, upstream } = await startInProcess(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();

  const { failures, nextId } = await client.sendEachExpectingStreamRefusal(CASES);
  let id = nextId;
  assert.deepEqual(failures, []);

  // The connection was not ended, and a normal request on it is served (with a plain host, too).
  assert.equal(client.goaways().length, 0, `GOAWAY: ${client.describe(4)}`);
  client.write(client.headersBlock(id, plainBlock(getRequest('/normal'))));
  const normal = await client.waitForStreamEnd(id, 3000);
  assert.equal(normal.status, 200, client.describe(4));
  id += 2;
  client.write(client.headersBlock(id, plainBlock(noAuthority('/normal-host', ['host', 'h2.test:8080']))));
  const hosted = await client.waitForStreamEnd(id, 3000);
  assert.equal(hosted.status, 200, client.describe(4));

  // Nothing of the refused requests reached the upstream.
  const reached = upstream.seen.map((r) => r.url);
  assert.deepEqual(reached, ['/normal', '/normal-host'], `the upstream saw ${JSON.stringify(reached)}`);
});
