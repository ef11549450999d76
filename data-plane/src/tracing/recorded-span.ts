// A finished span as OpenTelemetry's exporters read it (the SDK's ReadableSpan interface), made by the
// proxy itself. The SDK's Span objects check every attribute, span limits and state on each call and
// keep more than an exporter reads; at 100% sampling they cost the proxy about as much as encoding
// the spans does (test/bench/tracing-bench.ts). A proxy's spans are few and fixed in shape, so it
// records plain objects and hands them to OpenTelemetry's OTLP exporter as they are.
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { performance } from 'node:perf_hooks';

const NONE: never[] = [];
const UNSET: SpanStatus = { code: SpanStatusCode.UNSET };
const ORIGIN_MS = performance.timeOrigin;

/** performance.now() milliseconds as OpenTelemetry's [seconds, nanoseconds] since the epoch. */
export function hrTimeOf(nowMs: number): HrTime {
  const ms = ORIGIN_MS + nowMs;
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

type InstrumentationScope = ReadableSpan['instrumentationScope'];

/** What every span of one proxy process shares. */
export interface SpanSource {
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
}

export class RecordedSpan implements ReadableSpan {
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  status: SpanStatus = UNSET;
  readonly links = NONE;
  readonly events = NONE;
  ended = false;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  private readonly context: SpanContext;

  constructor(
    source: SpanSource,
    public name: string,
    readonly kind: SpanKind,
    traceId: string,
    spanId: string,
    parent: SpanContext | undefined,
    startMs: number,
    readonly attributes: Attributes,
  ) {
    this.resource = source.resource;
    this.instrumentationScope = source.instrumentationScope;
    this.context = { traceId, spanId, traceFlags: TraceFlags.SAMPLED };
    this.parentSpanContext = parent;
    this.startTime = hrTimeOf(startMs);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  get duration(): HrTime {
    const ns = (this.endTime[0] - this.startTime[0]) * 1e9 + (this.endTime[1] - this.startTime[1]);
    return [Math.floor(ns / 1e9), ns % 1e9];
  }

  /** An error status, with a message for the span's reader. */
  failed(message?: string): void {
    this.status = message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message };
  }

  end(nowMs = performance.now()): void {
    this.endTime = hrTimeOf(nowMs);
    this.ended = true;
  }
}

export { SpanKind };
