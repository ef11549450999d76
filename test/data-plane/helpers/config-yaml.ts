// YAML for the documents most proxy tests start from: a cluster on 127.0.0.1, a route that sends
// every request to it, a listener on 127.0.0.1. A test writes out only the fields it is about (limits,
// retries, health checks) as the `more` lines, and still reads as the configuration it applies.

/** The documents as one YAML stream, in order. */
export function yamlDocs(...docs: string[]): string {
  return `\n${docs.map((d) => d.trim()).join('\n---\n')}\n`;
}

/** Cluster `name` with an endpoint on 127.0.0.1 at each port (a number, or a `{{placeholder}}` for startMesh). */
export function clusterYaml(name: string, ports: ReadonlyArray<number | string>, more = ''): string {
  return `kind: Cluster\nname: ${name}\nendpoints: [${ports.map((p) => `{address: 127.0.0.1, port: ${p}}`).join(', ')}]\n${more}`;
}

/** Route `name` for every host and path, forwarding to `cluster`. */
export function catchAllRouteYaml(name: string, cluster: string, more = ''): string {
  return `kind: Route\nname: ${name}\nhosts: ["*"]\nforward: {cluster: ${cluster}}\n${more}`;
}

/** Listener `name` on 127.0.0.1 at `port` (0: a free one, as the proxy prints it). */
export function listenerYaml(name: string, port: number | string = 0, more = ''): string {
  return `kind: Listener\nname: ${name}\naddress: 127.0.0.1\nport: ${port}\n${more}`;
}

/** Certificate `name` holding only a CA bundle (what a cluster's `tls.caCertificate` names). */
export function caCertificateYaml(name: string, caPem: string): string {
  return `kind: Certificate\nname: ${name}\ncaBundle: ${JSON.stringify(caPem)}`;
}
