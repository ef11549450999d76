// sluice.v1.RateLimitService.Borrow on a real control plane's discovery port: a caller is authenticated
// as a discovery stream is (UNAUTHENTICATED without a token, or with one the control plane does not
// know), a request out of the protocol's bounds is refused with INVALID_ARGUMENT naming its field, and
// bytes that are no BorrowRequest are refused too; a valid Borrow is granted the burst, then nothing,
// with the wait until the next token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { BorrowRequestSchema, type BorrowResponse } from '../../../proto/gen/sluice/v1/rate_limit_pb.js';
import { BORROW_PATH, deserializeBorrowResponse, serializeBorrowRequest } from '../../../proto/src/wire/rate-limit-service-definition.js';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { startMeshControlPlane } from '../mtls/support/mesh-control-plane.js';

type Outcome = { readonly ok: BorrowResponse } | { readonly code: grpc.status; readonly details: string };

test('Borrow: refused without credentials or out of bounds, granted within the burst otherwise', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const cp = await startMeshControlPlane(cleanup);
  const client = new grpc.Client(cp.discovery, grpc.credentials.createInsecure());
  cleanup(() => client.close());
  const call = (bytes: Buffer, token?: string): Promise<Outcome> => {
    const metadata = new grpc.Metadata();
    if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve) => {
      client.makeUnaryRequest(BORROW_PATH, (b: Buffer) => b, deserializeBorrowResponse, bytes, metadata, { deadline: Date.now() + 10_000 }, (err, response) =>
        resolve(err ? { code: err.code, details: err.details } : { ok: response! }));
    });
  };
  const valid = { instanceKey: 'limited|rate-limit|{}', ratePerSecond: 1, burst: 5, bucketKey: '', wanted: 3 };
  const borrow = (fields: Partial<typeof valid>, token?: string): Promise<Outcome> => call(serializeBorrowRequest(create(BorrowRequestSchema, { ...valid, ...fields })), token);

  const anonymous = await borrow({});
  assert.deepEqual(anonymous, { code: grpc.status.UNAUTHENTICATED, details: "missing authorization: Bearer <token> metadata (the proxy's --token-file)" });
  assert.deepEqual(await borrow({}, 'not-a-known-token'), { code: grpc.status.UNAUTHENTICATED, details: 'the bearer token is not valid' });

  const refusals: Array<[Partial<typeof valid>, RegExp]> = [
    [{ wanted: 0 }, /^wanted must be 1 to 10000$/],
    [{ wanted: 10_001 }, /^wanted must be 1 to 10000$/],
    [{ instanceKey: '' }, /^instance_key is required$/],
    [{ instanceKey: 'x'.repeat(4097) }, /^instance_key is longer than 4096 bytes$/],
    [{ bucketKey: 'x'.repeat(1025) }, /^bucket_key is longer than 1024 bytes$/],
    [{ ratePerSecond: 0 }, /^rate_per_second must be a finite number above 0$/],
    [{ ratePerSecond: Number.POSITIVE_INFINITY }, /^rate_per_second must be a finite number above 0$/],
    [{ burst: 0.5 }, /^burst must be a finite number of at least 1$/],
  ];
  for (const [fields, details] of refusals) {
    const outcome = await borrow(fields, cp.token);
    assert.ok('code' in outcome && outcome.code === grpc.status.INVALID_ARGUMENT && details.test(outcome.details), `${JSON.stringify(fields).slice(0, 80)}: ${JSON.stringify(outcome)}`);
  }
  // Not a protobuf message at all (field 1 claims 100 bytes and has 2): refused before the handler runs.
  const garbage = await call(Buffer.from([0x0a, 100, 1, 2]), cp.token);
  assert.ok('code' in garbage && garbage.code !== grpc.status.OK, JSON.stringify(garbage));

  // A burst of 5 at one token a second: 3, then the 2 left of 3 wanted, then none and the wait.
  const first = await borrow({}, cp.token);
  assert.ok('ok' in first && first.ok.granted === 3 && first.ok.waitMs === 0, JSON.stringify(first));
  const second = await borrow({}, cp.token);
  assert.ok('ok' in second && second.ok.granted === 2, JSON.stringify(second));
  const third = await borrow({}, cp.token);
  assert.ok('ok' in third && third.ok.granted === 0 && third.ok.waitMs > 0 && third.ok.waitMs <= 1000, JSON.stringify(third));
  // Another bucket key is another bucket.
  const other = await borrow({ bucketKey: 'alice' }, cp.token);
  assert.ok('ok' in other && other.ok.granted === 3, JSON.stringify(other));
});

