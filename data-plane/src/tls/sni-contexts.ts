// Secure contexts of one HTTPS listener, chosen per connection by SNI (exact name, then the nearest
// wildcard, then the default certificate). A name's context holds its certificate of each key type
// (RSA, ECDSA), and OpenSSL serves the one the client can verify. Replacing them affects new
// handshakes only: open TLS connections keep the context they were made with (docs/tls.md). Every
// context of a listener carries the proxy's session ticket keys (ticket-keys.ts) and the listener's
// session id context, so a ticket from one name's context resumes whichever context takes it.
import { createHash, createPrivateKey } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { dnsNamesOf, parseCertificates } from '../../../proto/src/model/validate/certificate.js';
import type { Certificate } from '../../../proto/gen/sluice/v1/certificate_pb.js';
import type { ListenerTls } from '../../../proto/gen/sluice/v1/listener_pb.js';
import { TICKET_LIFETIME_S } from './ticket-keys.js';
import { ClientCertificatePolicy, TlsVersion } from '../../../proto/src/model/enums.js';

/**
 * TLS 1.2 suites with forward secrecy and AEAD only (Mozilla "intermediate"); TLS 1.3 suites are
 * all modern and left to OpenSSL's defaults.
 */
export const MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const ALPN_PROTOCOLS = ['h2', 'http/1.1'];

/** Handshake-wide settings derived from a ListenerTls: the same for every certificate. */
export function listenerTlsOptions(tls: ListenerTls | undefined, lookup: (name: string) => Certificate | undefined): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  const policy = tls?.clientCertificate ?? ClientCertificatePolicy.NONE;
  const ca = tls?.clientCa ? lookup(tls.clientCa)?.caBundle : undefined;
  const settings = {
    minVersion: tls?.minVersion === TlsVersion.TLS1_3 ? ('TLSv1.3' as const) : ('TLSv1.2' as const),
    ciphers: MODERN_CIPHERS,
    honorCipherOrder: true,
    ecdhCurve: 'X25519:P-256:P-384',
    ...(ca ? { ca } : {}),
    requestCert: policy !== ClientCertificatePolicy.NONE,
    rejectUnauthorized: policy === ClientCertificatePolicy.REQUIRE,
  };
  return { ...settings, sessionTimeout: TICKET_LIFETIME_S, sessionIdContext: sessionIdContextOf(settings) };
}

/**
 * OpenSSL resumes a session only where its session id context matches (TLS 1.2 and 1.3): made from
 * the client-certificate policy and trust bundle, it keeps a session made on a listener that asked for
 * no client certificate from resuming on one that requires one. 32 hex characters: OpenSSL's maximum.
 */
function sessionIdContextOf(settings: object): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 32);
}

export class SniContexts {
  private exact = new Map<string, SecureContext>();
  /** `*.example.com` is stored under `example.com`. */
  private wildcard = new Map<string, SecureContext>();
  private fallback: SecureContext | undefined;
  /** The context every name gets, when the listener has only one (see soleContext). */
  private sole: SecureContext | undefined;
  /** Certificate fingerprints (chain, key, names, listener settings): unchanged ones are not rebuilt. */
  private key = '';

  /** `ticketKeys`: the proxy's session ticket keys, which every context is made with. */
  constructor(private ticketKeys: Buffer) {}

  /** A rotation: every context seals and opens tickets with `keys` from now on. */
  setTicketKeys(keys: Buffer): void {
    this.ticketKeys = keys;
    for (const context of new Set([...this.exact.values(), ...this.wildcard.values(), ...(this.fallback ? [this.fallback] : [])])) {
      (context.context as { setTicketKeys(keys: Buffer): void }).setTicketKeys(keys);
    }
  }

  /** The context for `servername` ('' or unknown: the default). */
  select(servername: string | undefined): SecureContext | undefined {
    if (servername) {
      const name = servername.toLowerCase();
      const hit = this.exact.get(name);
      if (hit !== undefined) return hit;
      // Only one label: `*.web.local` serves `a.web.local`, not `a.b.web.local` (RFC 6125 §6.4.3).
      const dot = name.indexOf('.');
      if (dot > 0) {
        const w = this.wildcard.get(name.slice(dot + 1));
        if (w !== undefined) return w;
      }
    }
    return this.fallback;
  }

  /**
   * The one context that every server name gets (a listener with one certificate), or undefined when
   * names get different ones (a name's RSA and ECDSA pair differs from the default certificate's
   * context too). With one, there is nothing to choose and the listener need not read the ClientHello
   * (context-by-client-hello.ts).
   */
  soleContext(): SecureContext | undefined {
    return this.sole;
  }

  /** Rebuilds the contexts from the listener's TLS settings; returns false when nothing changed. */
  update(tls: ListenerTls, lookup: (name: string) => Certificate | undefined): boolean {
    const settings = listenerTlsOptions(tls, lookup);
    const certs = tls.certificates.map((n) => lookup(n)).filter((c): c is Certificate => c !== undefined);
    const key = JSON.stringify([tls.defaultCertificate, settings, certs.map((c) => [c.name, c.certChain, c.privateKey, c.sniNames])]);
    if (key === this.key) return false;
    // Each name (`*.example.com` as written) gets the first certificate listed for it of each key type.
    const claims = new Map<string, Certificate[]>();
    const keyType = new Map(certs.map((c) => [c, keyTypeOf(c)]));
    for (const cert of certs) {
      const names = cert.sniNames.length > 0 ? cert.sniNames : dnsNamesOf(parseCertificates(cert.certChain)[0]!);
      for (const name of new Set(names.map((n) => n.toLowerCase()))) {
        const group = claims.get(name) ?? [];
        if (!group.some((c) => keyType.get(c) === keyType.get(cert))) group.push(cert);
        claims.set(name, group);
      }
    }
    // One context per distinct group: a certificate's names share it. A context with an RSA and an
    // ECDSA pair lets OpenSSL pick by the client's signature algorithms (context-by-client-hello.ts).
    const { requestCert: _r, rejectUnauthorized: _u, ...common } = settings;
    const built = new Map<string, SecureContext>();
    const contextOf = (group: readonly Certificate[]): SecureContext => {
      const id = JSON.stringify(group.map((c) => c.name));
      let context = built.get(id);
      if (context === undefined) built.set(id, (context = createSecureContext({ ...common, ticketKeys: this.ticketKeys, cert: group.map((c) => c.certChain), key: group.map((c) => c.privateKey) })));
      return context;
    };
    const exact = new Map<string, SecureContext>();
    const wildcard = new Map<string, SecureContext>();
    for (const [name, group] of claims) {
      if (name.startsWith('*.')) wildcard.set(name.slice(2), contextOf(group));
      else exact.set(name, contextOf(group));
    }
    const defaultName = tls.defaultCertificate || tls.certificates[0];
    const fallback = certs.find((c) => c.name === defaultName);
    this.exact = exact;
    this.wildcard = wildcard;
    this.fallback = fallback === undefined ? undefined : contextOf([fallback]);
    // contextOf made one context per distinct group; a name without one gets the fallback.
    this.sole = built.size === 1 ? this.fallback : undefined;
    this.key = key;
    return true;
  }
}

/** The private key's type (`rsa`, `ec`, `rsa-pss`, `ed25519`): OpenSSL holds one key pair per type. */
function keyTypeOf(cert: Certificate): string {
  try {
    return createPrivateKey(cert.privateKey).asymmetricKeyType ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
