// The CA kept in the store, as every replica uses it: read at each use (one small read per certificate
// request) so that a root rotation made through any replica is followed by all of them, opened again
// only when the stored value changed, and the last one read kept in use while the store cannot be
// reached (issuing from a known root beats refusing every proxy during an etcd outage).
import type { Logger } from 'pino';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { KeyValueStore } from '../store/key-value-store.js';
import { loadOrCreateStoredCa, openStoredCa } from './root-authority.js';
import type { SecretSealer } from './secret-sealer.js';
import type { SigningAuthority } from './signing-authority.js';

export class StoredAuthority {
  private cached: { readonly revision: number; readonly authority: SigningAuthority } | undefined;

  constructor(private readonly kv: KeyValueStore, private readonly sealer: SecretSealer, private readonly trustDomain: string, private readonly log: Logger) {}

  /** The CA as stored now; created on the mesh's first start. */
  async current(): Promise<SigningAuthority> {
    let stored;
    try {
      stored = await loadOrCreateStoredCa(this.kv, this.sealer, this.trustDomain, this.log);
    } catch (err) {
      if (this.cached !== undefined && err instanceof ControlPlaneError && err.code === ErrorCode.StoreUnavailable) return this.cached.authority;
      throw err;
    }
    if (this.cached?.revision === stored.revision) return this.cached.authority;
    const authority = await openStoredCa(stored.value, this.sealer);
    const before = this.cached?.authority.signer.serialNumber;
    this.cached = { revision: stored.revision, authority };
    if (before !== authority.signer.serialNumber) {
      this.log.info({ serial: authority.signer.serialNumber, subject: authority.signer.subject, notAfter: authority.signer.notAfter.toISOString(), roots: authority.roots.length }, 'mesh CA: signing with a root kept in the store');
    }
    return authority;
  }
}
