// One HTTP/1.1 request over TLS straight to a sidecar's inbound listener, as a mesh peer would send
// it: presenting a workload certificate (or none), trusting the mesh bundle, and accepting only a
// server certificate that names the expected SPIFFE ID (a mesh certificate has no DNS name).
import { request, type RequestOptions } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import type { Answer } from './two-sidecars.js';
import type { WorkloadFiles } from './workload-certificate-for.js';

export interface MeshTlsCallOptions {
  /** The client's certificate; without it the call presents none. */
  readonly client?: WorkloadFiles;
  /** The trust bundle (PEM) that must verify the server. */
  readonly bundlePem: string;
  readonly serverId: string;
  readonly headers?: Record<string, string>;
}

export function meshTlsCall(port: number, path: string, options: MeshTlsCallOptions): Promise<Answer & { serverUri: string | undefined }> {
  return new Promise((resolve, reject) => {
    let serverUri: string | undefined;
    const requestOptions: RequestOptions = {
      host: '127.0.0.1', port, path, agent: false, timeout: 5000,
      headers: { host: 'b', ...options.headers },
      ca: options.bundlePem,
      ...(options.client === undefined ? {} : { key: options.client.keyPem, cert: options.client.chainPem }),
      checkServerIdentity: (_host: string, cert: PeerCertificate) => {
        serverUri = /URI:([^,\s]+)/.exec(cert.subjectaltname ?? '')?.[1];
        return serverUri === options.serverId ? undefined : new Error(`server certificate names ${cert.subjectaltname}, not ${options.serverId}`);
      },
    };
    const req = request(requestOptions, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, serverUri }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from 127.0.0.1:${port}${path} in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}
