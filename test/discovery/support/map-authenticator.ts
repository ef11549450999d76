// A WorkloadAuthenticator over a fixed map of token to caller: the seam the discovery server checks
// workload credentials through, owned by us, standing in for the bootstrap-token store. `hold()` makes
// the next checks wait until released, for tests of streams whose requests arrive before the answer.
import { DEFAULT_TRUST_DOMAIN, serviceSpiffeId } from '../../../proto/src/identity/spiffe-id.js';
import type { WorkloadAuthenticator, WorkloadCaller } from '../../../control-plane/src/identity/workload-authenticator.js';

export class MapAuthenticator implements WorkloadAuthenticator {
  /** Every token checked, in order. */
  readonly checked: string[] = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  constructor(private readonly callers: ReadonlyMap<string, WorkloadCaller>) {}

  /** A caller scoped to `service` (`spiffe://sluice.local/svc/<service>`). */
  static service(service: string): WorkloadCaller {
    return { spiffeId: serviceSpiffeId(DEFAULT_TRUST_DOMAIN, service), service };
  }

  async authenticate(bearerToken: string): Promise<WorkloadCaller | undefined> {
    this.checked.push(bearerToken);
    await this.gate;
    return this.callers.get(bearerToken);
  }

  /** Checks from now on wait until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }
}
