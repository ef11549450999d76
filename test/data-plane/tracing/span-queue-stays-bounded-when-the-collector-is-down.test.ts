// The span queue between the proxy's spans and OpenTelemetry's OTLP exporter, against a real OTLP
// receiver: spans reach it in batches; when it stalls or refuses, the queue never holds more than its
// bound, every span is counted once (exported, dropped for a full queue, or dropped for a failed
// export), and once the collector is back new spans flow again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { SpanQueue, spanQueueOptionsFromEnv } from '../../../data-plane/src/tracing/span-queue.js';
import { OtlpReceiver } from '../../support/otlp-receiver.js';
import { until } from '../../support/until.js';

async function setUp(receiver: OtlpReceiver): Promise<{ queue: SpanQueue; emit: (n: number) => void; stop: () => Promise<void> }> {
  const queue = new SpanQueue(new OTLPTraceExporter({ url: `${receiver.endpoint}/v1/traces`, timeoutMillis: 1000 }), { maxQueueSize: 100, maxBatchSize: 20, scheduleDelayMs: 10, exportTimeoutMs: 400 });
  const provider = new TracerProvider({ spanProcessors: [queue] });
  const tracer = provider.getTracer('test');
  return {
    queue,
    emit: (n) => {
      for (let i = 0; i < n; i++) tracer.startSpan(`span-${i}`).end();
    },
    stop: () => provider.shutdown(),
  };
}

const counted = (q: SpanQueue): number => q.counts.exported + q.counts.droppedQueueFull + q.counts.droppedExportFailed + q.queued;

test('spans reach a working collector in batches, each counted as exported', async () => {
  const receiver = await OtlpReceiver.start();
  const { queue, emit, stop } = await setUp(receiver);
  try {
    emit(60);
    await until('60 spans received', () => (receiver.spans.length === 60 ? true : undefined), 5000);
    assert.ok(receiver.requests >= 3, `batches of at most 20: ${receiver.requests} exports`);
    await until('counted', () => (queue.counts.exported === 60 ? true : undefined), 2000);
    assert.deepEqual(queue.counts, { exported: 60, droppedQueueFull: 0, droppedExportFailed: 0 });
  } finally {
    await stop();
    await receiver.close();
  }
});

test('a stalled collector: the queue stays at its bound, the excess and the timed-out exports are counted, and spans flow once it is back', async () => {
  const receiver = await OtlpReceiver.start();
  receiver.mode = 'stall';
  const { queue, emit, stop } = await setUp(receiver);
  try {
    let maxQueued = 0;
    for (let round = 0; round < 50; round++) {
      emit(200);
      maxQueued = Math.max(maxQueued, queue.queued);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(maxQueued <= 100, `the queue never held more than 100: ${maxQueued}`);
    assert.ok(queue.counts.droppedQueueFull >= 9000, `spans beyond the bound dropped: ${queue.counts.droppedQueueFull}`);
    await until('a stalled export counted as failed', () => (queue.counts.droppedExportFailed > 0 ? true : undefined), 3000);
    assert.equal(queue.counts.exported, 0);
    assert.equal(receiver.spans.length, 0);

    receiver.mode = 'accept';
    await until('the queue drains to the collector', () => (queue.queued === 0 && queue.counts.exported > 0 ? true : undefined), 10_000);
    emit(10);
    await until('new spans arrive', () => (receiver.spans.filter((s) => s.name === 'span-9').length > 0 ? true : undefined), 5000);
    await until('every span counted once', () => (counted(queue) === 10_010 ? true : undefined), 5000);
  } finally {
    await stop();
    await receiver.close();
  }
});

test('a collector that refuses: failed exports are counted, never retried into an unbounded backlog', async () => {
  const receiver = await OtlpReceiver.start();
  receiver.mode = 'refuse';
  const { queue, emit, stop } = await setUp(receiver);
  try {
    emit(50);
    // Three batches (20, 20, 10), each refused (or timed out while the exporter retries): all 50 fail.
    await until('every span counted as failed', () => (queue.counts.droppedExportFailed === 50 ? true : undefined), 5000);
    assert.equal(queue.counts.exported, 0);
    assert.equal(queue.queued, 0);
    assert.equal(counted(queue), 50);
  } finally {
    await stop();
    await receiver.close();
  }
});

test('OTEL_BSP_* settings are read, with OpenTelemetry\'s defaults, and bad values are refused by name', () => {
  assert.deepEqual(spanQueueOptionsFromEnv({}), { maxQueueSize: 2048, maxBatchSize: 512, scheduleDelayMs: 5000, exportTimeoutMs: 30000 });
  assert.deepEqual(spanQueueOptionsFromEnv({ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500', OTEL_BSP_SCHEDULE_DELAY: '0', OTEL_BSP_EXPORT_TIMEOUT: '10' }), { maxQueueSize: 100, maxBatchSize: 100, scheduleDelayMs: 0, exportTimeoutMs: 10 });
  assert.throws(() => spanQueueOptionsFromEnv({ OTEL_BSP_MAX_QUEUE_SIZE: 'lots' }), /OTEL_BSP_MAX_QUEUE_SIZE must be an integer of at least 1, got "lots"/);
});
