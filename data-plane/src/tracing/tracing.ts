// The proxy's tracing: on when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
// OTEL_EXPORTER_OTLP_ENDPOINT, http/protobuf), off otherwise, and then requests pass trace headers
// through untouched, as Envoy does without a tracer. Sampled requests record their spans
// (recorded-span.ts), which wait in a bounded SpanQueue for OpenTelemetry's OTLP exporter. Each worker
// process has its own: spans go straight from the worker that served them.
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { Telemetry } from '../../../proto/gen/sluice/v1/telemetry_pb.js';
import type { SelectedWorkload } from '../../../proto/src/model/selects-workload.js';
import type { Session } from '../proxy/session.js';
import type { RecordedSpan, SpanSource } from './recorded-span.js';
import { RequestTrace, type SpanRecorder } from './request-trace.js';
import { extractTraceContext } from './trace-context.js';
import { isSampled, samplingFor, samplingFromEnv, type SamplingPolicy } from './trace-sampling.js';
import { SpanQueue, spanQueueOptionsFromEnv, type SpanCounts, type SpanQueueOptions } from './span-queue.js';

/** What the environment configures (tracingSettingsFromEnv). */
export interface TracingSettings {
  /** OpenTelemetry's service.name: OTEL_SERVICE_NAME, else the proxy's --service, else `sluice-proxy`. */
  readonly serviceName: string;
  /** More resource attributes (service.instance.id: the node id; service.namespace). */
  readonly attributes: Readonly<Record<string, string>>;
  /** Sampling when no Telemetry resource sets it (OTEL_TRACES_SAMPLER). */
  readonly sampling: SamplingPolicy;
  readonly queue: SpanQueueOptions;
}

export interface TracingOptions {
  /** The OpenTelemetry resource every span carries (service.name and the settings' attributes). */
  readonly resource: Resource;
  readonly sampling: SamplingPolicy;
  readonly exporter: SpanExporter;
  readonly queue: SpanQueueOptions;
}

/** The proxy whose requests are traced: its --service, --namespace and --node-id. */
export interface TracedWorkload {
  readonly service: string;
  readonly namespace: string;
  readonly nodeId?: string;
}

/**
 * What the OTEL_* variables configure, or undefined when tracing is off: no OTLP endpoint,
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Throws on a malformed value, so a proxy whose
 * workers would trace checks it before it forks them.
 */
export function tracingSettingsFromEnv(env: NodeJS.ProcessEnv, workload: TracedWorkload): TracingSettings | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  if (env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase() === 'none') return undefined;
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (endpoint === undefined || endpoint.trim() === '') return undefined;
  const protocol = env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'];
  if (protocol !== undefined && protocol.trim() !== '' && protocol.trim() !== 'http/protobuf') {
    throw new RangeError(`OTEL_EXPORTER_OTLP_PROTOCOL "${protocol}" is not supported: the proxy exports http/protobuf`);
  }
  const attributes: Record<string, string> = {};
  if (workload.nodeId) attributes['service.instance.id'] = workload.nodeId;
  if (workload.namespace) attributes['service.namespace'] = workload.namespace;
  return {
    serviceName: env['OTEL_SERVICE_NAME']?.trim() || workload.service || 'sluice-proxy',
    attributes,
    sampling: samplingFromEnv(env),
    queue: spanQueueOptionsFromEnv(env),
  };
}

export class Tracing implements SpanRecorder {
  readonly source: SpanSource;
  private readonly queue: SpanQueue;
  private current: SamplingPolicy;

  constructor(private readonly options: TracingOptions) {
    this.queue = new SpanQueue(options.exporter, options.queue);
    this.source = {
      resource: options.resource,
      instrumentationScope: { name: 'sluice-proxy' },
    };
    this.current = options.sampling;
  }

  /** A sampled request's span ended: into the queue. */
  finished(span: RecordedSpan): void {
    this.queue.onEnd(span);
  }

  /**
   * Tracing as the environment configures it (tracingSettingsFromEnv), or undefined when it is off.
   * OpenTelemetry's exporter and resource packages are loaded only then: a proxy that does not trace
   * (most of them) does not carry them in memory.
   */
  static async fromEnv(env: NodeJS.ProcessEnv, workload: TracedWorkload): Promise<Tracing | undefined> {
    const settings = tracingSettingsFromEnv(env, workload);
    if (settings === undefined) return undefined;
    const [{ OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([import('@opentelemetry/exporter-trace-otlp-proto'), import('@opentelemetry/resources')]);
    return new Tracing({
      resource: resourceFromAttributes({ 'service.name': settings.serviceName, ...settings.attributes }),
      sampling: settings.sampling,
      queue: settings.queue,
      // The exporter reads the endpoint, headers, timeout and compression from the same variables.
      exporter: new OTLPTraceExporter(),
    });
  }

  /** The sampling in force: the Telemetry resources that select this proxy, else the environment's. */
  configure(telemetries: Iterable<Telemetry>, workload: SelectedWorkload): void {
    this.current = samplingFor(telemetries, workload, this.options.sampling);
  }

  get sampling(): SamplingPolicy {
    return this.current;
  }

  /** The request's trace: continues the caller's, or starts one. */
  start(session: Session): RequestTrace {
    const parent = extractTraceContext(session.headers);
    return new RequestTrace(this, session, parent, isSampled(this.current, parent));
  }

  get spanCounts(): Readonly<SpanCounts> {
    return this.queue.counts;
  }

  /** Spans finished and not sent yet. */
  get queuedSpans(): number {
    return this.queue.queued;
  }

  /** Sends what is queued now (tests; the process's exit). */
  flush(): Promise<void> {
    return this.queue.forceFlush();
  }

  /** Sends what is queued, within `timeoutMs`, and stops. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.shutdown(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
