// Replacing the mesh's root in three steps (docs/identity.md, "Rotating the root"), each one
// compare-and-swap on the stored CA so that two operators (or replicas) never lose each other's step:
// add a new root to the trust bundle, switch signing to it, remove the old one.
import { parseCertificates } from '../../../proto/src/identity/x509.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { KeyValueStore } from '../store/key-value-store.js';
import { CA_STORE_KEY, createRoot, decodeStoredCa, type StoredCa } from './root-authority.js';
import type { SecretSealer } from './secret-sealer.js';

/** A root as the admin API shows it: never its key. */
export interface RootInfo {
  readonly serial: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly signing: boolean;
}

/** Attempts of one step when other writers keep changing the CA meanwhile. */
const ATTEMPTS = 5;

export class RootRotation {
  constructor(private readonly kv: KeyValueStore, private readonly sealer: SecretSealer, private readonly trustDomain: string) {}

  /** Step 1: a new root joins the trust bundle; the current one still signs. */
  async addRoot(): Promise<RootInfo[]> {
    const root = await createRoot(this.trustDomain, this.sealer);
    return await this.change((ca) => ({ ...ca, roots: [...ca.roots, root] }));
  }

  /** Step 2: `serial` signs from now on. */
  async useRoot(serial: string): Promise<RootInfo[]> {
    return await this.change((ca) => {
      if (!ca.roots.some((r) => serialOf(r.certPem) === serial.toLowerCase())) throw notFound(serial);
      return { ...ca, signingSerial: serialOf(ca.roots.find((r) => serialOf(r.certPem) === serial.toLowerCase())!.certPem) };
    });
  }

  /** Step 3: `serial` leaves the trust bundle; refused for the root that signs. */
  async removeRoot(serial: string): Promise<RootInfo[]> {
    return await this.change((ca) => {
      const root = ca.roots.find((r) => serialOf(r.certPem) === serial.toLowerCase());
      if (root === undefined) throw notFound(serial);
      if (serialOf(root.certPem) === ca.signingSerial.toLowerCase()) {
        throw new ControlPlaneError(ErrorCode.Conflict, `root ${serial} signs workload certificates: switch signing to another root first (POST /v1/ca/roots/SERIAL/use)`);
      }
      return { ...ca, roots: ca.roots.filter((r) => r !== root) };
    });
  }

  /**
   * Seals every root's key again with the sealer's first key: the CA's part of `sluice ctl reencrypt`,
   * so that dropping an old encryption key never leaves the CA unreadable. 0 when no CA is stored yet.
   */
  async resealKeys(): Promise<number> {
    if ((await this.kv.get(CA_STORE_KEY)) === undefined) return 0;
    let count = 0;
    await this.change((ca) => {
      count = ca.roots.length;
      return { ...ca, roots: ca.roots.map((r) => ({ ...r, sealedKeyPem: this.sealer.seal(this.sealer.open(r.sealedKeyPem)) })) };
    });
    return count;
  }

  private async change(step: (ca: StoredCa) => StoredCa): Promise<RootInfo[]> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const stored = await this.kv.get(CA_STORE_KEY);
      if (stored === undefined) throw new ControlPlaneError(ErrorCode.NotFound, 'the store holds no mesh CA yet');
      const next = step(decodeStoredCa(stored.value));
      if (await this.kv.put(CA_STORE_KEY, JSON.stringify(next), stored.revision)) return rootInfos(next);
    }
    throw new ControlPlaneError(ErrorCode.ConcurrentWrite, `the mesh CA kept changing during ${ATTEMPTS} attempts; try again`);
  }
}

export function rootInfos(ca: StoredCa): RootInfo[] {
  return ca.roots.map((r) => {
    const cert = parseCertificates(r.certPem)[0]!;
    return {
      serial: cert.serialNumber,
      subject: cert.subject,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      signing: cert.serialNumber.toLowerCase() === ca.signingSerial.toLowerCase(),
    };
  });
}

function serialOf(certPem: string): string {
  return parseCertificates(certPem)[0]!.serialNumber.toLowerCase();
}

function notFound(serial: string): ControlPlaneError {
  return new ControlPlaneError(ErrorCode.NotFound, `the trust bundle has no root with serial ${JSON.stringify(serial)} (GET /v1/trust-bundle lists them)`);
}
