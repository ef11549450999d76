// The proxy's own HTTP/1.1 reader (h1-downstream.ts): plain requests are served by it, anything else
// (a body, a head split over reads, an upgrade) by node:http for the rest of the connection, and a
// client cannot tell the two apart on the wire.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createProxyServer, HttpProxy, Peer, type ProxyHttp } from '../../../data-plane/src/index.js';
import { parseSimpleRequestHead } from '../../../data-plane/src/protocols/http1/simple-request-head.js';
import { drainServer } from '../../../data-plane/src/proxy/drain-server.js';
import { startUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { rawRequest } from '../helpers/raw-http.js';

test('plain heads are read; bodies, upgrades, expectations and anything unusual are left to node:http', () => {
  const served = parseSimpleRequestHead('GET /a?b=c HTTP/1.1\r\nHost: web.test\r\nX-Empty:\r\nAccept:  */*  \r\nContent-Length: 0', 100);
  assert.deepEqual(served, { method: 'GET', url: '/a?b=c', minor: 1, rawHeaders: ['Host', 'web.test', 'X-Empty', '', 'Accept', '*/*', 'Content-Length', '0'], keepAlive: true });
  assert.equal(parseSimpleRequestHead('HEAD / HTTP/1.1\r\nhost: a\r\nConnection: keep-alive, close', 100)?.keepAlive, false);
  // HTTP/1.0: no Host needed, and the connection is kept only when asked for.
  assert.deepEqual(parseSimpleRequestHead('GET / HTTP/1.0', 100), { method: 'GET', url: '/', minor: 0, rawHeaders: [], keepAlive: false });
  assert.equal(parseSimpleRequestHead('GET / HTTP/1.0\r\nConnection: Keep-Alive', 100)?.keepAlive, true);
  const declined: Array<[string, string]> = [
    ['a body by length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5'],
    ['a chunked body', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked'],
    ['an expectation', 'PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue'],
    ['a WebSocket handshake', 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade'],
    ['Connection: upgrade alone', 'GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade'],
    ['no Host', 'GET / HTTP/1.1\r\nAccept: */*'],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: a'],
    ['absolute form', 'GET http://a/ HTTP/1.1\r\nHost: a'],
    ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nHost: a:443'],
    ['an unknown method', 'BREW / HTTP/1.1\r\nHost: a'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c'],
    ['a bare LF', 'GET / HTTP/1.1\nHost: a'],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : a'],
    ['a control byte in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7fc'],
    ['a byte above ASCII in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xe9'],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: a'],
    ['more header fields than the limit', `GET / HTTP/1.1\r\nHost: a${'\r\nX-A: 1'.repeat(3)}`],
  ];
  for (const [name, head] of declined) assert.equal(parseSimpleRequestHead(head, 3), undefined, name);
});

/** A proxy server for `app` on a free port (closed with `upstream` after the test). */
async function listen(t: TestContext, app: ProxyHttp<null>, idleTimeoutMs: number, upstream: FakeUpstream): Promise<number> {
  const server = createProxyServer(new HttpProxy(app), { idleTimeoutMs });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    server.close();
    await upstream.close();
  });
  return (server.address() as AddressInfo).port;
}

/** Sends `bytes` (an array: pieces written apart) and returns what came back once the proxy closed. */
async function exchange(port: number, bytes: string | string[]): Promise<string> {
  const r = await rawRequest(port, bytes, 5000);
  assert.ok(r.closed, `no close; got ${r.text.slice(0, 400)}`);
  return r.text;
}

/** Each response's status line, headers (lowercase names) and body, in order; `heads`: the indexes of answers to HEAD. */
function responses(text: string, heads: number[] = []): Array<{ status: number; headers: Map<string, string>; body: string }> {
  const out = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    const lines = rest.slice(0, end).split('\r\n');
    const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
    rest = rest.slice(end + 4);
    let body = '';
    if (heads.includes(out.length)) {
      // No body after the head of an answer to HEAD, whatever its Content-Length says.
    } else if (headers.has('content-length')) {
      const n = Number(headers.get('content-length'));
      body = rest.slice(0, n);
      rest = rest.slice(n);
    } else if (headers.get('transfer-encoding') === 'chunked') {
      for (;;) {
        const eol = rest.indexOf('\r\n');
        const size = parseInt(rest.slice(0, eol), 16);
        rest = rest.slice(eol + 2);
        if (size === 0) {
          rest = rest.slice(rest.indexOf('\r\n') + 2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    }
    out.push({ status: Number(lines[0]!.slice(9, 12)), headers, body });
  }
  return out;
}

test('a connection is served by the reader until a request needs node:http, then by node:http; answers are the same', async (t) => {
  const upstream = await startUpstream((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      const body = `${req.method} ${req.url} ${bytes}`;
      if (req.url === '/bad-header') {
        res.writeHead(204);
        res.end();
        return;
      }
      // /binary: every byte value, which the reader writes with its head as one latin1 string.
      if (req.url === '/binary') {
        res.end(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
        return;
      }
      // /chunked answers without a length: passed on chunked.
      if (req.url === '/chunked') res.writeHead(200, { 'content-type': 'text/plain' });
      else res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  // Which response object served each request: the reader's, or node:http's ServerResponse.
  const servedBy: string[] = [];
  const app: ProxyHttp<null> = {
    newCtx: () => null,
    requestFilter(session) {
      servedBy.push(`${session.path}:${session.res instanceof ServerResponse ? 'node' : 'reader'}`);
      return false;
    },
    upstreamPeer: () => new Peer('127.0.0.1', upstream.port),
    // A field node:http would refuse to write, added by a hook to a bodiless 204.
    responseFilter(session, response) {
      if (session.path === '/bad-header') response.headers.set('x-bad', 'a\r\nb');
    },
  };
  const port = await listen(t, app, 5000, upstream);
  const H = 'Host: web.test\r\n';

  // Pipelined in one write: two plain requests, one with a body, one more plain, the last closing.
  const text = await exchange(port, [
    `GET /one HTTP/1.1\r\n${H}\r\nHEAD /two HTTP/1.1\r\n${H}\r\nPOST /three HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhelloGET /four HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
  ]);
  const got = responses(text, [1]);
  assert.deepEqual(got.map((r) => [r.status, r.body]), [[200, 'GET /one 0'], [200, ''], [200, 'POST /three 5'], [200, 'GET /four 0']]);
  assert.deepEqual(servedBy.splice(0), ['/one:reader', '/two:reader', '/three:node', '/four:node']);
  // The reader's heads carry what node:http's do: Date, keep-alive and its timeout; HEAD keeps the length.
  assert.equal(got[0]!.headers.get('connection'), 'keep-alive');
  assert.equal(got[0]!.headers.get('keep-alive'), 'timeout=5');
  assert.match(got[0]!.headers.get('date') ?? '', /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
  assert.equal(got[1]!.headers.get('content-length'), '11');
  assert.equal(got[3]!.headers.get('connection'), 'close');

  // A body of unknown length goes out chunked; Connection: close is honoured by the reader too.
  const chunked = responses(await exchange(port, [`GET /chunked HTTP/1.1\r\n${H}Connection: close\r\n\r\n`]));
  assert.equal(chunked[0]!.headers.get('transfer-encoding'), 'chunked');
  assert.equal(chunked[0]!.body, 'GET /chunked 0');
  assert.equal(chunked[0]!.headers.get('connection'), 'close');
  assert.deepEqual(servedBy.splice(0), ['/chunked:reader']);

  // A small body with every byte value arrives as it left the upstream.
  const binary = responses(await exchange(port, [`GET /binary HTTP/1.1\r\n${H}Connection: close\r\n\r\n`]));
  assert.deepEqual(Buffer.from(binary[0]!.body, 'latin1'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  assert.deepEqual(servedBy.splice(0), ['/binary:reader']);

  // The refused field turns the 204 into the proxy's 502, framed with its own body, and the
  // connection goes on to the next request.
  const refused = responses(await exchange(port, [`GET /bad-header HTTP/1.1\r\n${H}\r\nGET /after HTTP/1.1\r\n${H}Connection: close\r\n\r\n`]));
  assert.deepEqual(refused.map((r) => r.status), [502, 200]);
  assert.ok(refused[0]!.body.length > 0 && refused[0]!.body.length === Number(refused[0]!.headers.get('content-length')));
  assert.equal(refused[0]!.headers.get('x-bad'), undefined);
  assert.equal(refused[1]!.body, 'GET /after 0');
  assert.deepEqual(servedBy.splice(0), ['/bad-header:reader', '/after:reader']);

  // A head split over two reads: node:http reads it (and keeps the connection).
  const split = responses(await exchange(port, [`GET /split HTTP/1.1\r\n${H}`, `Connection: close\r\n\r\n`]));
  assert.deepEqual(split.map((r) => [r.status, r.body]), [[200, 'GET /split 0']]);
  assert.deepEqual(servedBy.splice(0), ['/split:node']);

  // HTTP/1.0 (openssl s_time, old clients): served by the reader; a body of unknown length ends
  // with the connection, and the connection closes unless the client asked to keep it.
  const old = await exchange(port, ['GET /chunked HTTP/1.0\r\n\r\n']);
  assert.match(old, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(old, /\r\nConnection: close\r\n/);
  assert.doesNotMatch(old, /transfer-encoding/i);
  assert.ok(old.endsWith('\r\n\r\nGET /chunked 0'), old);
  const kept = responses(await exchange(port, ['GET /kept HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /last HTTP/1.0\r\n\r\n']));
  assert.deepEqual(kept.map((r) => [r.body, r.headers.get('connection')]), [['GET /kept 0', 'keep-alive'], ['GET /last 0', 'close']]);
  assert.deepEqual(servedBy.splice(0), ['/chunked:reader', '/kept:reader', '/last:reader']);
});

test('the reader closes a keep-alive connection left idle past the listener idle timeout (and its margin)', async (t) => {
  const upstream = await startUpstream((_req, res) => res.end('ok'));
  const app: ProxyHttp<null> = { newCtx: () => null, upstreamPeer: () => new Peer('127.0.0.1', upstream.port) };
  const port = await listen(t, app, 200, upstream);
  const started = Date.now();
  const text = await exchange(port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
  const idleMs = Date.now() - started;
  assert.equal(responses(text)[0]!.body, 'ok');
  // node:http's rule: keepAliveTimeout plus one second.
  assert.ok(idleMs >= 1100 && idleMs < 4000, `closed after ${idleMs} ms`);
});

test('a drain closes the reader connections left idle at its grace, long before its deadline', async (t) => {
  const upstream = await startUpstream((_req, res) => res.end('ok'));
  const app: ProxyHttp<null> = { newCtx: () => null, upstreamPeer: () => new Peer('127.0.0.1', upstream.port) };
  const server = createProxyServer(new HttpProxy(app), { idleTimeoutMs: 60_000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => upstream.close());
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.after(() => socket.destroy());
  const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  socket.on('error', () => {});
  socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await answered;
  const started = Date.now();
  const drained = drainServer(server, 10_000, 200);
  const closedAfterMs = (await closed) - started;
  await drained;
  assert.ok(closedAfterMs >= 150 && closedAfterMs < 2000, `closed ${closedAfterMs} ms into the drain`);
});
