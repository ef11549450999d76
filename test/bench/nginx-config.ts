// A one-worker nginx configuration for benchmarks: no access log, keep-alive without a request cap,
// every temporary path under `dir` (nginx runs as root here without writing outside it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { spawnGuarded, stopChild } from '../support/process-guard.js';
import { until } from '../support/until.js';

/** Writes `dir/name.conf` with `http` inside the http block; returns its path. */
export function writeNginxConf(dir: string, name: string, http: string, workerConnections = 4096): string {
  const conf = join(dir, `${name}.conf`);
  const temp = join(dir, `${name}-tmp`);
  mkdirSync(temp, { recursive: true });
  writeFileSync(conf, `worker_processes 1;
daemon off;
pid ${join(dir, `${name}.pid`)};
error_log ${join(dir, `${name}.err`)} error;
events { worker_connections ${workerConnections}; }
worker_rlimit_nofile ${workerConnections * 2};
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path ${temp}/b; proxy_temp_path ${temp}/p; fastcgi_temp_path ${temp}/f; uwsgi_temp_path ${temp}/u; scgi_temp_path ${temp}/s;
  ${http}
}
`);
  return conf;
}

/**
 * nginx with `http(port)` in its http block, on a free port (it cannot listen on port 0); resolves
 * once it accepts connections. `cleanup` receives how to stop it.
 */
export async function startNginx(dir: string, cleanup: (stop: () => unknown) => void, name: string, http: (port: number) => string, workerConnections?: number): Promise<{ port: number; pid: number }> {
  const port = await freePort();
  const child = spawnGuarded('nginx', ['-c', writeNginxConf(dir, name, http(port), workerConnections), '-p', dir, '-e', join(dir, `${name}.err`)]);
  cleanup(() => stopChild(child, 2000, 'SIGQUIT'));
  await until(`nginx ${name} on ${port}`, () => new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  }), 10_000, 100);
  return { port, pid: child.pid! };
}
