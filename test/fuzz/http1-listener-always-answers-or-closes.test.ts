// Generated bad input never breaks the proxy's HTTP/1 listener: `sluice proxy --config` (one process,
// so a crash is its exit) in front of a fake upstream gets generated request heads, header fields,
// chunked bodies and pipelines over raw TCP. Every input gets complete responses and/or a clean close
// within a time bound (well-formed requests are answered before the client's FIN); the process never
// dies; a good request is served after every case. The properties say "a status line or a close",
// never which status, so they hold whatever limits the listener enforces. docs/testing.md, "Fuzzing".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../data-plane/helpers/config-yaml.js';
import { startProxyInFrontOfUpstream } from '../data-plane/helpers/proxy-in-front-of-upstream.js';
import { rawRequest } from '../data-plane/helpers/raw-http.js';
import { checkProperty, fuzzSettings, fuzzTimeoutMs, Histogram } from './helpers/fuzz-run.js';
import { exchange } from './helpers/http1-exchange.js';
import { caseBytes, expectsAnswers, GOOD_HOST, http1Case } from './helpers/http1-requests.js';
import { readResponses } from './helpers/http1-responses.js';

const BOUNDS = { answerWithinMs: 5000, closeWithinMs: 10_000 };
const settings = fuzzSettings(1303, 2500);

test('HTTP/1 listener: every generated input is answered or closed in time, and the proxy keeps serving', { timeout: fuzzTimeoutMs(settings, 100) }, async (t) => {
  const { proxy, port } = await startProxyInFrontOfUpstream(t, (up) => yamlDocs(
    clusterYaml('web', [up]),
    'kind: Route\nname: ping\nhosts: ["*"]\nmatch: {pathExact: /ping}\nrespond: {status: 200, body: pong}',
    catchAllRouteYaml('web', 'web'),
    listenerYaml('main'),
    ));
    const outcomes = new Histogram();
    const ends = new Histogram();
    let answered = 0;
    let slowest = { ms: 0, bytes: 0 };

    await checkProperty(t, 'http1-listener', settings, http1Case, async (c) => {
    const methods = c.requests.map((r) => r.method);
    const alive = (): void => assert.ok(proxy.child.exitCode === null && proxy.child.signalCode === null, `the proxy died (${proxy.child.exitCode ?? proxy.child.signalCode}): ${proxy.output().slice(-3000)}`);
    alive();
    const x = await exchange(port, c, BOUNDS).catch((err: Error) => {
      alive();
      throw err;
    });
    const stream = readResponses(x.bytes, methods, true);
    if (process.env['SLUICE_FUZZ_VERBOSE']) console.log(`# ${JSON.stringify(caseBytes(c).subarray(0, 160).toString('latin1'))} → ${stream.statuses.join(',') || 'none'} ${x.end} in ${x.ms} ms`);
    outcomes.add(stream.statuses[0] ?? (x.bytes.length === 0 ? 'no-bytes' : 'unparsed'));
    ends.add(x.end);
    if (expectsAnswers(c)) answered++;
    if (x.ms > slowest.ms) slowest = { ms: x.ms, bytes: caseBytes(c).length };
    const what = `${caseBytes(c).length} bytes in ${x.ms} ms, got ${JSON.stringify(x.bytes.subarray(0, 300).toString('latin1'))}`;
    // Its exit is seen a moment after the connection drops: wait for the process to tell, briefly.
    if (x.end !== 'closed' || x.bytes.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    alive();
    assert.ok(x.end !== 'open', `connection still open ${BOUNDS.closeWithinMs} ms after the client's FIN: ${what}`);
    assert.ok(!x.unanswered, `well-formed requests not all answered within ${BOUNDS.answerWithinMs} ms: ${what}`);
    assert.equal(stream.problem, undefined, `not a sequence of complete responses (${stream.problem}): ${what}`);
    // The proxy keeps serving: a good request on a new connection.
    const good = await rawRequest(port, `GET /after HTTP/1.1\r\nHost: ${GOOD_HOST}\r\nConnection: close\r\n\r\n`, BOUNDS.answerWithinMs);
    if (good.status !== 200) alive();
    assert.equal(good.status, 200, `a good request after the case was not served (${good.closed ? 'closed' : 'no answer'}): ${JSON.stringify(good.text.slice(0, 200))}; proxy output: ${proxy.output().slice(-2000)}`);
    }, () => `first statuses ${outcomes}; connection ends ${ends}; ${answered} cases well formed; slowest ${slowest.ms} ms (${slowest.bytes} bytes)`);
    assert.match(proxy.output(), /sluice proxy: ready/);
    assert.doesNotMatch(proxy.output(), /uncaught|unhandled/i, 'the proxy logged an uncaught error');
});
