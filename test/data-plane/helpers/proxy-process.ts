// `sluice proxy` in a child process (the real command, as an operator runs it), for tests that
// measure the proxy alone (memory) or need worker processes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { spawnGuarded, stopChild } from '../../support/process-guard.js';

const COMMAND = fileURLToPath(new URL('../../../data-plane/src/cli/proxy-command.js', import.meta.url));

export interface ProxyProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Ports of the listeners by name, as the command printed them. */
  readonly ports: Map<string, number>;
  readonly output: () => string;
  stop(): Promise<void>;
}

export interface ProxyProcessOptions {
  /** Runs the proxy under `prlimit --nofile=N:N` (its RLIMIT_NOFILE, soft and hard). */
  readonly nofile?: number;
  /** Extra environment of the proxy. */
  readonly env?: Readonly<Record<string, string>>;
  /** Options for node itself, before the script (V8 flags such as --max-semi-space-size). */
  readonly nodeArgs?: readonly string[];
}

export async function startProxyProcess(yaml: string, args: string[] = [], options: ProxyProcessOptions = {}): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-proxy-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, yaml);
  // A script file, not `node -e`: cluster workers re-run the primary's script with its arguments.
  const script = join(dir, 'run.mjs');
  writeFileSync(script, `import(${JSON.stringify(COMMAND)}).then((m) => m.runProxyCommand(process.argv.slice(2))).catch((e) => { console.error(e.message); process.exit(1); });\n`);
  const argv = [...(options.nodeArgs ?? []), script, '--config', config, ...args];
  // prlimit sets the limit, then execs node: the child's pid is the proxy's.
  const spawnOptions = { env: { ...process.env, ...options.env } };
  const child = options.nofile === undefined ? spawnGuarded(process.execPath, argv, spawnOptions) : spawnGuarded('prlimit', [`--nofile=${options.nofile}:${options.nofile}`, process.execPath, ...argv], spawnOptions);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const ports = new Map<string, number>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start:\n${out}`)), 10_000);
    const check = (): void => {
      for (const m of out.matchAll(/listener (\S+) on [^:\s]+:(\d+)/g)) ports.set(m[1]!, Number(m[2]));
      if (/sluice proxy: ready/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    ports,
    output: () => out,
    stop: async () => {
      await stopChild(child, 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
