// The chaos run's HTTP/1.1 upstreams, each a child process (upstream-process.ts) on a fixed port:
// SIGKILL one and the endpoint is gone as after a crash; start it again and it is back at the same
// address, as a restarted server would be.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/free-port.js';
import { spawnGuarded, stopChild } from '../support/process-guard.js';

const SCRIPT = fileURLToPath(new URL('./upstream-process.js', import.meta.url));

export class UpstreamProcess {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(readonly name: string, readonly port: number) {}

  static async start(name: string): Promise<UpstreamProcess> {
    const u = new UpstreamProcess(name, await freePort());
    await u.start();
    return u;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process (again) on its port; resolves once it accepts connections. */
  async start(timeoutMs = 10_000): Promise<void> {
    const child = spawnGuarded(process.execPath, [SCRIPT, this.name, String(this.port)]);
    this.child = child;
    this.output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`upstream ${this.name} did not listen on ${this.port} within ${timeoutMs} ms: ${this.output}`)), timeoutMs);
      const onData = (c: Buffer): void => {
        this.output += c.toString();
        if (this.output.includes(`listening ${this.port}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => (this.output += c.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`upstream ${this.name} exited (${code ?? signal}) before listening: ${this.output}`));
      });
    });
  }

  /** SIGKILL: open connections are cut, the port refuses new ones. */
  async kill(): Promise<void> {
    if (this.child !== undefined) await stopChild(this.child, 0, 'SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.child !== undefined) await stopChild(this.child, 2000);
  }
}
