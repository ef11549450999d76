// The full zero-drop scenario (test/e2e/scenario/): 60 s of load through three proxies while
// the admin API applies 10 changes a second, a control-plane replica is killed and a proxy restarted;
// prints the counts as tables and what did not hold. Exit code 1 when something did not.
//   node dist/test/bench/zero-drop-bench.js [--duration S] [--load-scale X]
import { runZeroDropScenario } from '../e2e/scenario/zero-drop-run.js';
import { formatZeroDropReport } from '../e2e/scenario/zero-drop-table.js';
import { zeroDropViolations } from '../e2e/scenario/zero-drop-verdicts.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`${name} needs a positive number`);
    process.exit(2);
  }
  return v;
}

const durationS = flag('--duration', 60);
const loadScale = flag('--load-scale', 1);
const started = Date.now();
const report = await runZeroDropScenario({ durationMs: durationS * 1000, loadScale, log: (line) => console.error(`# ${line}`) });
console.log(`## Zero-drop scenario: ${durationS} s, load scale ${loadScale} (wall ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
console.log(formatZeroDropReport(report));
const violations = zeroDropViolations(report);
console.log(violations.length === 0 ? '\nevery count holds' : `\nNOT HOLDING:\n${violations.map((v) => `- ${v}`).join('\n')}`);
process.exit(violations.length === 0 ? 0 : 1);
