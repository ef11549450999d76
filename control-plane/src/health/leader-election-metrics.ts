// The health-checker election as metrics: whether this replica leads, and how often it won.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LeaderElection } from '../store/leader-election.js';

/**
 * Registers `sluice_health_checker_leader` (1 while this replica leads) and
 * `sluice_health_checker_elections_won_total` for `election` in `registry`.
 */
export function instrumentLeaderElection(election: LeaderElection, registry: Registry): () => void {
  new Gauge({
    name: 'sluice_health_checker_leader',
    help: 'Whether this replica is the elected leader that runs the control plane\'s own health checks (1) or not (0).',
    registers: [registry],
    collect() {
      this.set(election.fence === undefined ? 0 : 1);
    },
  });
  const won = new Counter({ name: 'sluice_health_checker_elections_won_total', help: 'Elections of the health-checker leader this replica won.', registers: [registry] });
  return election.onChange((fence) => {
    if (fence !== undefined) won.inc();
  });
}
