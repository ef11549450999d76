// Runs the built `sluice` bin (dist/bin/sluice.js) as a child process, for CLI tests.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnGuarded, stopChild } from './process-guard.js';
import { GiveUp, until } from './until.js';
import type { ChildProcess } from 'node:child_process';

/** This file runs as dist/test/support/run-sluice.js; the bin is dist/bin/sluice.js. */
export const SLUICE_BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `sluice ...args` to completion (at most `timeoutMs`). */
export async function runSluice(args: readonly string[], options: { env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const env = { ...process.env, SLUICE_SERVER: undefined, SLUICE_TOKEN: undefined, ...options.env } as NodeJS.ProcessEnv;
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [SLUICE_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A long-running `sluice` command (control-plane, start) whose output is watched line by line. */
export class SluiceProcess {
  readonly child: ChildProcess;
  private out = '';
  private err = '';
  private keep = true;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    const merged = { ...process.env, SLUICE_TOKEN: undefined, ...env } as NodeJS.ProcessEnv;
    for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
    this.child = spawnGuarded(process.execPath, [SLUICE_BIN, ...args], { env: merged });
    this.child.stdout?.on('data', (c: Buffer) => {
      if (this.keep) this.out += c.toString();
    });
    this.child.stderr?.on('data', (c: Buffer) => {
      if (this.keep) this.err += c.toString();
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** Resolves with the first match of `pattern` in stdout (or stderr), failing if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs = 15000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    return until(() => `${pattern}:\n${this.out}\n${this.err}`, () => {
      const m = (stream === 'stdout' ? this.out : this.err).match(pattern);
      if (m !== null) return m;
      if (this.child.exitCode !== null) throw new GiveUp(`sluice exited (${this.child.exitCode}) before printing ${pattern}:\n${this.out}\n${this.err}`);
      return undefined;
    }, timeoutMs);
  }

  /** Stops keeping output (a benchmark's control plane logs every write). */
  discardOutput(): void {
    this.keep = false;
    this.out = '';
    this.err = '';
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    await stopChild(this.child, 5000);
    return this.child.exitCode;
  }
}
