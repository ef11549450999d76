// The worker side of `sluice proxy --workers N`: applies what the primary sends (configuration changes,
// health verdicts, ejections), answers for metrics, /clusters and /debug/*, and reports its own ejections. The
// primary validated every configuration it sends: a worker decodes and applies it, and reports what
// failed to apply (a listener that cannot bind, a user filter that does not load).
import { clusterReports } from '../metrics/cluster-report.js';
import type { ProxyRuntime } from './proxy-runtime.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { applyDelta } from './worker-delta.js';
import type { FromWorker, ToWorker } from './worker-messages.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, SIGINT_EXIT_CODE } from './proxy-options.js';
import { runDiagnostic } from '../diagnostics/run-diagnostic.js';
import { checkTicketKeys } from '../tls/ticket-keys.js';
import type { WorkerTokenChannel } from './worker-token-channel.js';
import { releaseStartupHold } from './startup-hold.js';

export function runWorker(runtime: ProxyRuntime, tokens?: WorkerTokenChannel): void {
  const send = (m: FromWorker): void => {
    process.send?.(m);
  };
  // The primary shares each ejection with every worker and probes the endpoints that refused.
  runtime.mesh.reportEjectionsTo((report) => send({ sluice: 'ejection', id: 0, report }));
  // The configuration the primary sent last, applied or not: its next change is a change of this one.
  let sent: ResourceSet | undefined;
  process.on('message', (raw: unknown) => {
    const m = raw as ToWorker;
    if (m?.sluice === 'apply') {
      let next: ResourceSet;
      try {
        next = applyDelta(sent, m);
      } catch (err) {
        // Later changes would apply to the wrong base: refuse them until the primary sends everything
        // again, as it does after a refusal.
        sent = undefined;
        return send({ sluice: 'applied', id: m.id, ok: false, errors: [{ path: 'worker', message: (err as Error).message }] });
      }
      sent = next;
      runtime.apply(next, m.userFilters, m.baseDir).then(
        (r) => {
          // Its first configuration applied, the worker serves: traffic may size its heap and code.
          releaseStartupHold();
          send({ sluice: 'applied', id: m.id, ok: r.ok, errors: r.ok ? [] : r.errors });
        },
        (err: Error) => send({ sluice: 'applied', id: m.id, ok: false, errors: [{ path: 'worker', message: err.message }] }),
      );
    } else if (m?.sluice === 'metrics') {
      runtime.mesh.metrics.json().then(
        (metrics) => send({ sluice: 'metrics', id: m.id, metrics }),
        () => send({ sluice: 'metrics', id: m.id, metrics: [] }),
      );
    } else if (m?.sluice === 'drain') {
      void retire(runtime, m.timeoutMs, send, 0, () => send({ sluice: 'draining', id: m.id }));
    } else if (m?.sluice === 'health') {
      for (const o of m.overrides) runtime.mesh.setActiveHealth(o.cluster, o.address, o.port, o.health, o.reason);
    } else if (m?.sluice === 'ejections') {
      runtime.mesh.applyEjections(m.verdicts);
    } else if (m?.sluice === 'identity') {
      runtime.identity = m.identity;
    } else if (m?.sluice === 'ticket-keys') {
      runtime.mesh.listeners.setTicketKeys(checkTicketKeys(m.keys));
    } else if (m?.sluice === 'certs') {
      send({ sluice: 'certs', id: m.id, serial: runtime.identity?.serialNumber });
    } else if (m?.sluice === 'diagnose') {
      void runDiagnostic(m.diagnostic).then((result) => send({ sluice: 'diagnosed', id: m.id, result }));
    } else if (m?.sluice === 'tokens') {
      tokens?.answered(m.id, m.grant);
    } else if (m?.sluice === 'traffic') {
      send({ sluice: 'traffic', id: m.id, traffic: runtime.mesh.metrics.takeTraffic() });
    } else if (m?.sluice === 'clusters') {
      send({ sluice: 'clusters', id: m.id, clusters: clusterReports(runtime.mesh.snapshot?.clusters.values() ?? [], runtime.mesh.metrics) });
    }
  });
  // Messages sent before this listener existed would be lost: the primary waits for this hello.
  send({ sluice: 'hello', id: 0 });
  // A signal straight to a worker (a whole process group signalled): SIGTERM drains, SIGINT closes
  // now; SIGHUP is the primary's business (a reload), so it must not end a worker.
  process.on('SIGTERM', () => void retire(runtime, Number(process.env['SLUICE_DRAIN_TIMEOUT_MS'] ?? DEFAULT_DRAIN_TIMEOUT_MS), send));
  process.on('SIGINT', () => void retire(runtime, 0, send, SIGINT_EXIT_CODE));
  process.on('SIGHUP', () => {});
}

let retiring: Promise<void> | undefined;

/**
 * Drains this worker's listeners (drain-server.ts) for up to `timeoutMs`, hands its final metrics to
 * the primary, and exits. `onStopped` runs once the listeners stopped accepting: in a cluster the
 * primary then hands new connections to the other workers only.
 */
async function retire(runtime: ProxyRuntime, timeoutMs: number, send: (m: FromWorker) => void, code = 0, onStopped?: () => void): Promise<void> {
  const drained = runtime.mesh.listeners.close(timeoutMs);
  onStopped?.();
  if (retiring !== undefined) return retiring;
  retiring = (async () => {
    await drained;
    await runtime.mesh.close();
    await runtime.flushTelemetry();
    const metrics = await runtime.mesh.metrics.json().catch(() => []);
    // Exit once the primary has the message; without a channel (or if it is gone) exit anyway.
    const exit = (): void => process.exit(code);
    if (process.send === undefined || !process.connected) return exit();
    const traffic = runtime.mesh.metrics.takeTraffic();
    process.send({ sluice: 'retired', id: 0, metrics, traffic } satisfies FromWorker, undefined, {}, exit);
    setTimeout(exit, 2000).unref();
  })();
  return retiring;
}
