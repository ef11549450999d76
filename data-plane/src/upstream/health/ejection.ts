// What the serving processes and the process that runs the health checks tell each other about
// outlier ejections (SharedEjections), so every process of a proxy skips the same endpoints.

/** One serving process's own ejection, as its OutlierDetector decided it. */
export interface EjectionReport {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  /** true: the endpoint refused a connection and is out until a probe passes; false: out for `ms`. */
  readonly refused: boolean;
  readonly ms: number;
  /** The ejection multiplier after this ejection (the next one lasts longer). */
  readonly multiplier: number;
  readonly reason: string;
}

/** One endpoint's ejection as every serving process must hold it (a full state: applying it twice changes nothing). */
export interface EjectionVerdict {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  /** What is left of a timed ejection; 0: none. */
  readonly ejectedMs: number;
  /** Out until a probe passes. */
  readonly refused: boolean;
  readonly multiplier: number;
  readonly reason: string;
}

/** A verdict puts the endpoint out of balancing. */
export function ejects(v: Pick<EjectionVerdict, 'ejectedMs' | 'refused'>): boolean {
  return v.ejectedMs > 0 || v.refused;
}
