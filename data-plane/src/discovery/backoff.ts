// Jittered exponential backoff for reconnects: proxies that lost the same control plane at the same
// moment do not all come back at the same moment.

export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly multiplier?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 30_000;
    this.multiplier = options.multiplier ?? 2;
  }

  /** The next delay: a random value in [cap/2, cap], the cap doubling per attempt up to maxMs. */
  next(): number {
    const cap = Math.min(this.maxMs, this.initialMs * this.multiplier ** this.attempt);
    this.attempt++;
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
