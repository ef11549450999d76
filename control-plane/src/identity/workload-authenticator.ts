// Who a proxy is, from the credential it presents on the discovery port (a bootstrap token today; a
// projected Kubernetes service-account token or a mesh certificate are other implementations).

export interface WorkloadCaller {
  /** The identity the credential is scoped to: the only one it may obtain certificates for. */
  readonly spiffeId: string;
  /** The service of a `spiffe://<td>/svc/<service>` identity. */
  readonly service?: string;
}

export interface WorkloadAuthenticator {
  /** The caller a bearer token proves, or undefined when the token proves nobody. */
  authenticate(bearerToken: string): Promise<WorkloadCaller | undefined>;
}
