// A metric whose values are read when the registry is scraped, from counters the proxy keeps as
// plain numbers. prom-client's own children hash their labels on every inc(); the request path
// cannot afford that, so it bumps fields and the registry asks for them here.
import type { Registry } from 'prom-client';

export interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
}

export type MetricType = 'counter' | 'gauge' | 'histogram';
/** How the primary combines the workers' values (prom-client's AggregatorRegistry aggregators). */
export type Aggregator = 'sum' | 'first' | 'min' | 'max' | 'average' | 'omit';

export class CollectedMetric {
  readonly aggregator: Aggregator;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    private readonly read: () => MetricValue[] | Promise<MetricValue[]>,
    registry: Registry,
    aggregator: Aggregator = 'sum',
  ) {
    this.aggregator = aggregator;
    // registerMetric only needs `name` and `get()`; the class type is prom-client's own.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  async get(): Promise<{ name: string; help: string; type: MetricType; aggregator: Aggregator; values: MetricValue[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: await this.read() };
  }

  reset(): void {}
}
