// Loaded into a proxy under benchmark with `node --import`: on each SIGUSR2 it prints one line, the
// event loop delay and the GC pauses since the previous SIGUSR2, so a benchmark can tell which part of
// a latency tail is the proxy's loop being busy or collecting garbage. Not part of the product.
import { monitorEventLoopDelay, PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

export const PROBE_LINE = 'event-loop-probe ';

export interface ProbeReport {
  readonly loopP50Ms: number;
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  readonly gcCount: number;
  readonly gcTotalMs: number;
  readonly gcMaxMs: number;
  /** GC pauses by kind (minor, major, incremental, weak): count. */
  readonly gcKinds: Record<string, number>;
}

/** Finer than node's default 10 ms, so that short stalls are sampled too. */
const RESOLUTION_MS = 1;

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};

function startProbe(): void {
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  let gc = { count: 0, totalMs: 0, maxMs: 0, kinds: {} as Record<string, number> };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      const kind = KINDS[(e as PerformanceEntry & { detail: { kind: number } }).detail.kind] ?? 'other';
      gc.kinds[kind] = (gc.kinds[kind] ?? 0) + 1;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    // Node records the whole interval between two samples: the delay is what exceeds the resolution.
    const late = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const report: ProbeReport = {
      loopP50Ms: late(loop.percentile(50)),
      loopP99Ms: late(loop.percentile(99)),
      loopMaxMs: late(loop.max),
      gcCount: gc.count,
      gcTotalMs: gc.totalMs,
      gcMaxMs: gc.maxMs,
      gcKinds: gc.kinds,
    };
    process.stdout.write(`${PROBE_LINE}${JSON.stringify(report)}\n`);
    loop.reset();
    gc = { count: 0, totalMs: 0, maxMs: 0, kinds: {} };
  });
}

/** The environment that makes a process preload this probe. */
export function probeEnv(): Record<string, string> {
  return { NODE_OPTIONS: `--import=${import.meta.url}`, SLUICE_EVENT_LOOP_PROBE: '1' };
}

// The benchmark imports this file for probeEnv and PROBE_LINE; only the preloaded copy probes.
if (process.env['SLUICE_EVENT_LOOP_PROBE'] === '1') startProbe();
