// Control-plane replicas on one real etcd, as tests of what replicas share through it need them: one
// in this process (its health module and discovery reachable), one a real `sluice control-plane`
// process (that can be SIGKILLed). Everything stops with the test, the process first by SIGKILL.
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import type { AddCleanup } from './cleanup-stack.js';
import type { EtcdCluster } from './etcd-cluster.js';
import { freePort } from './free-port.js';
import { stopChild } from './process-guard.js';
import { SluiceProcess } from './run-sluice.js';
import { until } from './until.js';

export interface ReplicaOptions {
  readonly token: string;
  readonly leaseTtlSeconds: number;
}

/** A replica in this process, started, with its API and discovery on ephemeral ports. */
export async function startInProcessReplica(etcd: EtcdCluster, cleanup: AddCleanup, options: ReplicaOptions & { readonly replicaId: string }): Promise<ControlPlane> {
  const cp = new ControlPlane({
    store: new EtcdStore({ endpoints: etcd.endpoints }),
    token: options.token,
    apiListen: { host: '127.0.0.1', port: 0 },
    discoveryListen: { host: '127.0.0.1', port: 0 },
    log: createLogger({ level: 'error' }),
    health: { replicaId: options.replicaId, leaseTtlSeconds: options.leaseTtlSeconds },
  });
  await cp.start();
  cleanup(() => cp.stop());
  return cp;
}

export interface ProcessReplica {
  readonly process: SluiceProcess;
  readonly apiUrl: string;
  /** `127.0.0.1:port` of its discovery server. */
  readonly discoveryAddress: string;
  /** Resolves once its /readyz answers 200. */
  ready(timeoutMs?: number): Promise<void>;
}

/** A `sluice control-plane` process; call ready() before using it. */
export async function startProcessReplica(etcd: EtcdCluster, cleanup: AddCleanup, options: ReplicaOptions): Promise<ProcessReplica> {
  const [api, discovery] = [await freePort(), await freePort()];
  const process = new SluiceProcess(['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${api}`, '--discovery-listen', `127.0.0.1:${discovery}`, '--lease-ttl-seconds', String(options.leaseTtlSeconds)], { SLUICE_TOKEN: options.token });
  cleanup(() => stopChild(process.child, 0, 'SIGKILL'));
  const apiUrl = `http://127.0.0.1:${api}`;
  return {
    process,
    apiUrl,
    discoveryAddress: `127.0.0.1:${discovery}`,
    ready: async (timeoutMs) => {
      await until('the control-plane process is ready', async () => ((await fetch(`${apiUrl}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), timeoutMs);
    },
  };
}
