// A debugging aid, off unless SLUICE_VALIDATION_COUNT_DIR is set: on SIGUSR2 the process writes its
// validation counts to <dir>/<pid>.json, so a benchmark or test can read them from every process of a
// mesh (control plane, proxy primary, each worker) without an endpoint that serves them to anyone.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validationCount } from './validation-count.js';

export const VALIDATION_COUNT_DIR_ENV = 'SLUICE_VALIDATION_COUNT_DIR';

/** The dump file's contents: `dumps` counts the dumps so a reader can tell a fresh one from the last. */
export interface ValidationCountDump {
  readonly pid: number;
  readonly dumps: number;
  readonly specs: number;
  readonly references: number;
}

export function dumpValidationCountOnSignal(env: NodeJS.ProcessEnv = process.env): void {
  const dir = env[VALIDATION_COUNT_DIR_ENV];
  if (dir === undefined || dir === '') return;
  let dumps = 0;
  process.on('SIGUSR2', () => {
    const body: ValidationCountDump = { pid: process.pid, dumps: ++dumps, ...validationCount };
    // Written whole, then renamed: a reader never sees half a file.
    const file = join(dir, `${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(body));
    renameSync(`${file}.tmp`, file);
  });
}
