// Projected Kubernetes service-account tokens as workload credentials (as istio-agent presents its
// pod's token to istiod): a JWT signed by the cluster's service-account issuer, checked offline
// against the issuer's JSON Web Key Set, proves spiffe://<trust-domain>/ns/<namespace>/sa/<account>.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { parseSpiffeId, serviceAccountSpiffeId } from '../../../proto/src/identity/spiffe-id.js';
import { jwksFileVersion, readJwksFile } from './jwks-file.js';
import type { WorkloadAuthenticator, WorkloadCaller } from './workload-authenticator.js';

/** The `iss` of a kube-apiserver run with its default --service-account-issuer. */
export const DEFAULT_KUBERNETES_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The audience the proxy's projected token is requested for (`serviceAccountToken.audience`). */
export const DEFAULT_KUBERNETES_AUDIENCE = 'sluice';
/** Clocks of the API server and the control plane may differ by this much (exp, nbf, iat). */
export const CLOCK_SKEW_SECONDS = 60;
/** The JWKS file is looked at again (stat) at most this often, so the issuer's new keys need no restart. */
export const JWKS_RECHECK_MS = 5_000;
/** Kubernetes signs with RSA (RS256) or ECDSA (ES256/384/512) keys; never `none` nor an HMAC. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
/** Longer bearer tokens are not looked at (projected tokens are about 1 KiB). */
const MAX_TOKEN_LENGTH = 16 * 1024;
/** Three base64url parts: a JWS in compact serialization (RFC 7515 §7.1). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const SUBJECT = /^system:serviceaccount:([^:]+):([^:]+)$/;

export interface KubernetesTokenOptions {
  /** --kubernetes-jwks-file: the issuer's public keys (`kubectl get --raw /openid/v1/jwks`). */
  readonly jwksFile: string;
  /** --kubernetes-issuer: the `iss` required. */
  readonly issuer: string;
  /** --kubernetes-audience: one of the token's `aud` must be this. */
  readonly audience: string;
  /** The key set as read when the flags were checked; absent: read now. */
  readonly jwks?: JSONWebKeySet;
}

export class KubernetesTokenAuthenticator implements WorkloadAuthenticator {
  private keys: JWTVerifyGetKey;
  private version: string | undefined;
  private checkedAtMs: number;

  constructor(
    private readonly options: KubernetesTokenOptions,
    private readonly trustDomain: string,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
    private readonly recheckMs: number = JWKS_RECHECK_MS,
  ) {
    this.checkedAtMs = now();
    this.version = versionOf(options.jwksFile);
    this.keys = createLocalJWKSet(options.jwks ?? readJwksFile(options.jwksFile));
  }

  /** A caller for a valid token; undefined for anything else (not a JWT: perhaps a bootstrap token). */
  async authenticate(bearerToken: string): Promise<WorkloadCaller | undefined> {
    if (bearerToken.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(bearerToken)) return undefined;
    this.reloadIfChanged();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(bearerToken, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(this.now()),
      }));
    } catch (err) {
      // The reason (expired, wrong audience, unknown key) helps the operator; the token is not logged.
      this.log?.warn({ reason: (err as { code?: string }).code ?? 'ERR_INVALID', message: (err as Error).message }, 'Kubernetes service-account token refused');
      return undefined;
    }
    const account = serviceAccountOf(payload);
    if (account === undefined) {
      this.log?.warn({ sub: payload.sub }, 'Kubernetes token refused: it names no service account (kubernetes.io claim or system:serviceaccount:<ns>:<sa> subject)');
      return undefined;
    }
    const spiffeId = serviceAccountSpiffeId(this.trustDomain, account.namespace, account.serviceAccount);
    const parsed = parseSpiffeId(spiffeId);
    if (parsed?.namespace !== account.namespace || parsed.serviceAccount !== account.serviceAccount) return undefined;
    return { spiffeId };
  }

  /** Reads the file again when it changed (rotation of the issuer's keys); a broken file keeps the keys in use. */
  private reloadIfChanged(): void {
    const now = this.now();
    if (now - this.checkedAtMs < this.recheckMs) return;
    this.checkedAtMs = now;
    try {
      const version = jwksFileVersion(this.options.jwksFile);
      if (version === this.version) return;
      const jwks = readJwksFile(this.options.jwksFile);
      this.keys = createLocalJWKSet(jwks);
      this.version = version;
      this.log?.info({ file: this.options.jwksFile, keys: jwks.keys.map((k) => k.kid ?? k.kty) }, '--kubernetes-jwks-file read again: the key set changed');
    } catch (err) {
      this.log?.warn({ file: this.options.jwksFile, err: (err as Error).message }, '--kubernetes-jwks-file cannot be read again; keeping the keys read before');
    }
  }
}

/** The namespace and service account a token is for: its `kubernetes.io` claim, else its `sub`; both must agree. */
export function serviceAccountOf(payload: JWTPayload): { namespace: string; serviceAccount: string } | undefined {
  const claim = payload['kubernetes.io'] as { namespace?: unknown; serviceaccount?: { name?: unknown } } | undefined;
  const fromClaim = typeof claim?.namespace === 'string' && typeof claim.serviceaccount?.name === 'string'
    ? { namespace: claim.namespace, serviceAccount: claim.serviceaccount.name }
    : undefined;
  const m = typeof payload.sub === 'string' ? SUBJECT.exec(payload.sub) : null;
  const fromSub = m === null ? undefined : { namespace: m[1]!, serviceAccount: m[2]! };
  if (fromClaim !== undefined && fromSub !== undefined && (fromClaim.namespace !== fromSub.namespace || fromClaim.serviceAccount !== fromSub.serviceAccount)) return undefined;
  return fromClaim ?? fromSub;
}

function versionOf(path: string): string | undefined {
  try {
    return jwksFileVersion(path);
  } catch {
    return undefined;
  }
}
