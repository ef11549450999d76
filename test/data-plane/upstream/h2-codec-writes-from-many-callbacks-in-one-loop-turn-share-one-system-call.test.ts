// An HTTP/2 connection's first write in a turn of the event loop goes out at once (on nextTick), so
// a lone request or response waits for nothing. Writes that later callbacks of the same turn make
// (under load: the responses of many upstream sockets, all for one client connection) wait for the
// turn's end and go out together, one system call instead of one each. A long batch does not wait
// for its end: every 32 writes go out at once, so the peer starts on them while the rest is framed.
// Checked on the upstream client's socket; the server session shares the connection code.
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { test } from 'node:test';
import { settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameType } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import type { UpstreamConnection } from '../../../data-plane/src/upstream/upstream-client.js';
import { delay, poolTo, RawH2Server, RecordingHandler, request, waitUntil } from './support/raw-h2-server.js';

/** Counts the writes (system calls, for a corked socket) of the socket whose local port is `port`, with `marks` in between. */
function recordWrites(port: number, log: string[]): () => void {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const write = proto._write;
  const writev = proto._writev;
  proto._write = function (this: Socket, ...args: unknown[]) {
    if (this.localPort === port) log.push('write');
    return write.apply(this, args);
  };
  proto._writev = function (this: Socket, ...args: unknown[]) {
    if (this.localPort === port) log.push('write');
    return writev.apply(this, args);
  };
  return () => {
    proto._write = write;
    proto._writev = writev;
  };
}

/** Runs each function in its own timer callback, all in one turn of the event loop; resolves after that turn. */
function inOneTurn(fns: Array<() => void>, log: string[]): Promise<void> {
  return new Promise((resolve) => {
    for (const [i, fn] of fns.entries()) {
      setTimeout(() => {
        fn();
        // Runs in the turn's check phase, after the immediates that the connection queued before it.
        if (i === 0) setImmediate(() => log.push('turn ends'));
        if (i === fns.length - 1) setImmediate(resolve);
      }, 0);
    }
  });
}

test('requests sent by four callbacks of one loop turn take two writes: the first at once, the rest together', { timeout: 10_000 }, async (t) => {
  const server = await RawH2Server.start((conn) => conn.write(settingsFrame([])));
  const pool = poolTo(t, server);
  const exchanges = [await pool.acquire(), await pool.acquire(), await pool.acquire(), await pool.acquire(), await pool.acquire()];
  const conn = server.connections[0]!;
  assert.equal(server.connections.length, 1, 'one session carries every exchange');
  await delay(50); // the preface and SETTINGS are written and done with
  const headers = (): number => conn.frames.filter((f) => f.type === FrameType.HEADERS).length;

  const log: string[] = [];
  const restore = recordWrites(conn.socket.remotePort!, log);
  t.after(restore);

  await inOneTurn(exchanges.slice(0, 4).map((exchange) => () => exchange.send(request(), new RecordingHandler())), log);
  await waitUntil(() => headers() === 4, 2000, 'four request HEADERS at the server');
  assert.deepEqual(log, ['write', 'turn ends', 'write']);

  // A request alone in a later turn is not held back to that turn's end.
  log.length = 0;
  await inOneTurn([() => exchanges[4]!.send(request(), new RecordingHandler())], log);
  await waitUntil(() => headers() === 5, 2000, 'the fifth request HEADERS at the server');
  assert.deepEqual(log, ['write', 'turn ends']);
});

test('forty requests sent in one callback go out as 32 at once and 8 after the callback', { timeout: 10_000 }, async (t) => {
  const server = await RawH2Server.start((conn) => conn.write(settingsFrame([])));
  const pool = poolTo(t, server);
  const exchanges: UpstreamConnection[] = [];
  for (let i = 0; i < 40; i++) exchanges.push(await pool.acquire());
  const conn = server.connections[0]!;
  assert.equal(server.connections.length, 1, 'one session carries every exchange');
  await delay(50);

  const log: string[] = [];
  const restore = recordWrites(conn.socket.remotePort!, log);
  t.after(restore);
  await inOneTurn(
    [
      () => {
        for (const exchange of exchanges) exchange.send(request(), new RecordingHandler());
        log.push('callback ends');
      },
    ],
    log,
  );
  await waitUntil(() => conn.frames.filter((f) => f.type === FrameType.HEADERS).length === 40, 2000, 'forty request HEADERS at the server');
  assert.deepEqual(log, ['write', 'callback ends', 'write', 'turn ends']);
});
