// Which requests are traced. The proxy's environment gives the default (OpenTelemetry's
// OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG); a Telemetry resource that selects the proxy
// overrides its ratio at runtime, parent-based as Istio's randomSamplingPercentage is. With neither,
// 1% of new traces, parent-based: Istio's default, a cost a busy proxy can always afford.
import type { Telemetry } from '../../../proto/gen/sluice/v1/telemetry_pb.js';
import { selectorLevel, type SelectedWorkload } from '../../../proto/src/model/selects-workload.js';
import type { TraceContext } from './trace-context.js';

export interface SamplingPolicy {
  /** Follow the caller's decision when it made one (sampled or not); only new traces use `ratio`. */
  readonly parentBased: boolean;
  /** The share of new traces recorded, 0..1. */
  readonly ratio: number;
  /** Where it comes from, for /config_dump and errors: `default`, `OTEL_TRACES_SAMPLER`, `Telemetry/<name>`. */
  readonly source: string;
}

export const DEFAULT_SAMPLING: SamplingPolicy = { parentBased: true, ratio: 0.01, source: 'default' };

/** The policy OTEL_TRACES_SAMPLER (and _ARG) name; throws on a value OpenTelemetry does not define. */
export function samplingFromEnv(env: NodeJS.ProcessEnv): SamplingPolicy {
  const name = env['OTEL_TRACES_SAMPLER']?.trim().toLowerCase();
  if (name === undefined || name === '') return DEFAULT_SAMPLING;
  const source = 'OTEL_TRACES_SAMPLER';
  const ratio = (): number => {
    const arg = env['OTEL_TRACES_SAMPLER_ARG'];
    if (arg === undefined || arg.trim() === '') return 1;
    const r = Number(arg);
    if (!(r >= 0 && r <= 1)) throw new RangeError(`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got "${arg}"`);
    return r;
  };
  switch (name) {
    case 'always_on':
      return { parentBased: false, ratio: 1, source };
    case 'always_off':
      return { parentBased: false, ratio: 0, source };
    case 'traceidratio':
      return { parentBased: false, ratio: ratio(), source };
    case 'parentbased_always_on':
      return { parentBased: true, ratio: 1, source };
    case 'parentbased_always_off':
      return { parentBased: true, ratio: 0, source };
    case 'parentbased_traceidratio':
      return { parentBased: true, ratio: ratio(), source };
    default:
      throw new RangeError(`OTEL_TRACES_SAMPLER "${name}" is not supported: use always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio`);
  }
}

/**
 * The policy for this proxy: the sampling percentage of the most specific Telemetry that selects it
 * and sets one (service, then namespace, then mesh-wide; the first by name within a level), else
 * `fallback` (the environment's).
 */
export function samplingFor(telemetries: Iterable<Telemetry>, workload: SelectedWorkload, fallback: SamplingPolicy): SamplingPolicy {
  let best: Telemetry | undefined;
  let bestLevel = -1;
  for (const t of telemetries) {
    if (t.tracing?.samplingPercentage === undefined) continue;
    const level = selectorLevel(t.selector, workload);
    if (level > bestLevel || (level === bestLevel && level >= 0 && t.name < best!.name)) {
      best = t;
      bestLevel = level;
    }
  }
  if (best === undefined || bestLevel < 0) return fallback;
  return { parentBased: true, ratio: best.tracing!.samplingPercentage! / 100, source: `Telemetry/${best.name}` };
}

/** Whether a request with `parent` (or none) is recorded. */
export function isSampled(policy: SamplingPolicy, parent: TraceContext | undefined): boolean {
  if (policy.parentBased && parent?.sampled !== undefined) return parent.sampled;
  return policy.ratio >= 1 || (policy.ratio > 0 && Math.random() < policy.ratio);
}
