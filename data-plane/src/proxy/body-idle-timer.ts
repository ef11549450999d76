// Watches the pauses between request body bytes (nginx's client_body_timeout): one timer per body,
// re-armed for what is left of the wait when it fires early, so a chunk costs one clock read.
import { performance } from 'node:perf_hooks';

export class BodyIdleTimer {
  private last = performance.now();
  private timer: NodeJS.Timeout | undefined;

  /** `onIdle` runs once when no `touch` came for `idleMs`; 0 or less never fires. */
  constructor(private readonly idleMs: number, private readonly onIdle: () => void) {
    if (idleMs > 0) this.timer = setTimeout(this.check, idleMs);
  }

  /** A body byte arrived (or the wait restarts: reading resumed). */
  touch(): void {
    this.last = performance.now();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly check = (): void => {
    const idle = performance.now() - this.last;
    if (idle >= this.idleMs) {
      this.timer = undefined;
      this.onIdle();
    } else {
      this.timer = setTimeout(this.check, Math.max(1, Math.ceil(this.idleMs - idle)));
    }
  };
}
