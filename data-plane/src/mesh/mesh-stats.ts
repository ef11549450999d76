// Request counters of one proxy process, rendered in Prometheus text format by the admin server.
import type { ProxyError } from '../errors.js';
import type { Session } from '../proxy/session.js';

export class MeshStats {
  requests = 0;
  /** By status class: index 1 = 1xx ... 5 = 5xx; 0 = no status sent (client went away). */
  readonly byClass = [0, 0, 0, 0, 0, 0];
  readonly errors = new Map<string, number>();
  retries = 0;

  record(session: Session, error: ProxyError | undefined): void {
    this.requests++;
    this.byClass[Math.min(5, Math.floor(session.status / 100))]!++;
    if (session.attempt > 0) this.retries += session.attempt;
    if (error !== undefined) this.errors.set(error.code, (this.errors.get(error.code) ?? 0) + 1);
  }

  toPrometheus(): string {
    const lines = ['# TYPE sluice_proxy_requests_total counter'];
    this.byClass.forEach((n, i) => lines.push(`sluice_proxy_requests_total{status_class="${i === 0 ? 'none' : `${i}xx`}"} ${n}`));
    lines.push('# TYPE sluice_proxy_retries_total counter', `sluice_proxy_retries_total ${this.retries}`);
    lines.push('# TYPE sluice_proxy_errors_total counter');
    for (const [code, n] of this.errors) lines.push(`sluice_proxy_errors_total{code="${code}"} ${n}`);
    return `${lines.join('\n')}\n`;
  }
}
