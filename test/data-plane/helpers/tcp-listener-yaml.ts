// A TCP listener `db` on 127.0.0.1 port 0 and its cluster `db`, as resource documents: `endpoints` is
// the YAML list's inside, `tcp` extra fields of Listener.tcp, `listener` and `cluster` extra lines.
export function tcpListenerYaml(endpoints: string, extra: { tcp?: string; listener?: string; cluster?: string } = {}): string {
  return `kind: Cluster
name: db
endpoints: [${endpoints}]
${extra.cluster ?? ''}
---
kind: Listener
name: db
address: 127.0.0.1
port: 0
protocol: TCP
tcp: {cluster: db${extra.tcp ? `, ${extra.tcp}` : ''}}
${extra.listener ?? ''}
`;
}

/** One endpoint on 127.0.0.1, as an item of a YAML flow list. */
export const local = (port: number): string => `{address: 127.0.0.1, port: ${port}}`;
