// A port on 127.0.0.1 held by a listening socket of the test process, so a command told to listen
// there meets EADDRINUSE; and the check of what such a command must do about it.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { runSluice } from './run-sluice.js';

export interface HeldPort {
  readonly port: number;
  release(): Promise<void>;
}

/** Holds `port` (default: one the system picks). */
export async function holdPort(port = 0): Promise<HeldPort> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { port: (server.address() as { port: number }).port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The bound on "exits within a few seconds" on a loaded 2-core machine (alone, a failed start takes 0.6-1.5 s). */
export const EXIT_WITHIN_MS = 10_000;

/**
 * Runs `sluice ...args` and asserts it exits 1 within EXIT_WITHIN_MS, saying on stderr that it cannot
 * listen on 127.0.0.1:`port` and naming `source` (the flag). Returns its stderr.
 */
export async function assertExitsOnBindFailure(args: readonly string[], port: number, source: string): Promise<string> {
  const started = Date.now();
  const run = await runSluice(args, { timeoutMs: EXIT_WITHIN_MS + 10_000 });
  const tookMs = Date.now() - started;
  const what = `sluice ${args.join(' ')}`;
  assert.equal(run.code, 1, `${what}: exit ${run.code} after ${tookMs} ms (null: still running, killed)\n${run.stderr.slice(-1500)}`);
  assert.ok(tookMs < EXIT_WITHIN_MS, `${what}: exited after ${tookMs} ms`);
  const escaped = source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(run.stderr, new RegExp(`^sluice: cannot listen on 127\\.0\\.0\\.1:${port} \\(${escaped}\\): address already in use \\(EADDRINUSE\\)`, 'm'), `${what}:\n${run.stderr.slice(-1500)}`);
  return run.stderr;
}
