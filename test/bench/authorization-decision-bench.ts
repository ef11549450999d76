// Micro-benchmark of what authorization costs per request in the proxy's requestFilter: the decision
// for the policies of examples/security.yaml, for a proxy with many policies of which none matches
// (the worst case: every rule of every policy tried), with a dry-run policy (decided twice), and the
// path normalization every guarded request goes through. Prints ns per request, medians of 5 runs.
//   node dist/test/bench/authorization-decision-bench.js [--requests 1000000]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { AuthorizationPolicy } from '../../proto/gen/sluice/v1/authorization_policy_pb.js';
import { parseDocuments } from '../../proto/src/model/documents.js';
import { parseResource } from '../../proto/src/model/validate-resource.js';
import { Authorizer } from '../../data-plane/src/authorization/authorizer.js';
import type { AuthzRequest } from '../../data-plane/src/authorization/compiled-policy.js';
import { normalizePath } from '../../data-plane/src/authorization/normalize-path.js';
import { readExample } from '../support/examples.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000000' } } });
const N = Number(values.requests);

function policies(yaml: string): AuthorizationPolicy[] {
  const parsed = parseDocuments(yaml, 'yaml');
  if (!parsed.ok) throw new Error('bad YAML');
  return parsed.documents.flatMap((d, i) => {
    const r = parseResource(d, `documents[${i}]`);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.resource.kind === 'AuthorizationPolicy' ? [r.resource.spec] : [];
  });
}

function measure(name: string, run: (i: number) => unknown, n = N): void {
  const samples: number[] = [];
  let sink = 0;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) if (run(i)) sink++;
    samples.push(((performance.now() - t0) * 1e6) / n);
  }
  samples.sort((a, b) => a - b);
  console.log(`| ${name} | ${samples[2]!.toFixed(0)} |${sink < 0 ? ' ' : ''}`);
}

const FRONTEND = 'spiffe://sluice.local/ns/shop/sa/frontend';
const request = (path: string, method = 'GET', principal: string | undefined = FRONTEND): AuthzRequest => ({
  principal, namespace: principal?.split('/')[4], host: 'web.local', path, method, header: (n) => (n === 'x-internal' ? 'yes' : undefined),
});
const requests = [request('/api/items'), request('/healthz', 'HEAD'), request('/admin/x'), request('/api/items', 'GET', 'spiffe://sluice.local/ns/ops/sa/oncall')];

const security = policies(readExample('security.yaml'));
const enforced = new Authorizer(security.filter((p) => !p.dryRun), { service: 'web', namespace: 'shop' });
const withDryRun = new Authorizer(security, { service: 'web', namespace: 'shop' });
// 50 DENY policies of 64 rules, none of which matches: every rule is tried.
const many = Array.from({ length: 50 }, (_, p) => `kind: AuthorizationPolicy
name: deny-${p}
action: DENY
rules:
${Array.from({ length: 64 }, (_, r) => `  - from: [{principals: ["spiffe://sluice.local/ns/team${p}/sa/job${r}", "*/sa/x${r}"]}]\n    to: [{paths: ["/p${p}/${r}/*"], methods: [DELETE]}]`).join('\n')}
`).join('---\n');
const worst = new Authorizer(policies(many), { service: 'web', namespace: 'shop' });

console.log(`${N} decisions; ns per request (median of 5)\n`);
console.log('| decision | ns/request |');
console.log('| --- | --: |');
measure('security.yaml, enforced policies (2 apply to service web)', (i) => enforced.decide(requests[i & 3]!).result === 'denied');
measure('security.yaml with its dry-run policy (decided twice)', (i) => withDryRun.decide(requests[i & 3]!).result === 'denied');
// Thousands of rules per request: a hundredth of the requests is enough to measure.
measure('50 DENY policies x 64 rules, none matches', (i) => worst.decide(requests[i & 3]!).result === 'denied', Math.max(1, Math.floor(N / 100)));
measure('normalizePath, plain path', (i) => normalizePath(i & 1 ? '/api/items/42' : '/healthz').length > 100);
measure('normalizePath, dot segments and %-encoding', (i) => normalizePath(i & 1 ? '/api/../admin/%61' : '/a/./b/../c').length > 100);
