// Reads how many resources a running `sluice` process has validated: it must run with
// SLUICE_VALIDATION_COUNT_DIR set (validation-count-dump.ts), and dumps its counts on SIGUSR2.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidationCountDump } from '../../proto/src/model/validation-count-dump.js';
import { until } from './until.js';

function readDump(dir: string, pid: number): ValidationCountDump | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, `${pid}.json`), 'utf8')) as ValidationCountDump;
  } catch {
    return undefined;
  }
}

/** Signals `pid` and waits for the dump it writes into `dir`. */
export async function validationCounts(dir: string, pid: number): Promise<{ specs: number; references: number }> {
  const before = readDump(dir, pid)?.dumps ?? 0;
  process.kill(pid, 'SIGUSR2');
  const dump = await until(`the validation counts of process ${pid}`, () => {
    const d = readDump(dir, pid);
    return d !== undefined && d.dumps > before ? d : undefined;
  }, 5000, 5);
  return { specs: dump.specs, references: dump.references };
}
