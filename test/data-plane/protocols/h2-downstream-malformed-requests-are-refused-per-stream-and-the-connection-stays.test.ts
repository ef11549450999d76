// Malformed HTTP/2 requests (RFC 9113 §8.1.1, §8.2, §8.3): each is a stream error (RST_STREAM
// PROTOCOL_ERROR) or a 400, never passed to the upstream, and never the end of the connection, which
// the RFC does not ask for: the next request on the same connection is served. The cases: a missing
// :method, :path or :scheme; an uppercase field name; a connection-specific field (`connection:
// keep-alive`); `te` other than "trailers"; a pseudo-header after a regular field; an unknown
// pseudo-header; and a body that does not match its content-length (shorter and longer).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startInProcess } from './support/h2-listener.js';
import { dataFrame, getRequest, H2ErrorCode, h2ErrorName, plainBlock, RawH2Client, type StreamOutcome } from './support/raw-h2-client.js';

const refusedOk = (o: StreamOutcome): boolean => o.rstCode === H2ErrorCode.PROTOCOL_ERROR || o.status === 400;
const show = (o: StreamOutcome): string => `status ${o.status ?? '-'}, reset ${o.rstCode === undefined ? '-' : h2ErrorName(o.rstCode)}`;

const CASES: ReadonlyArray<readonly [string, string[]]> = [
  ['no :method', [':scheme', 'http', ':authority', 'h2.test', ':path', '/no-method']],
  ['no :path', [':method', 'GET', ':scheme', 'http', ':authority', 'h2.test']],
  ['no :scheme', [':method', 'GET', ':authority', 'h2.test', ':path', '/no-scheme']],
  ['uppercase field name', getRequest('/upper', ['X-Upper', 'v'])],
  ['connection: keep-alive', getRequest('/connection', ['connection', 'keep-alive'])],
  ['te: gzip', getRequest('/te', ['te', 'gzip'])],
  ['pseudo-header after a regular field', [':method', 'GET', ':scheme', 'http', 'x-first', '1', ':authority', 'h2.test', ':path', '/late-pseudo']],
  ['unknown pseudo-header', getRequest('/unknown-pseudo', [':protocol-x', 'y'])],
];

test('malformed request headers get RST_STREAM PROTOCOL_ERROR or 400; the connection keeps serving', { timeout: 20_000 }, async (t) => {
  const { port, upstream } = await startInProcess(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();

  let id = 1;
  const failures: string[] = [];
  for (const [name, fields] of CASES) {
    const stream = id;
    id += 2;
    // Literal fields only: whatever the server does with the block, the two HPACK tables stay in step.
    client.write(client.headersBlock(stream, plainBlock(fields)));
    let o: StreamOutcome;
    try {
      o = await client.waitForStreamEnd(stream, 3000);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message.slice(0, 300)}`);
      if (client.closed) break;
      continue;
    }
    t.diagnostic(`${name}: ${show(o)}`);
    if (!refusedOk(o)) failures.push(`${name}: ${show(o)}`);
    if (client.goaways().length > 0 || client.closed) {
      failures.push(`${name}: the connection was ended (${client.describe(2)})`);
      break;
    }
    // The connection still serves.
    const good = id;
    id += 2;
    client.write(client.headersBlock(good, plainBlock(getRequest(`/after/${stream}`))));
    const g = await client.waitForStreamEnd(good, 3000).catch(() => undefined);
    if (g?.status !== 200) failures.push(`${name}: the next request got ${g === undefined ? 'nothing' : show(g)}`);
  }
  const leaked = upstream.seen.map((r) => r.url).filter((u) => !u?.startsWith('/after/'));
  assert.deepEqual(failures, []);
  assert.deepEqual(leaked, [], 'malformed requests reached the upstream');
});

test('a body that does not match content-length is refused per stream; the connection keeps serving', { timeout: 20_000 }, async (t) => {
  const seen: Array<{ url: string | undefined; bytes: number; complete: boolean }> = [];
  const { port } = await startInProcess(t, (req, res) => {
    let bytes = 0;
    const entry = { url: req.url, bytes: 0, complete: false };
    seen.push(entry);
    req.on('data', (c: Buffer) => (entry.bytes = bytes += c.length));
    req.on('end', () => {
      entry.complete = true;
      res.end(`got ${bytes}`);
    });
    req.on('error', () => {});
  });
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();

  const failures: string[] = [];
  const cases: ReadonlyArray<readonly [string, number, number]> = [
    ['shorter body', 10, 3],
    ['longer body', 3, 10],
  ];
  let id = 1;
  for (const [name, declared, sent] of cases) {
    const stream = id;
    id += 2;
    client.write(
      client.headersBlock(stream, plainBlock([':method', 'POST', ':scheme', 'http', ':authority', 'h2.test', ':path', `/cl/${stream}`, 'content-length', String(declared)]), false),
      dataFrame(stream, Buffer.alloc(sent, 0x61), true),
    );
    const o = await client.waitForStreamEnd(stream, 3000).catch((err: Error) => err);
    if (o instanceof Error) failures.push(`${name}: ${o.message.slice(0, 300)}`);
    else t.diagnostic(`${name}: ${show(o)}`);
    if (!(o instanceof Error) && !refusedOk(o)) failures.push(`${name}: ${show(o)} body ${JSON.stringify(o.body.toString())}`);
    if (client.goaways().length > 0 || client.closed) {
      failures.push(`${name}: the connection was ended (${client.describe(2)})`);
      break;
    }
    const good = id;
    id += 2;
    client.write(client.headersBlock(good, plainBlock(getRequest(`/after/${stream}`))));
    const g = await client.waitForStreamEnd(good, 3000).catch(() => undefined);
    if (g?.status !== 200) failures.push(`${name}: the next request got ${g === undefined ? 'nothing' : show(g)}`);
  }
  const completed = seen.filter((s) => s.url?.startsWith('/cl/') && s.complete);
  assert.deepEqual(failures, []);
  assert.deepEqual(completed, [], 'a request whose body did not match its content-length reached the upstream whole');
});
