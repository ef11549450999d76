// The feed's reset comes in columns (the field names once, then each proxy's values in that order:
// control-plane/src/ui/proxy-columns.ts); this turns it back into records like GET /v1/proxies' items.
import type { ProxyRecord } from './api-types.js';

/** A null value is a field the record lacks (lastAckAt before the first ACK, lastError): left out. */
export function recordsOf(columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>): ProxyRecord[] {
  const records: ProxyRecord[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r]!;
    const record: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) if (values[c] !== null) record[columns[c]!] = values[c];
    records[r] = record as unknown as ProxyRecord;
  }
  return records;
}
