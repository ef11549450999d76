// Between finished spans and the OTLP exporter: a bounded queue sent in batches, one export at a time.
// OpenTelemetry's BatchSpanProcessor does the same but does not say how many spans it dropped; a
// proxy must, because spans are dropped by design when the collector is slow or gone (the queue
// never grows past its bound and requests never wait for it). Settings follow OpenTelemetry's
// OTEL_BSP_* variables and defaults.
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

export interface SpanQueueOptions {
  /** Spans held at most; a span finished when it is full is dropped (OTEL_BSP_MAX_QUEUE_SIZE, 2048). */
  readonly maxQueueSize: number;
  /** Spans per export at most (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512). */
  readonly maxBatchSize: number;
  /** How long a span waits at most before it is sent (OTEL_BSP_SCHEDULE_DELAY, 5000 ms). */
  readonly scheduleDelayMs: number;
  /** How long one export may take before it counts as failed (OTEL_BSP_EXPORT_TIMEOUT, 30000 ms). */
  readonly exportTimeoutMs: number;
}

/** What happened to the spans that reached the queue, for sluice_proxy_spans_*_total. */
export interface SpanCounts {
  exported: number;
  /** The queue was full. */
  droppedQueueFull: number;
  /** The exporter failed or timed out (the collector refused them, or is down). */
  droppedExportFailed: number;
}

export function spanQueueOptionsFromEnv(env: NodeJS.ProcessEnv): SpanQueueOptions {
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`${name} must be an integer of at least ${min}, got "${raw}"`);
    return n;
  };
  const maxQueueSize = int('OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1);
  return {
    maxQueueSize,
    maxBatchSize: Math.min(maxQueueSize, int('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1)),
    scheduleDelayMs: int('OTEL_BSP_SCHEDULE_DELAY', 5000, 0),
    exportTimeoutMs: int('OTEL_BSP_EXPORT_TIMEOUT', 30000, 1),
  };
}

export class SpanQueue implements SpanProcessor {
  readonly counts: SpanCounts = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0 };
  private queue: ReadableSpan[] = [];
  private exporting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly exporter: SpanExporter, private readonly options: SpanQueueOptions) {}

  onStart(_span: Span, _parent: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.closed) return;
    if (this.queue.length >= this.options.maxQueueSize) {
      this.counts.droppedQueueFull++;
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.options.maxBatchSize) this.sendSoon(0);
    else this.sendSoon(this.options.scheduleDelayMs);
  }

  /** Sends everything queued (on shutdown, or when a test wants its spans now). */
  async forceFlush(): Promise<void> {
    while (this.exporting !== undefined || this.queue.length > 0) {
      if (this.exporting === undefined) this.exporting = this.sendBatch();
      await this.exporting;
    }
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.closed = true;
    clearTimeout(this.timer);
    await this.exporter.shutdown();
  }

  /** Spans waiting to be sent now. */
  get queued(): number {
    return this.queue.length;
  }

  private sendSoon(delayMs: number): void {
    if (this.exporting !== undefined) return; // the export's end looks at the queue again
    if (this.timer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.exporting = this.sendBatch();
    }, delayMs);
    this.timer.unref();
  }

  private async sendBatch(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatchSize);
    if (batch.length > 0) {
      const ok = await this.exportWithin(batch);
      if (ok) this.counts.exported += batch.length;
      else this.counts.droppedExportFailed += batch.length;
    }
    this.exporting = undefined;
    if (this.queue.length > 0 && !this.closed) this.sendSoon(this.queue.length >= this.options.maxBatchSize ? 0 : this.options.scheduleDelayMs);
  }

  private exportWithin(batch: ReadableSpan[]): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.options.exportTimeoutMs);
      timer.unref();
      try {
        this.exporter.export(batch, (result) => {
          clearTimeout(timer);
          resolve(result.code === 0);
        });
      } catch {
        clearTimeout(timer);
        resolve(false);
      }
    });
  }
}
