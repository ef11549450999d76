// The reader's response (h1-response.ts) reads the Connection and Transfer-Encoding fields a hook
// sets as comma-separated tokens, as upstream heads are read (hop-by-hop.ts): `x-close-later` is not
// `close`, and a body is chunk-framed only when chunked is the final coding.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { H1Response } from '../../../data-plane/src/protocols/http1/h1-response.js';

/** A connected socket pair on 127.0.0.1: the server's end and the client's. */
async function socketPair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const client = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const [server] = (await once(listener, 'connection')) as [Socket];
  return { server, client, close: () => (client.destroy(), server.destroy(), listener.close()) };
}

const owner = { finished: () => {} };

test('Connection and Transfer-Encoding set on a response are read as tokens', async (t) => {
  const { server, client, close } = await socketPair();
  t.after(close);
  const response = () => new H1Response(server, owner, 'GET', true, true, 5000);

  assert.equal(response().writeHead(200, ['Connection', 'x-close-later', 'Content-Length', '0']).last, false);
  assert.equal(response().writeHead(200, ['Connection', 'keep-alive, Close', 'Content-Length', '0']).last, true);

  const received: Buffer[] = [];
  client.on('data', (b: Buffer) => received.push(b));
  const text = async (): Promise<string> => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return Buffer.concat(received.splice(0)).toString('latin1');
  };
  // gzip, then chunked: the proxy frames the chunks.
  response().writeHead(200, ['Transfer-Encoding', 'gzip, chunked']).end('hi');
  assert.match(await text(), /\r\n\r\n2\r\nhi\r\n0\r\n\r\n$/);
  // chunked, then gzip: not chunk-framed by the proxy (the bytes go as given).
  const last = response();
  last.writeHead(200, ['Transfer-Encoding', 'chunked, gzip']).write(Buffer.from('hi'));
  assert.match(await text(), /\r\n\r\nhi$/);
});
