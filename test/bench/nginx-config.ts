// A one-worker nginx configuration for benchmarks: no access log, keep-alive without a request cap,
// every temporary path under `dir` (nginx runs as root here without writing outside it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `dir/name.conf` with `http` inside the http block; returns its path. */
export function writeNginxConf(dir: string, name: string, http: string): string {
  const conf = join(dir, `${name}.conf`);
  const temp = join(dir, `${name}-tmp`);
  mkdirSync(temp, { recursive: true });
  writeFileSync(conf, `worker_processes 1;
daemon off;
pid ${join(dir, `${name}.pid`)};
error_log ${join(dir, `${name}.err`)} error;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path ${temp}/b; proxy_temp_path ${temp}/p; fastcgi_temp_path ${temp}/f; uwsgi_temp_path ${temp}/u; scgi_temp_path ${temp}/s;
  ${http}
}
`);
  return conf;
}
