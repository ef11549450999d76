// The route tables the route-table and aged-proxy benchmarks load: on one host, N path-prefix routes
// (route i matches `/api/v{i % 7}/items/{i}/` and rewrites it to `/r-{i}/`), or N routes of one host
// each (`svc-{i}.bench.local`), all to one cluster `up`; and the request each sends, to the route a
// scan in priority order reaches last.

export const BENCH_HOST = 'bench.local';

export interface RouteTable {
  readonly routes: number;
  /** One host, many path prefixes; or one route per host. */
  readonly kind: 'prefixes' | 'hosts';
}

export const prefixOf = (i: number): string => `/api/v${i % 7}/items/${i}/`;

/**
 * The route a scan in priority order tries last, its host and a request path: for prefixes route 9
 * (route 0 with a single route), of the shortest prefixes the last by name; for hosts the last host.
 */
export function routeTableTarget(t: RouteTable): { host: string; path: string; route: string } {
  if (t.kind === 'hosts') return { host: `svc-${t.routes - 1}.${BENCH_HOST}`, path: '/api/x', route: `h-${t.routes - 1}` };
  const i = Math.min(t.routes, 10) - 1;
  return { host: BENCH_HOST, path: `${prefixOf(i)}x`, route: `r-${i}` };
}

/** A `sluice proxy --config` file: the cluster, the table and one listener. */
export function routeTableYaml(t: RouteTable, upstreamPort: number, listenPort: number): string {
  const docs = [`kind: Cluster\nname: up\nendpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]\npool: {maxIdlePerEndpoint: 256}`];
  for (let i = 0; i < t.routes; i++) {
    docs.push(t.kind === 'prefixes'
      ? `kind: Route\nname: r-${i}\nhosts: ["${BENCH_HOST}"]\nmatch: {pathPrefix: "${prefixOf(i)}"}\nrewrite: {pathPrefix: /r-${i}/}\nforward: {cluster: up}`
      : `kind: Route\nname: h-${i}\nhosts: ["svc-${i}.${BENCH_HOST}"]\nmatch: {pathPrefix: /api/}\nrewrite: {pathPrefix: /h-${i}/}\nforward: {cluster: up}`);
  }
  docs.push(`kind: Listener\nname: main\naddress: 127.0.0.1\nport: ${listenPort}`);
  return `${docs.join('\n---\n')}\n`;
}
