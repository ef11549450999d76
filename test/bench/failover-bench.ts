// An endpoint killed under full load (SIGKILL of an upstream process; wrk -t1 -c50, no rate limit;
// `sluice proxy --workers 2`; a cluster and retry policy like examples/mesh.yaml's `web`): how many
// requests failed, and how long the proxy kept trying the dead endpoint, for 2 and 3 endpoints.
// Run it alone on the machine:
//   flock /tmp/sluice-load.lock node dist/test/bench/failover-bench.js [--rounds N] [--duration S] [--lb ROUND_ROBIN]
import { runFailoverRound, type FailoverRoundResult } from '../e2e/failover/failover-round.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}

const rounds = Number(flag('--rounds', '3'));
const durationS = Number(flag('--duration', '10'));
const loadBalancing = flag('--lb', 'ROUND_ROBIN');
const endpointCounts = flag('--endpoints', '2,3').split(',').map(Number);
const results: FailoverRoundResult[] = [];
for (const endpoints of endpointCounts) {
  for (let round = 1; round <= rounds; round++) {
    const r = await runFailoverRound({ endpoints, durationS, killAfterMs: 3000, loadBalancing, log: (line) => console.error(`# ${endpoints} endpoints, round ${round}: ${line}`) });
    console.error(`# ${endpoints} endpoints, round ${round}: ${r.requests} requests, ${r.failed} failed, errors ${JSON.stringify(r.errors)}`);
    results.push(r);
  }
}

const pad = (s: string, n: number): string => s.padStart(n);
console.log(`## Endpoint killed under full load: wrk -t1 -c50 -d${durationS}s, --workers 2, ${loadBalancing}, retry attempts 2 on CONNECT_FAILURE, RESET, GATEWAY_ERROR\n`);
console.log('| endpoints | round | requests | req/s | failed | failed % | last try of the dead endpoint after the kill | out of every worker after | proxy errors |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
const perCount = new Map<number, number>();
for (const r of results) {
  const round = (perCount.get(r.endpoints) ?? 0) + 1;
  perCount.set(r.endpoints, round);
  const errors = Object.entries(r.errors).map(([code, n]) => `${code} ${n}`).join(', ') || '-';
  console.log(`| ${r.endpoints} | ${round} | ${pad(String(r.requests), 7)} | ${r.requestsPerSecond.toFixed(0)} | ${r.failed} | ${r.failedPercent.toFixed(4)} | ${r.lastTryMs.toFixed(0)} ms | ${r.goneMs < 0 ? 'never' : `${r.goneMs.toFixed(0)} ms`} | ${errors} |`);
}
for (const endpoints of endpointCounts) {
  const rs = results.filter((r) => r.endpoints === endpoints);
  const requests = rs.reduce((s, r) => s + r.requests, 0);
  const failed = rs.reduce((s, r) => s + r.failed, 0);
  console.log(`| ${endpoints} | all | ${requests} | | ${failed} | ${((failed * 100) / requests).toFixed(4)} | | | |`);
}
