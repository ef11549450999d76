// Several workload credentials on one port (projected Kubernetes service-account tokens beside
// bootstrap tokens): each authenticator in turn, the first that proves someone wins.
import type { WorkloadAuthenticator, WorkloadCaller } from './workload-authenticator.js';

export class FirstAuthenticator implements WorkloadAuthenticator {
  constructor(private readonly authenticators: readonly WorkloadAuthenticator[]) {}

  async authenticate(bearerToken: string): Promise<WorkloadCaller | undefined> {
    for (const a of this.authenticators) {
      const caller = await a.authenticate(bearerToken);
      if (caller !== undefined) return caller;
    }
    return undefined;
  }
}
