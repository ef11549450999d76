// The control plane's logger prints every error it is given under `err` with its message, code, gRPC
// status and cause chain, whatever the error carries: a grpc-js Metadata (a Map inside, which made
// pino print "[unable to serialize, circular reference is too complex to analyze]" in place of the
// whole error), a cause chain that loops, a getter that throws. Redaction still applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { GRPCUnavailableError } from 'etcd3';
import { ControlPlaneError, ErrorCode } from '../../control-plane/src/errors.js';
import { createLogger } from '../../control-plane/src/logger.js';

function capture(): { log: ReturnType<typeof createLogger>; lines: () => Array<Record<string, any>>; raw: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  return { log, raw: () => chunks.join(''), lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) };
}

/** What grpc-js hands to a stream's 'error' listener when its connection drops. */
function grpcStreamError(): Error {
  const err = Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: 14, details: 'Connection dropped', metadata: new grpc.Metadata() });
  err.metadata.set('x-member', 'm1');
  return err;
}

test('a grpc-js error with its Metadata: message, gRPC status and code, not "unable to serialize"', () => {
  const { log, lines, raw } = capture();
  log.warn({ err: grpcStreamError(), revision: 12 }, 'etcd watch interrupted; resuming when etcd answers');
  assert.doesNotMatch(raw(), /unable to serialize/);
  const [line] = lines();
  assert.equal(line.err.message, '14 UNAVAILABLE: Connection dropped');
  assert.equal(line.err.code, 14);
  assert.deepEqual(line.err.grpc, { code: 14, status: 'UNAVAILABLE', details: 'Connection dropped' });
  assert.equal(line.revision, 12);
});

test('a store error: our code and message, then its cause chain down to etcd\'s words', () => {
  const { log, lines } = capture();
  const etcd = new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: no leader');
  const err = new ControlPlaneError(ErrorCode.StoreUnavailable, 'etcd is unavailable: could not commit within 4000 ms', { cause: etcd });
  log.warn({ err }, 'request failed');
  const [line] = lines();
  assert.equal(line.err.type, 'ControlPlaneError');
  assert.equal(line.err.code, 'SLUICE_STORE_UNAVAILABLE');
  assert.equal(line.err.message, 'etcd is unavailable: could not commit within 4000 ms');
  assert.match(line.err.stack, /ControlPlaneError/);
  assert.equal(line.err.cause.type, 'GRPCUnavailableError');
  assert.deepEqual(line.err.cause.grpc, { code: 14, status: 'UNAVAILABLE', details: 'etcdserver: no leader' });
  assert.equal(line.err.cause.stack, undefined, 'only the top error carries its stack');
});

test('loops, throwing getters, aggregates and non-errors never throw and never lose the message', () => {
  const { log, lines, raw } = capture();
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as Error & { cause: unknown }).cause = b;
  log.warn({ err: a }, 'loop');
  const getter = new Error('with a bad getter');
  Object.defineProperty(getter, 'code', { enumerable: true, get: () => { throw new Error('boom'); } });
  log.warn({ err: getter }, 'getter');
  log.warn({ err: new AggregateError([grpcStreamError(), new Error('second')], 'every member failed') }, 'aggregate');
  log.warn({ err: 'a plain string' }, 'string');
  let deep: Error = new Error('deepest');
  for (let i = 0; i < 20; i++) deep = new Error(`level ${i}`, { cause: deep });
  log.warn({ err: deep }, 'deep');
  assert.doesNotMatch(raw(), /unable to serialize/);
  const [loop, bad, aggregate, str, long] = lines();
  assert.equal(loop.err.message, 'a');
  assert.equal(loop.err.cause.message, 'b');
  assert.equal(loop.err.cause.cause.type, 'circular');
  assert.ok(bad.err.message.length > 0);
  assert.equal(aggregate.err.message, 'every member failed');
  assert.deepEqual(aggregate.err.aggregated.map((e: { message: string }) => e.message), ['14 UNAVAILABLE: Connection dropped', 'second']);
  assert.equal(str.err.message, 'a plain string');
  let depth = 0;
  for (let e = long.err; e?.cause !== undefined; e = e.cause) depth++;
  assert.ok(depth <= 6, `the chain is cut after a few causes (${depth})`);
});

test('redaction still applies beside an error', () => {
  const { log, raw } = capture();
  log.warn({ err: grpcStreamError(), request: { authorization: 'Bearer secret-token-value' } }, 'with a secret');
  assert.doesNotMatch(raw(), /secret-token-value/);
  assert.match(raw(), /Connection dropped/);
});
