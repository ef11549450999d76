// Runs etcdctl (beside the etcd binary the tests use) against test members, as an operator would.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { etcdBinary } from './etcd-cluster.js';

function etcdctlBinary(): string {
  const beside = join(dirname(etcdBinary()), 'etcdctl');
  return existsSync(beside) ? beside : 'etcdctl';
}

export async function etcdctl(endpoints: readonly string[], ...args: string[]): Promise<string> {
  // etcdctl, like etcd, reads ETCD* variables as flags: pass none of ours.
  const env: NodeJS.ProcessEnv = { ETCDCTL_API: '3' };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD')) env[k] = v;
  return await new Promise((resolve, reject) => {
    execFile(etcdctlBinary(), ['--endpoints', endpoints.join(','), '--command-timeout', '5s', ...args], { env, timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`etcdctl ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}
