// POST /v1/reencrypt: seals every stored private key again with the current first encryption key, the
// step between "add the new key first" and "drop the old key" of a rotation (docs/operations.md).
import type { ResourceCache } from '../store/resource-cache.js';
import { resealCertificates } from '../store/reseal-certificates.js';
import type { ResourceStore } from '../store/store.js';
import type { ApiRoute } from './api-route.js';

export interface ReencryptRouteOptions {
  readonly store: ResourceStore;
  readonly cache: ResourceCache;
  /** The key new values are sealed with; undefined when private keys are stored in plaintext. */
  readonly sealingKey: string | undefined;
  /** Seals the mesh CA's stored keys again; answers how many roots it resealed. */
  readonly resealCaKeys?: () => Promise<number>;
}

export function reencryptRoute(options: ReencryptRouteOptions): ApiRoute {
  return {
    method: 'POST',
    path: '/v1/reencrypt',
    handler: async () => {
      const outcome = await resealCertificates(options.store);
      const caRoots = (await options.resealCaKeys?.()) ?? 0;
      // Read-your-writes, as every write of the API: a read after this answer sees the new revision.
      await options.cache.waitForRevision(outcome.revision);
      return { status: 200, body: { certificates: outcome.certificates, caRoots, sealingKey: options.sealingKey ?? null, revision: outcome.revision } };
    },
  };
}
