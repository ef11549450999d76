// A control-plane replica's /metrics page, and one sample's value read from it.
import assert from 'node:assert/strict';
import type { Replica } from './discovery-fixture.js';

export async function scrapeMetrics(replica: Replica): Promise<string> {
  const res = await fetch(`${replica.api.url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of `series` as the page prints it (name and labels, e.g. `x_total{type="Route"}`); 0 when absent. */
export function sampleValue(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
