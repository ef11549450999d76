// A stand-in for a Kubernetes cluster's service-account issuer in identity tests: its own key pairs
// (RSA and EC P-256), the JWKS file the operator would copy from `kubectl get --raw /openid/v1/jwks`,
// and projected tokens signed with jose as the kube-apiserver signs them.
import { writeFileSync, renameSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const AUDIENCE = 'sluice';

export interface IssuerKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export async function issuerKey(kid: string, alg: 'RS256' | 'ES256'): Promise<IssuerKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** Writes the public keys as a JWKS, replacing the file in one step (as a ConfigMap update does). */
export function writeJwks(path: string, keys: readonly IssuerKey[]): void {
  writeFileSync(`${path}.tmp`, JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  renameSync(`${path}.tmp`, path);
}

export interface TokenClaims {
  namespace?: string;
  serviceAccount?: string;
  /** Default `system:serviceaccount:<namespace>:<serviceAccount>`. */
  sub?: string;
  /** Default true: the `kubernetes.io` claim a projected token carries. */
  kubernetesClaim?: boolean;
  iss?: string;
  aud?: string | string[];
  /** Seconds from now; negative: already expired. Default 3600. */
  expiresInSeconds?: number;
}

/** A projected service-account token as the kube-apiserver makes it, signed with `key`. */
export async function projectedToken(key: IssuerKey, claims: TokenClaims = {}): Promise<string> {
  const namespace = claims.namespace ?? 'shop';
  const serviceAccount = claims.serviceAccount ?? 'web';
  const now = Math.floor(Date.now() / 1000);
  const kubernetes = { namespace, serviceaccount: { name: serviceAccount, uid: '5c1a0e5e-0000-4000-8000-000000000001' }, pod: { name: `${serviceAccount}-7d9f`, uid: '5c1a0e5e-0000-4000-8000-000000000002' } };
  return await new SignJWT(claims.kubernetesClaim === false ? {} : { 'kubernetes.io': kubernetes })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setSubject(claims.sub ?? `system:serviceaccount:${namespace}:${serviceAccount}`)
    .setIssuedAt(now - 10)
    .setNotBefore(now - 10)
    .setExpirationTime(now + (claims.expiresInSeconds ?? 3600))
    .sign(key.privateKey);
}

/** An unsecured JWT (RFC 7519 §6: `alg: none`, empty signature) with the claims of a valid token. */
export function unsecuredToken(kid: string): string {
  const part = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', kid })}.${part({ iss: ISSUER, aud: AUDIENCE, sub: 'system:serviceaccount:shop:web', 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'web' } }, iat: now, exp: now + 3600 })}.`;
}
