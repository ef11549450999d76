// Keep-alive load from wrk (no rate limit) through A's outbound listener to host `b`, for a bounded
// number of seconds: started in the background so the test can change things while it runs.
import { parseWrk } from '../../failover/failover-round.js';
import { spawnGuarded } from '../../../support/process-guard.js';

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  /** Non-2xx answers plus socket errors (connect, read, write, timeout). */
  readonly failed: number;
  readonly output: string;
}

export interface WrkOptions {
  readonly seconds: number;
  readonly connections?: number;
  readonly host?: string;
  readonly path?: string;
}

/** Runs wrk against 127.0.0.1:port; resolves with its summary when it ends. */
export function runWrk(port: number, options: WrkOptions): Promise<WrkResult> {
  const connections = options.connections ?? 8;
  const args = ['-t1', `-c${connections}`, `-d${options.seconds}s`, '--timeout', '5s', '-H', `Host: ${options.host ?? 'b'}`, `http://127.0.0.1:${port}${options.path ?? '/load'}`];
  return new Promise((resolve, reject) => {
    const child = spawnGuarded('wrk', args);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve({ ...parseWrk(output), output });
      } catch (err) {
        reject(err);
      }
    });
  });
}

export interface LoadLoop {
  /** Ends the loop after the wrk run in progress; resolves with the sum of every run. */
  stop(): Promise<WrkResult & { runs: number }>;
}

/**
 * wrk runs of `chunkSeconds` back to back until stopped, for a load that lasts as long as the test
 * needs (a rotation whose steps each wait for renewals) without guessing its length up front.
 */
export function loadLoop(port: number, chunkSeconds = 2, connections = 8): LoadLoop {
  let stopping = false;
  const results: WrkResult[] = [];
  const done = (async () => {
    while (!stopping) results.push(await runWrk(port, { seconds: chunkSeconds, connections }));
  })();
  return {
    stop: async () => {
      stopping = true;
      await done;
      return {
        runs: results.length,
        requests: results.reduce((n, r) => n + r.requests, 0),
        seconds: results.reduce((n, r) => n + r.seconds, 0),
        failed: results.reduce((n, r) => n + r.failed, 0),
        output: results.filter((r) => r.failed > 0).map((r) => r.output).join('\n') || results.at(-1)?.output || '',
      };
    },
  };
}
