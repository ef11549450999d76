// Outlier detection's memory of one endpoint: its consecutive-failure counters and its ejection. It
// lives on the Peer, so it survives snapshot updates that carry the peer over (cluster-state.ts).

export class OutlierState {
  consecutive5xx = 0;
  consecutiveGatewayErrors = 0;
  consecutiveConnectFailures = 0;
  /** Ejections that still count toward the next ejection's length; decays while the endpoint behaves. */
  multiplier = 0;
  /** performance.now() at which the ejection ends; 0 when not ejected. */
  ejectedUntilMs = 0;
  /**
   * The endpoint refused a connection: out until a probe from the process that runs the health checks
   * passes (SharedEjections), whatever ejectedUntilMs says.
   */
  untilProbed = false;
  /** When the last ejection ended (performance.now()), for the multiplier's decay; 0 before any. */
  lastUnejectedMs = 0;
  /** Why it was last ejected (`5 consecutive gateway errors`), for /clusters. */
  reason = '';
  /** Ejections of this endpoint in this process, for /clusters. */
  ejections = 0;
  timer: NodeJS.Timeout | undefined = undefined;

  resetCounters(): void {
    this.consecutive5xx = 0;
    this.consecutiveGatewayErrors = 0;
    this.consecutiveConnectFailures = 0;
  }

  clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
