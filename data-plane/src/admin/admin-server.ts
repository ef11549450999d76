// The proxy's admin endpoints on --admin-listen (default 127.0.0.1:15000): /live (200 while the
// process runs), /ready, /metrics, /clusters, /config_dump, /certs and /debug/*. /config_dump?kind=K[,K...]
// answers the resources in use in the shape `sluice ctl proxy-config` compares with the control
// plane's intent (proto/src/model/config-view.ts). Private keys of certificates never appear in a
// dump, nor in /certs. POST /reload (loopback clients only) replaces the workers with freshly loaded code.
// GET /debug/profile and /debug/heap (debug-endpoints.ts) take a CPU profile or a heap snapshot of one
// process; they need the admin token.
import { createServer, type Server } from 'node:http';
import type { JsonObject } from '@bufbuild/protobuf';
import { parseViewKinds, type ConfigView } from '../../../proto/src/model/config-view.js';
import type { Kind } from '../../../proto/src/model/kinds.js';
import { debugEndpoints, type DebugSource } from './debug-endpoints.js';

export interface AdminSource {
  /** True once a configuration serves traffic (in every worker). */
  ready(): boolean;
  /** Prometheus text. */
  metrics(): Promise<string>;
  configDump(): JsonObject;
  /** GET /config_dump?kind=...: the resources of `kinds` in use, certificates summarized. */
  configView?(kinds: readonly Kind[]): ConfigView;
  /** Clusters with their endpoints' health and traffic (metrics/cluster-report.ts), summed over workers. */
  clusters?(): Promise<JsonObject>;
  /** GET /certs: the workload certificate in use (Envoy's /certs), and the status to answer with. */
  certs?(): Promise<{ status: number; body: JsonObject }>;
  /** POST /reload: a zero-downtime worker restart; an error's `status` (default 500) is the answer's. */
  reload?(): Promise<JsonObject>;
  /** GET /debug/*: the admin token and the proxy's processes to diagnose. */
  readonly debug?: DebugSource;
}

/** Loopback addresses, IPv4-mapped included: who may ask for a reload. */
function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

export async function startAdminServer(source: AdminSource, host: string, port: number): Promise<Server> {
  const debug = source.debug === undefined ? undefined : debugEndpoints(source.debug);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (path === '/reload' && source.reload !== undefined) {
      if (req.method !== 'POST') return send(405, 'text/plain', 'POST /reload\n');
      // Whoever reaches a non-loopback admin address must not restart the proxy.
      if (!isLoopback(req.socket.remoteAddress)) return send(403, 'application/json', `${JSON.stringify({ error: 'POST /reload is accepted from loopback addresses only' })}\n`);
      source.reload().then(
        (result) => send(200, 'application/json', `${JSON.stringify(result)}\n`),
        (err: Error & { status?: number }) => send(err.status ?? 500, 'application/json', `${JSON.stringify({ error: err.message })}\n`),
      );
      return;
    }
    // Before any method check: /debug/* says who may call it before it says how.
    if (debug !== undefined && (path === '/debug' || path.startsWith('/debug/'))) return debug(req, res, path);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/live') return send(200, 'text/plain', 'live\n');
    if (path === '/ready') return source.ready() ? send(200, 'text/plain', 'ready\n') : send(503, 'text/plain', 'no configuration applied yet\n');
    if (path === '/config_dump') {
      const kindParam = new URL(req.url ?? '/', 'http://admin').searchParams.get('kind');
      if (kindParam === null || source.configView === undefined) return send(200, 'application/json', `${JSON.stringify(source.configDump(), null, 2)}\n`);
      const parsed = parseViewKinds(kindParam);
      if (!parsed.ok) return send(400, 'application/json', `${JSON.stringify({ error: `unknown kind "${parsed.unknown}": try listeners, routes, clusters, endpoints, certs, peerauthentications, authorizationpolicies or all` })}\n`);
      return send(200, 'application/json', `${JSON.stringify(source.configView(parsed.kinds), null, 2)}\n`);
    }
    if (path === '/clusters' && source.clusters !== undefined) {
      source.clusters().then(
        (report) => send(200, 'application/json', `${JSON.stringify(report, null, 2)}\n`),
        (err: Error) => send(500, 'text/plain', `${err.message}\n`),
      );
      return;
    }
    if (path === '/certs' && source.certs !== undefined) {
      source.certs().then(
        (answer) => send(answer.status, 'application/json', `${JSON.stringify(answer.body, null, 2)}\n`),
        (err: Error) => send(500, 'text/plain', `${err.message}\n`),
      );
      return;
    }
    if (path === '/metrics') {
      source.metrics().then(
        (text) => send(200, 'text/plain; version=0.0.4', text),
        (err: Error) => send(500, 'text/plain', `${err.message}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found: try /live, /ready, /metrics, /clusters, /config_dump, /certs, /debug/profile or /debug/heap\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
