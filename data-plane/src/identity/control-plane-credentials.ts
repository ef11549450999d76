// How a proxy reaches a control plane that serves its discovery port over TLS (--discovery-tls): the
// server's chain must verify with the mesh's trust bundle (--control-plane-ca), and its certificate
// must name the control plane's SPIFFE ID. The address dialled is not checked against the certificate
// (as SPIFFE's TLS profile authenticates the peer by its ID, not its host name), so one certificate
// serves every address the replicas are reached at.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { CONTROL_PLANE_TLS_NAME, namesControlPlane } from '../../../proto/src/identity/control-plane-identity.js';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';

export interface ControlPlaneChannel {
  readonly credentials: grpc.ChannelCredentials;
  /** Channel options the connection needs (the TLS server name). */
  readonly channelOptions: grpc.ChannelOptions;
}

/** Credentials for the trust bundle in `caFile` (PEM). */
export function controlPlaneChannel(caFile: string): ControlPlaneChannel {
  let bundle: Buffer;
  try {
    bundle = readFileSync(caFile);
  } catch (err) {
    throw new UsageError(`--control-plane-ca ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!bundle.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--control-plane-ca ${caFile} holds no PEM certificate (the mesh's trust bundle: sluice ctl ca roots, GET /v1/trust-bundle)`);
  const credentials = grpc.credentials.createSsl(bundle, null, null, {
    checkServerIdentity: (_host, cert) => (namesControlPlane(cert.subjectaltname)
      ? undefined
      : new Error(`the discovery port's certificate does not name the control plane (spiffe://<trust domain>/control-plane): ${cert.subjectaltname ?? 'no subjectAltName'}`)),
  });
  return { credentials, channelOptions: { 'grpc.ssl_target_name_override': CONTROL_PLANE_TLS_NAME } };
}
