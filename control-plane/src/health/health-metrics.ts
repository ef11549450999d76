// Health and registration metrics: what this replica writes to etcd, the verdict changes of
// its proxies' majority that cause those writes, and the sidecars registered through it.
import { Counter, Gauge, type Registry } from 'prom-client';

export class HealthMetrics {
  private readonly writes: Counter<'kind' | 'op' | 'result'>;
  private readonly transitions: Counter<'health'>;

  constructor(registry: Registry | undefined, registered: () => number) {
    const registers = registry === undefined ? [] : [registry];
    this.writes = new Counter({
      name: 'sluice_health_writes_total',
      help: 'Writes to etcd under /sluice/health/ and /sluice/registrations/ by this replica.',
      labelNames: ['kind', 'op', 'result'],
      registers,
    });
    this.transitions = new Counter({
      name: 'sluice_health_transitions_total',
      help: "Changes of this replica's aggregate verdict on an endpoint (its connected proxies' majority), by new health.",
      labelNames: ['health'],
      registers,
    });
    new Gauge({
      name: 'sluice_registrations_active',
      help: 'Sidecars registered through an open discovery stream to this replica.',
      registers,
      collect() {
        this.set(registered());
      },
    });
  }

  /** `kind`: health | registration; `op`: put | delete; `result`: ok | fenced | error. */
  wrote(kind: 'health' | 'registration', op: 'put' | 'delete', result: 'ok' | 'fenced' | 'error'): void {
    this.writes.inc({ kind, op, result });
  }

  transition(health: string): void {
    this.transitions.inc({ health });
  }
}
