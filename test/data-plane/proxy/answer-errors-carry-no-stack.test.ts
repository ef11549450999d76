// A ProxyError that is an answer (a downstream or upstream outcome: 404, 429, 503...) is made without
// capturing a stack trace, which costs more than the rest of a local answer; an internal error keeps
// its stack, and the global stack trace limit is left as it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyError, ProxyErrorCode } from '../../../data-plane/src/errors.js';

const frames = (err: Error): number => (err.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).length;

test('answers carry no stack frames; internal errors do; the stack trace limit is restored', () => {
  const limit = Error.stackTraceLimit;
  for (const code of [ProxyErrorCode.NoRoute, ProxyErrorCode.RateLimited, ProxyErrorCode.ConnectFailure, ProxyErrorCode.UpstreamTimeout]) {
    const err = new ProxyError(code, 'an answer');
    assert.equal(frames(err), 0, `${code}: ${err.stack}`);
    assert.equal(err.message, 'an answer');
  }
  const internal = new ProxyError(ProxyErrorCode.Internal, 'a bug');
  assert.ok(frames(internal) > 0, `internal: ${internal.stack}`);
  assert.equal(Error.stackTraceLimit, limit);
  assert.ok(frames(new Error('after')) > 0, 'errors made afterwards keep their stacks');
});
