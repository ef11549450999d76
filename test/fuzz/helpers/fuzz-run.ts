// Runs one fast-check property with the suite's fixed seed and case count (or those of the
// environment, for longer nightly runs and for replaying a failure), tallies an outcome per case, and
// prints the seed, the number of cases and the histogram of outcomes.
import type { TestContext } from 'node:test';
import fc from 'fast-check';

export interface FuzzSettings {
  readonly seed: number;
  readonly numRuns: number;
  /** fast-check's replay path of a shrunk counterexample (SLUICE_FUZZ_PATH), with the seed it came from. */
  readonly path: string | undefined;
  /** How many re-runs shrinking a failure may take (SLUICE_FUZZ_SHRINKS, default 40). */
  readonly shrinkBudget: number;
}

/**
 * SLUICE_FUZZ_RUNS=N runs N cases instead of `defaultRuns`; SLUICE_FUZZ_SEED=S starts from seed S
 * (`random`: a new seed, printed); SLUICE_FUZZ_PATH=P with the seed of a failure replays its shrunk case;
 * SLUICE_FUZZ_SHRINKS=N bounds the re-runs spent shrinking a failure.
 */
export function fuzzSettings(defaultSeed: number, defaultRuns: number): FuzzSettings {
  const runs = process.env['SLUICE_FUZZ_RUNS'];
  const seed = process.env['SLUICE_FUZZ_SEED'];
  const numRuns = runs === undefined || runs === '' ? defaultRuns : Number(runs);
  if (!Number.isSafeInteger(numRuns) || numRuns < 1) throw new Error(`SLUICE_FUZZ_RUNS must be a positive integer, got ${JSON.stringify(runs)}`);
  let s = defaultSeed;
  if (seed === 'random') s = (Date.now() ^ (process.pid << 16)) | 0;
  else if (seed !== undefined && seed !== '') s = Number(seed);
  if (!Number.isSafeInteger(s)) throw new Error(`SLUICE_FUZZ_SEED must be an integer or "random", got ${JSON.stringify(seed)}`);
  const path = process.env['SLUICE_FUZZ_PATH'] || undefined;
  const shrinkBudget = Number(process.env['SLUICE_FUZZ_SHRINKS'] || 40);
  return { seed: s, numRuns, path, shrinkBudget };
}

/** A test timeout that grows with the number of cases, so long runs are not cut by the runner's default. */
export function fuzzTimeoutMs(settings: FuzzSettings, msPerCase: number, fixedMs = 120_000): number {
  return fixedMs + settings.numRuns * msPerCase;
}

/** Counts outcomes (status codes, "closed", ...) for the report. */
export class Histogram {
  private readonly counts = new Map<string, number>();

  add(outcome: string | number): void {
    const key = String(outcome);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  toString(): string {
    return [...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, n]) => `${k}:${n}`).join(' ');
  }
}

/**
 * Checks `property` over `settings.numRuns` generated cases. `report` adds lines of its own (the
 * histogram, the slowest case) to the summary, which goes to the test's diagnostics and stdout.
 * On failure the error names the seed and the replay path, and the shrunk counterexample.
 */
export async function checkProperty<T>(
  t: TestContext,
  name: string,
  settings: FuzzSettings,
  arbitrary: fc.Arbitrary<T>,
  property: (input: T) => Promise<void>,
  report: () => string,
): Promise<void> {
  const started = Date.now();
  // Shrinking re-runs cases against live servers, and a case that hangs costs its whole time bound:
  // after `shrinkBudget` re-runs the rest pass unchecked, so the last failing case is reported.
  let failures = 0;
  let shrinkRuns = 0;
  const budgeted = async (input: T): Promise<void> => {
    if (failures > 0 && ++shrinkRuns > settings.shrinkBudget) return;
    try {
      await property(input);
    } catch (err) {
      failures++;
      throw err;
    }
  };
  const details = await fc.check(fc.asyncProperty(arbitrary, budgeted), {
    seed: settings.seed,
    numRuns: settings.numRuns,
    ...(settings.path !== undefined ? { path: settings.path } : {}),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = `fuzz ${name}: seed=${settings.seed} cases=${details.numRuns}${details.failed ? ` (failed after ${details.numShrinks} shrinks)` : ''} in ${seconds}s; ${report()}`;
  t.diagnostic(summary);
  console.log(`# ${summary}`);
  if (details.failed) {
    const replay = `SLUICE_FUZZ_SEED=${details.seed} SLUICE_FUZZ_PATH=${details.counterexamplePath ?? ''}`;
    const example = details.counterexample === null ? '(none)' : JSON.stringify(details.counterexample[0], printable).slice(0, 4000);
    const cause = (details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)).slice(0, 4000);
    throw new Error(`${name} failed; replay with ${replay}\ncounterexample: ${example}\n${cause}`);
  }
}

/** Bytes as text (latin1, so every byte shows), cut to a readable length, in a counterexample. */
function printable(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    const bytes = Buffer.from((value as { data: number[] }).data);
    const text = bytes.subarray(0, 1500).toString('latin1');
    return bytes.length > 1500 ? `${text}… (${bytes.length} bytes)` : text;
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string' && value.length > 300) return `${value.slice(0, 300)}… (${value.length} chars)`;
  return value;
}
