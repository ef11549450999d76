// `npm run chaos`: the bounded chaos run (chaos-scenario.ts). Prints its summary as Markdown on stdout
// (progress on stderr) and exits 1 when a check failed, 2 on a usage error.
//   node dist/test/chaos/chaos-run.js [--duration 3m] [--load-scale 0.5] [--changes-per-second 5] [--proxies 3]
// It starts many processes and pushes load: run it under the machine's load lock, as `npm run chaos` does.
import { parseArgs } from 'node:util';
import { runChaos } from './chaos-scenario.js';
import { MIN_DURATION_MS } from './chaos-schedule.js';
import { formatChaosReport } from './chaos-table.js';
import { chaosChecks } from './chaos-verdicts.js';

const USAGE = `usage: chaos-run.js [--duration D] [--load-scale X] [--changes-per-second N] [--proxies N]
  --duration D             total length: 180, 180s or 3m (default 3m; at least 75 s)
  --load-scale X           multiplies the load's rates per proxy (default 0.5)
  --changes-per-second N   configuration changes through the API (default 5)
  --proxies N              proxies, two workers each (default 3)`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(text.trim());
  if (m === null) fail(`--duration: ${JSON.stringify(text)} is not a duration like 180, 180s or 3m`);
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
}

function positive(text: string, flag: string, integer = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) fail(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`);
  return n;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      duration: { type: 'string', default: '3m' },
      'load-scale': { type: 'string', default: '0.5' },
      'changes-per-second': { type: 'string', default: '5' },
      proxies: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (err) {
  fail((err as Error).message);
}
if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}
const durationMs = duration(values.duration);
if (durationMs < MIN_DURATION_MS) fail(`--duration must be at least ${MIN_DURATION_MS / 1000} s: every event needs its slot`);
const report = await runChaos({
  durationMs,
  loadScale: positive(values['load-scale'], '--load-scale'),
  changesPerSecond: positive(values['changes-per-second'], '--changes-per-second'),
  proxies: positive(values.proxies, '--proxies', true),
  log: (line) => console.error(`# ${line}`),
});
console.log(formatChaosReport(report));
const failed = chaosChecks(report).filter((c) => !c.ok);
console.log(failed.length === 0 ? '\nevery check holds' : `\n${failed.length} check(s) failed: ${failed.map((c) => c.name).join('; ')}`);
process.exit(failed.length === 0 ? 0 : 1);
