// The TLS of mesh traffic between sidecars, from the proxy's workload certificate: the client side
// (a connection to an endpoint that has an `identity`) and the server side (the inbound listener).
// One object per process, kept current as the certificate is renewed or the trust bundle changes: a
// renewal applies to new handshakes, and open connections are not touched.
import { createSecureContext, type ConnectionOptions, type PeerCertificate, type SecureContext } from 'node:tls';
import { spiffeUri } from '../../../proto/src/identity/subject-alt-name.js';
import type { WorkloadIdentity } from './workload-identity.js';

/** What a mesh server must present: its certificate and key, and the roots that verify the caller. */
export interface MeshServerCredentials {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export class MeshTls {
  private current: WorkloadIdentity | undefined;
  private clientContext: SecureContext | undefined;
  /** Client options by expected server identity: one object each, shared by every pool to it. */
  private readonly clients = new Map<string, ConnectionOptions>();
  /** Bumped on every change of certificate or trust bundle: servers compare it to refresh their context. */
  version = 0;

  /**
   * `enabled`: this proxy is meant to have a workload identity (it was given a bootstrap token). Then
   * endpoints with an identity are reached with mutual TLS only, before the certificate arrives too:
   * those connections fail until it does, and never fall back to plain text.
   */
  constructor(readonly enabled: boolean) {}

  get identity(): WorkloadIdentity | undefined {
    return this.current;
  }

  set(identity: WorkloadIdentity | undefined): void {
    if (identity === this.current) return;
    this.current = identity;
    this.clientContext = identity === undefined ? undefined : createSecureContext({ cert: identity.certChainPem, key: identity.keyPem, ca: identity.trustBundlePem, minVersion: 'TLSv1.2' });
    this.version++;
  }

  /** The server side: undefined until the proxy holds a certificate. */
  serverCredentials(): MeshServerCredentials | undefined {
    const id = this.current;
    return id === undefined ? undefined : { cert: id.certChainPem, key: id.keyPem, ca: id.trustBundlePem };
  }

  /**
   * TLS options for connections to a mesh endpoint that must prove `expectedIdentity`: the workload
   * certificate as client certificate, the mesh trust bundle as the only roots, and a server
   * certificate whose one SPIFFE URI SAN is that identity (the endpoint's address is not what a mesh
   * certificate names). Read at each connect: a renewal reaches new connections through the getter.
   */
  clientOptions(expectedIdentity: string): ConnectionOptions {
    let options = this.clients.get(expectedIdentity);
    if (options !== undefined) return options;
    const self = this;
    options = {
      // Without a certificate yet: an empty context, whose handshake the server refuses (no client
      // certificate) and whose verification fails (no mesh root): never plain text.
      get secureContext(): SecureContext {
        return self.clientContext ?? (self.emptyContext ??= createSecureContext({ ca: [] }));
      },
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      checkServerIdentity: (_host: string, cert: PeerCertificate) => serverIdentityProblem(cert, expectedIdentity),
    };
    this.clients.set(expectedIdentity, options);
    return options;
  }

  private emptyContext: SecureContext | undefined;
}

/** Node calls this after the chain verified: an Error refuses the connection. */
function serverIdentityProblem(cert: PeerCertificate, expected: string): Error | undefined {
  const found = spiffeUri(cert.subjectaltname);
  if (found === expected) return undefined;
  const error = new Error(`the mesh endpoint's certificate names ${found ?? 'no SPIFFE ID'}, expected ${expected}`) as Error & { code: string };
  error.code = 'ERR_MESH_IDENTITY_MISMATCH';
  return error;
}
