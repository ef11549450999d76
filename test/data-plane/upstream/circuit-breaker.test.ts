// CircuitBreaker and RetryBudget on their own: Envoy's defaults for limits left at 0, the share of
// each worker, the retry budget replacing max_retries, and trips counted per limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { CircuitBreakersSchema } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { CircuitBreaker, DEFAULT_LIMITS, workerCount } from '../../../data-plane/src/upstream/circuit-breaker.js';
import { RetryBudget } from '../../../data-plane/src/upstream/retry-budget.js';

test('limits left at 0 take Envoy defaults; each of N workers enforces ceil(limit / N)', () => {
  const b = new CircuitBreaker('c');
  b.configure(undefined, 1);
  assert.deepEqual([b.maxConnections, b.maxPendingRequests, b.maxRequests, b.maxRetries], [1024, 1024, 1024, 3]);
  b.configure(create(CircuitBreakersSchema, { maxRequests: 5, maxConnections: 7 }), 2);
  assert.deepEqual([b.maxConnections, b.maxPendingRequests, b.maxRequests, b.maxRetries], [4, 512, 3, 2]);
  assert.equal(DEFAULT_LIMITS.maxRetries, 3);
  assert.equal(workerCount({ SLUICE_PROXY_WORKERS: '4' }), 4);
  assert.equal(workerCount({ SLUICE_PROXY_WORKERS: 'x' }), 1);
  assert.equal(workerCount({}), 1);
});

test('max_requests admits up to the limit, counts each refusal, and frees a slot per endRequest', () => {
  const b = new CircuitBreaker('c');
  b.configure(create(CircuitBreakersSchema, { maxRequests: 2 }), 1);
  assert.equal(b.tryRequest(), true);
  assert.equal(b.tryRequest(), true);
  assert.equal(b.tryRequest(), false);
  assert.equal(b.trips.max_requests, 1);
  b.endRequest();
  assert.equal(b.tryRequest(), true);
  assert.equal(b.requests, 2);
});

test('new limits from an update keep the counters', () => {
  const b = new CircuitBreaker('c');
  b.configure(create(CircuitBreakersSchema, { maxRequests: 1 }), 1);
  assert.equal(b.tryRequest(), true);
  b.configure(create(CircuitBreakersSchema, { maxRequests: 3 }), 1);
  assert.equal(b.requests, 1);
  assert.equal(b.tryRequest(), true);
  assert.equal(b.tryRequest(), true);
  assert.equal(b.tryRequest(), false);
});

test('max_retries limits concurrent retries when no budget is set', () => {
  const b = new CircuitBreaker('c');
  b.configure(create(CircuitBreakersSchema, { maxRetries: 2 }), 1);
  assert.equal(b.tryRetry(), true);
  assert.equal(b.tryRetry(), true);
  assert.equal(b.tryRetry(), false);
  assert.deepEqual([b.trips.max_retries, b.trips.retry_budget], [1, 0]);
});

test('a retry budget replaces max_retries: percent of active requests, at least 3', () => {
  const budget = new RetryBudget(20);
  assert.equal(budget.allowed(0), 3);
  assert.equal(budget.allowed(10), 3);
  assert.equal(budget.allowed(50), 10);
  assert.equal(budget.admits(9, 50), true);
  assert.equal(budget.admits(10, 50), false);

  const b = new CircuitBreaker('c');
  b.configure(create(CircuitBreakersSchema, { maxRetries: 1, retryBudgetPercent: 20 }), 1);
  for (let i = 0; i < 50; i++) assert.equal(b.tryRequest(), true);
  let admitted = 0;
  while (b.tryRetry()) admitted++;
  assert.equal(admitted, 10, 'max_retries 1 is replaced by the budget');
  assert.deepEqual([b.trips.max_retries, b.trips.retry_budget], [0, 1]);
});

test('max_connections: tryConnect up to the limit, connectionClosed frees one', () => {
  const b = new CircuitBreaker('c');
  b.configure(create(CircuitBreakersSchema, { maxConnections: 1, maxPendingRequests: 1 }), 1);
  assert.equal(b.tryConnect(), true);
  assert.equal(b.tryConnect(), false);
  b.connectionClosed();
  assert.equal(b.tryConnect(), true);
  assert.equal(b.tryPending(), true);
  assert.equal(b.tryPending(), false);
  b.endPending();
  assert.deepEqual([b.trips.max_connections, b.trips.max_pending_requests, b.connections, b.pending], [1, 1, 1, 0]);
});
