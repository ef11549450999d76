// A constant-rate HTTP/1.1 load from h2load: `clients` keep-alive connections, each sending total /
// clients requests a second whatever the answers take (not closed-loop like wrk, whose latency hides
// the queue it builds), and every request's latency read from h2load's per-request log.
// Each client's requests follow its own timer. Started together, the clients' timers would fire
// together: every interval, one burst of `clients` requests, and the last of the burst waits for all
// the others, which says more about the burst than the proxy. So the connections open a few per
// millisecond (-r with --rate-period 1ms), spreading their timers over one interval, and the
// warm-up is left out by each request's start time (-r and h2load's own -D/--warm-up-time exclude
// each other).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

export interface FixedRateLoad {
  readonly url: string;
  /** Requests a second over all clients; each client sends total / clients. */
  readonly total: number;
  readonly clients: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Core h2load is pinned to. */
  readonly core: number;
  /** Where h2load writes its per-request log (removed once read). */
  readonly logFile: string;
}

export interface FixedRateResult {
  /** Latency of every 2xx request of the measured period, in ms, ascending. */
  readonly latenciesMs: Float64Array;
  /** Requests that failed or answered other than 2xx. */
  readonly failed: number;
  /** Requests a second actually sent in the measured period. */
  readonly rate: number;
}

export function h2loadArgs(load: FixedRateLoad): string[] {
  const perClient = Math.round(load.total / load.clients);
  const intervalMs = 1000 / perClient;
  const perMs = Math.max(1, Math.ceil(load.clients / intervalMs));
  const requests = Math.round(load.total * (load.warmupSeconds + load.seconds));
  return ['--h1', '-c', String(load.clients), '--rps', String(perClient), '-r', String(perMs), '--rate-period', '1ms', '-n', String(requests), '--log-file', load.logFile, load.url];
}

export async function runFixedRate(load: FixedRateLoad): Promise<FixedRateResult> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('taskset', ['-c', String(load.core), 'h2load', ...h2loadArgs(load)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c));
    child.stderr.on('data', (c: Buffer) => (text += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`h2load exited with ${code}:\n${text}`))));
  });
  // Columns: start (µs since the epoch), status (-1: failed), µs until the end of the response.
  const rows = readFileSync(load.logFile, 'utf8').split('\n');
  rmSync(load.logFile, { force: true });
  const parsed = rows.filter((row) => row !== '').map((row) => row.split('\t').map(Number) as [number, number, number]);
  const measuredFrom = parsed.reduce((min, [start]) => Math.min(min, start), Infinity) + load.warmupSeconds * 1e6;
  const ok: number[] = [];
  let failed = 0;
  for (const [start, status, us] of parsed) {
    if (start < measuredFrom) continue;
    if (status >= 200 && status < 300) ok.push(us / 1000);
    else failed++;
  }
  if (ok.length === 0) throw new Error(`h2load logged no successful request:\n${output}`);
  const latenciesMs = Float64Array.from(ok).sort();
  return { latenciesMs, failed, rate: (ok.length + failed) / load.seconds };
}

/** The nearest-rank percentile `q` (0..1) of ascending `sorted`. */
export function percentileOfSorted(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
