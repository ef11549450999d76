// The listener reads each connection's ClientHello itself before TLS starts (to choose the SNI name's
// context), so it must cope with what arrives instead of a neat one-packet hello: a hello written one
// byte at a time still gets its name's certificate, a client that sends nothing is closed after the
// listener's headerTimeoutMs, and plaintext HTTP on the TLS port is closed at once, not waited on.
import assert from 'node:assert/strict';
import { connect as connectTcp, createServer, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { test } from 'node:test';
import { readClientHello } from '../../../data-plane/src/tls/client-hello.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { silentClientLifetimeMs } from '../helpers/silent-client.js';
import { certificateDocument, selfSigned } from '../helpers/self-signed-certificate.js';

/** The first bytes a node:tls client sends for `servername` (its ClientHello), caught by a plain TCP server. */
async function clientHelloBytes(servername: string): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s: Socket) => s.once('data', (d: Buffer) => (s.destroy(), resolve(d)))));
  const client = connectTls({ host: '127.0.0.1', port: (server.address() as { port: number }).port, servername });
  client.on('error', () => {});
  const bytes = await got;
  client.destroy();
  server.close();
  return bytes;
}

/** The same handshake message re-framed into records of at most `size` payload bytes. */
function reframed(hello: Buffer, size: number): Buffer {
  const message = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let at = 0; at < message.length; at += size) {
    const part = message.subarray(at, at + size);
    records.push(Buffer.from([22, 3, 1, part.length >> 8, part.length & 0xff]), part);
  }
  return Buffer.concat(records);
}

test('ClientHello parser: incomplete prefixes wait, split records join, other bytes give up at once', async () => {
  const hello = await clientHelloBytes('a.example.test');
  assert.deepEqual(readClientHello(hello), { servername: 'a.example.test' });
  for (const cut of [0, 1, 4, 5, 9, 60, hello.length - 1]) assert.equal(readClientHello(hello.subarray(0, cut)), undefined, `prefix of ${cut} bytes`);
  const split = reframed(hello, 37);
  assert.deepEqual(readClientHello(split), { servername: 'a.example.test' });
  assert.equal(readClientHello(split.subarray(0, split.length - 1)), undefined);
  assert.deepEqual(readClientHello(Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n')), { servername: undefined });
  // A handshake record that is not a ClientHello (type 2, ServerHello).
  assert.deepEqual(readClientHello(Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0])), { servername: undefined });
});

test('HTTPS listener: a hello in one-byte pieces gets its name, silence is closed after headerTimeoutMs, plaintext is closed at once', async (t) => {
  const named = selfSigned('rsa', 'named.test', ['named.test']);
  const fallback = selfSigned('ec', 'default.test', ['default.test']);
  const mesh = await startMesh(
    `${certificateDocument('named', named)}---\n${certificateDocument('fallback', fallback)}---
kind: Listener
name: tls
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [fallback, named], defaultCertificate: fallback}
limits: {headerTimeoutMs: 400}
`,
  );
  t.after(() => mesh.close());
  const port = mesh.port('tls');

  // A relay that forwards what the client sends one byte per write, each on its own turn of the loop.
  const relay = createServer((client) => {
    const upstream = connectTcp(port, '127.0.0.1');
    let queue = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      for (const byte of chunk) queue = queue.then(() => new Promise<void>((r) => upstream.write(Buffer.from([byte]), () => setImmediate(r))));
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  t.after(() => relay.close());
  const subject = await new Promise<string>((resolve, reject) => {
    const s = connectTls({ host: '127.0.0.1', port: (relay.address() as { port: number }).port, servername: 'named.test', rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().subject.CN as string);
      s.destroy();
    });
    s.on('error', reject);
  });
  assert.equal(subject, 'named.test');

  // Silent: closed by the listener after its header timeout (400 ms), long before node:tls's 120 s.
  const closedAfterMs = await silentClientLifetimeMs(port);
  assert.ok(closedAfterMs >= 300 && closedAfterMs < 5000, `closed after ${closedAfterMs} ms`);

  // Plaintext HTTP on the TLS port: OpenSSL refuses it (node:tls closes without a word) at once.
  const plain = connectTcp(port, '127.0.0.1');
  let answer = Buffer.alloc(0);
  const plainStarted = Date.now();
  await new Promise<void>((resolve) => {
    plain.on('data', (d: Buffer) => (answer = Buffer.concat([answer, d])));
    plain.on('close', () => resolve());
    plain.on('error', () => resolve());
    plain.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  });
  assert.ok(Date.now() - plainStarted < 300, `plaintext closed after ${Date.now() - plainStarted} ms`);
  assert.ok(answer.length === 0 || answer[0] === 21, `nothing or a TLS alert, got ${answer.subarray(0, 16).toString('latin1')}`);
});
