// Bootstrap tokens: random secrets, each scoped to one service's SPIFFE ID, that a proxy presents to
// obtain its workload certificate (as Kubernetes' bootstrap tokens let a kubelet obtain its own). The
// store keeps only each token's SHA-256, so reading the store gives no usable token; the token itself
// is returned once, when it is created.
import { createHash, randomBytes } from 'node:crypto';
import { parseSpiffeId, serviceSpiffeId } from '../../../proto/src/identity/spiffe-id.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { IDENTITY_PREFIX, type KeyValueStore } from '../store/key-value-store.js';
import type { WorkloadAuthenticator, WorkloadCaller } from './workload-authenticator.js';

export const TOKEN_PREFIX = `${IDENTITY_PREFIX}tokens/`;

/** What the store keeps of a token (under TOKEN_PREFIX + its SHA-256, hex). */
interface StoredToken {
  readonly spiffeId: string;
  readonly service: string;
  readonly createdAt: string;
  /** ISO time after which the token proves nobody; absent: valid until revoked. */
  readonly expiresAt?: string;
}

/** A token as the API lists it: never the token itself. */
export interface TokenInfo {
  /** The first 16 hex digits of the token's SHA-256: names it for revocation. */
  readonly id: string;
  readonly identity: string;
  readonly service: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
}

export interface CreatedToken extends TokenInfo {
  /** The bearer token: shown once. */
  readonly token: string;
}

const ID_LENGTH = 16;

export class BootstrapTokens implements WorkloadAuthenticator {
  constructor(private readonly kv: KeyValueStore, private readonly trustDomain: string, private readonly now: () => number = Date.now) {}

  /** A new token for `service`, valid for `ttlSeconds` (absent: until revoked). */
  async create(service: string, ttlSeconds?: number): Promise<CreatedToken> {
    const spiffeId = serviceSpiffeId(this.trustDomain, service);
    if (service === '' || parseSpiffeId(spiffeId)?.service !== service) {
      throw new ControlPlaneError(ErrorCode.Validation, `service ${JSON.stringify(service)} cannot be named in a SPIFFE ID`, {
        errors: [{ path: 'service', message: 'must be letters, digits, dots, dashes or underscores' }],
      });
    }
    const token = `sluice-bt-${randomBytes(32).toString('base64url')}`;
    const now = this.now();
    const stored: StoredToken = {
      spiffeId,
      service,
      createdAt: new Date(now).toISOString(),
      ...(ttlSeconds === undefined ? {} : { expiresAt: new Date(now + ttlSeconds * 1000).toISOString() }),
    };
    const hash = sha256(token);
    await this.kv.put(TOKEN_PREFIX + hash, JSON.stringify(stored));
    return { token, ...info(hash, stored) };
  }

  async authenticate(bearerToken: string): Promise<WorkloadCaller | undefined> {
    if (bearerToken === '') return undefined;
    // Looked up by hash: the time taken says nothing about how close a guess came.
    const hash = sha256(bearerToken);
    const entry = await this.kv.get(TOKEN_PREFIX + hash);
    if (entry === undefined) return undefined;
    const stored = parse(entry.value);
    if (stored === undefined) return undefined;
    if (stored.expiresAt !== undefined && Date.parse(stored.expiresAt) <= this.now()) {
      await this.kv.delete(TOKEN_PREFIX + hash).catch(() => undefined);
      return undefined;
    }
    return { spiffeId: stored.spiffeId, service: stored.service };
  }

  /** Every token still valid, oldest first. */
  async list(): Promise<TokenInfo[]> {
    const now = this.now();
    return (await this.kv.list(TOKEN_PREFIX))
      .flatMap(({ key, value }) => {
        const stored = parse(value);
        return stored === undefined || (stored.expiresAt !== undefined && Date.parse(stored.expiresAt) <= now) ? [] : [info(key.slice(TOKEN_PREFIX.length), stored)];
      })
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  /** Revokes the token whose id is `id`; false when there is none. Certificates already issued stay valid until they expire. */
  async revoke(id: string): Promise<boolean> {
    if (!new RegExp(`^[0-9a-f]{${ID_LENGTH}}$`).test(id)) return false;
    const match = (await this.kv.list(TOKEN_PREFIX + id))[0];
    return match === undefined ? false : await this.kv.delete(match.key);
  }
}

function sha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function info(hash: string, stored: StoredToken): TokenInfo {
  return {
    id: hash.slice(0, ID_LENGTH),
    identity: stored.spiffeId,
    service: stored.service,
    createdAt: stored.createdAt,
    ...(stored.expiresAt === undefined ? {} : { expiresAt: stored.expiresAt }),
  };
}

function parse(value: string): StoredToken | undefined {
  try {
    const v = JSON.parse(value) as StoredToken;
    return typeof v.spiffeId === 'string' && typeof v.service === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
