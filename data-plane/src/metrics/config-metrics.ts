// Metrics of the process that holds the configuration (the primary with --workers N): the revision
// in service and the updates refused (NACKed to the control plane, or a refused file).
import { Counter, Gauge, Registry } from 'prom-client';

export class ConfigMetrics {
  readonly registry = new Registry();
  private readonly revision: Gauge;
  private readonly updates: Counter<'result'>;
  private readonly nacks: Counter;

  constructor() {
    this.revision = new Gauge({
      name: 'sluice_proxy_config_revision',
      help: 'Control-plane revision of the configuration in service (with --config: applied updates, from 1).',
      aggregator: 'max',
      registers: [this.registry],
    });
    this.updates = new Counter({
      name: 'sluice_proxy_config_updates_total',
      help: 'Configuration updates by result: applied or rejected.',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.nacks = new Counter({
      name: 'sluice_proxy_config_nacks_total',
      help: 'Discovery responses this proxy NACKed (the last good configuration kept serving).',
      registers: [this.registry],
    });
    this.updates.inc({ result: 'applied' }, 0);
    this.updates.inc({ result: 'rejected' }, 0);
    this.nacks.inc(0);
  }

  private appliedCount = 0;

  /**
   * An update was applied (in every worker) or refused. `countRevision`: there is no control plane,
   * so the revision is the number of updates applied.
   */
  updated(ok: boolean, countRevision: boolean): void {
    this.updates.inc({ result: ok ? 'applied' : 'rejected' });
    if (ok && countRevision) this.revision.set(++this.appliedCount);
  }

  /** The control-plane revision now in service. */
  setRevision(revision: number): void {
    this.revision.set(revision);
  }

  /** Called where the discovery client sends a NACK (its 'rejected' event). */
  nacked(): void {
    this.nacks.inc();
  }
}
