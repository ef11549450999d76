// What a part of the control plane gets and must do: the contract between control-plane.ts, which
// assembles the parts, and the parts themselves (discovery, health). Its own file so that the parts
// need not import the assembler.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ApiRoute } from './api/api-route.js';
import type { ApiTokens } from './api/api-tokens.js';
import type { ResourceCache } from './store/resource-cache.js';
import type { ResourceStore } from './store/store.js';
import type { SecretSealer } from './identity/secret-sealer.js';
import type { LeaseStore } from './store/lease-store.js';

/** This replica among others on one store: its name, and leases for keys that die with it. */
export interface ReplicaIdentity {
  readonly id: string;
  readonly leases: LeaseStore;
  /** TTL of this replica's leases (`--lease-ttl-seconds`): how long a dead replica's keys outlive it. */
  readonly leaseTtlSeconds: number;
}

/**
 * A part of the control plane that lives on the cache: the discovery gRPC server is one. Created
 * before the admin API (so its `routes` are registered), started once the cache has read the store,
 * stopped before the cache closes.
 */
export interface ControlPlaneModule {
  readonly routes?: readonly ApiRoute[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControlPlaneDeps {
  readonly store: ResourceStore;
  readonly cache: ResourceCache;
  readonly log: Logger;
  /** The Prometheus registry GET /metrics serves: modules register their metrics here. */
  readonly metrics: Registry;
  /** The admin API's tokens with their names and roles (admin ones are accepted on the discovery stream too). */
  readonly apiTokens: ApiTokens;
  /** Seals private keys kept in the store (the operator's --encryption-key-file); see secret-sealer.ts. */
  readonly sealer: SecretSealer;
  /** Set for the modules made after health, which names the replica and holds its leases. */
  readonly replica?: ReplicaIdentity;
}

export type ControlPlaneModuleFactory = (deps: ControlPlaneDeps) => ControlPlaneModule;
