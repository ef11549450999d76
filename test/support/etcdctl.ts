// Runs etcdctl (beside the etcd binary the tests use) against test members, as an operator would.
import { execFile } from 'node:child_process';
import { spawnGuarded, stopChild } from './process-guard.js';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { etcdBinary } from './etcd-cluster.js';

function etcdctlBinary(): string {
  const beside = join(dirname(etcdBinary()), 'etcdctl');
  return existsSync(beside) ? beside : 'etcdctl';
}

/** etcdctl, like etcd, reads ETCD* variables as flags: pass none of ours. */
function etcdctlEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ETCDCTL_API: '3' };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD')) env[k] = v;
  return env;
}

export async function etcdctl(endpoints: readonly string[], ...args: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(etcdctlBinary(), ['--endpoints', endpoints.join(','), '--command-timeout', '5s', ...args], { env: etcdctlEnv(), timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`etcdctl ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** `etcdctl watch --prefix PREFIX` in the background: what it has printed so far (PUT/DELETE, key, value lines). */
export function etcdctlWatch(endpoints: readonly string[], prefix: string): { output: () => string; stop: () => Promise<void> } {
  const child = spawnGuarded(etcdctlBinary(), ['--endpoints', endpoints.join(','), 'watch', '--prefix', prefix], { env: etcdctlEnv() });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return { output: () => out, stop: () => stopChild(child, 0, 'SIGKILL') };
}
