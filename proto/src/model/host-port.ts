// `host:port` with an IPv6 literal in brackets (`[::1]:8080`), as URLs, Host headers and gRPC targets
// write it. One formatter for both planes: listen addresses, endpoint ids in etcd, probe authorities.

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
