// The trace context the proxy reads (W3C traceparent, B3 single and multi header) and the sampling it
// applies (OTEL_TRACES_SAMPLER, Telemetry resources by specificity, parent-based decisions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { TelemetrySchema } from '../../../proto/gen/sluice/v1/telemetry_pb.js';
import { HeaderList } from '../../../data-plane/src/protocols/header-list.js';
import { extractTraceContext, formatTraceparent, parseTraceparent } from '../../../data-plane/src/tracing/trace-context.js';
import { DEFAULT_SAMPLING, isSampled, samplingFor, samplingFromEnv } from '../../../data-plane/src/tracing/trace-sampling.js';
import { newSpanId, newTraceId } from '../../../data-plane/src/tracing/trace-ids.js';
import { parseResource } from '../../../proto/src/model/validate-resource.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

test('traceparent: valid version 00 and later versions are read; malformed, all-zero and version ff are not', () => {
  assert.deepEqual(parseTraceparent(`00-${T}-${S}-01`, 'a=1'), { traceId: T, spanId: S, sampled: true, traceState: 'a=1' });
  assert.equal(parseTraceparent(`00-${T}-${S}-00`)?.sampled, false);
  assert.equal(parseTraceparent(`00-${T}-${S}-03`)?.sampled, true, 'only the sampled bit counts');
  assert.equal(parseTraceparent(`01-${T}-${S}-01-future`)?.traceId, T, 'a later version is read by its first fields');
  for (const bad of [`00-${T}-${S}-01-extra`, `ff-${T}-${S}-01`, `00-${'0'.repeat(32)}-${S}-01`, `00-${T}-${'0'.repeat(16)}-01`, `00-${T.toUpperCase()}-${S}-01`, `00-${T}-${S}`, 'garbage', '']) {
    assert.equal(parseTraceparent(bad), undefined, bad);
  }
  assert.equal(formatTraceparent(T, S, true), `00-${T}-${S}-01`);
  assert.equal(formatTraceparent(T, S, false), `00-${T}-${S}-00`);
});

test('B3: single header and x-b3-* headers; a 64-bit id is padded; traceparent wins when both come', () => {
  const ctx = (raw: string[]): ReturnType<typeof extractTraceContext> => extractTraceContext(new HeaderList(raw));
  assert.deepEqual(ctx(['b3', `${T}-${S}-1`]), { traceId: T, spanId: S, sampled: true, traceState: '' });
  assert.deepEqual(ctx(['b3', `a3ce929d0e0e4736-${S}-0`]), { traceId: `0000000000000000a3ce929d0e0e4736`, spanId: S, sampled: false, traceState: '' });
  assert.equal(ctx(['b3', `${T}-${S}`])?.sampled, undefined, 'no flag: the decision is the proxy\'s');
  assert.equal(ctx(['b3', `${T}-${S}-d`])?.sampled, true, 'debug samples');
  assert.equal(ctx(['b3', '1']), undefined, 'a decision without ids starts a trace');
  assert.deepEqual(ctx(['x-b3-traceid', T.toUpperCase(), 'x-b3-spanid', S, 'x-b3-sampled', '1']), { traceId: T, spanId: S, sampled: true, traceState: '' });
  assert.equal(ctx(['x-b3-traceid', T, 'x-b3-spanid', 'nothex']), undefined);
  assert.equal(ctx(['traceparent', `00-${T}-${S}-00`, 'b3', `${'1'.repeat(32)}-${S}-1`])?.sampled, false);
  assert.equal(ctx(['traceparent', 'broken', 'b3', `${T}-${S}-1`]), undefined, 'a broken traceparent is not replaced by B3');
  assert.equal(ctx([]), undefined);
});

test('ids are random, the right length and never all zeros', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const t = newTraceId();
    const s = newSpanId();
    assert.match(t, /^[0-9a-f]{32}$/);
    assert.match(s, /^[0-9a-f]{16}$/);
    ids.add(t);
  }
  assert.equal(ids.size, 2000);
});

test('OTEL_TRACES_SAMPLER: every value OpenTelemetry defines; anything else is refused by name', () => {
  assert.deepEqual(samplingFromEnv({}), DEFAULT_SAMPLING);
  assert.deepEqual(DEFAULT_SAMPLING, { parentBased: true, ratio: 0.01, source: 'default' });
  assert.deepEqual(samplingFromEnv({ OTEL_TRACES_SAMPLER: 'always_on' }), { parentBased: false, ratio: 1, source: 'OTEL_TRACES_SAMPLER' });
  assert.deepEqual(samplingFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }), { parentBased: false, ratio: 0, source: 'OTEL_TRACES_SAMPLER' });
  assert.deepEqual(samplingFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }), { parentBased: false, ratio: 0.25, source: 'OTEL_TRACES_SAMPLER' });
  assert.deepEqual(samplingFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }), { parentBased: true, ratio: 0.5, source: 'OTEL_TRACES_SAMPLER' });
  assert.equal(samplingFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }).ratio, 0);
  assert.throws(() => samplingFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }), /OTEL_TRACES_SAMPLER "sometimes" is not supported/);
  assert.throws(() => samplingFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }), /OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got "2"/);
});

test('Telemetry: the most specific resource that sets a percentage decides; none: the environment', () => {
  const tel = (name: string, percentage: number | undefined, selector?: { service?: string; namespace?: string }) =>
    create(TelemetrySchema, { name, ...(selector ? { selector } : {}), tracing: percentage === undefined ? {} : { samplingPercentage: percentage } });
  const web = { service: 'web', namespace: 'shop' };
  const env = { parentBased: false, ratio: 1, source: 'OTEL_TRACES_SAMPLER' };
  assert.equal(samplingFor([], web, env), env);
  assert.deepEqual(samplingFor([tel('mesh', 5)], web, env), { parentBased: true, ratio: 0.05, source: 'Telemetry/mesh' });
  assert.equal(samplingFor([tel('mesh', 5), tel('ns', 20, { namespace: 'shop' })], web, env).source, 'Telemetry/ns');
  assert.equal(samplingFor([tel('mesh', 5), tel('ns', 20, { namespace: 'shop' }), tel('svc', 50, { service: 'web' })], web, env).ratio, 0.5);
  assert.equal(samplingFor([tel('svc-unset', undefined, { service: 'web' }), tel('mesh', 5)], web, env).source, 'Telemetry/mesh', 'an unset percentage inherits');
  assert.equal(samplingFor([tel('other', 50, { service: 'api' })], web, env), env, 'another service\'s resource does not apply');
  assert.equal(samplingFor([tel('b', 1), tel('a', 2)], web, env).source, 'Telemetry/a', 'the first by name within a level');
});

test('decisions: parent-based follows the caller; ratio 0 and 1 are exact; a ratio samples about its share', () => {
  const parent = (sampled: boolean | undefined) => ({ traceId: T, spanId: S, sampled, traceState: '' });
  assert.equal(isSampled({ parentBased: true, ratio: 0, source: '' }, parent(true)), true);
  assert.equal(isSampled({ parentBased: true, ratio: 1, source: '' }, parent(false)), false);
  assert.equal(isSampled({ parentBased: true, ratio: 1, source: '' }, parent(undefined)), true, 'no decision: the ratio');
  assert.equal(isSampled({ parentBased: false, ratio: 0, source: '' }, parent(true)), false, 'not parent-based: the caller is ignored');
  let n = 0;
  for (let i = 0; i < 20_000; i++) if (isSampled({ parentBased: true, ratio: 0.1, source: '' }, undefined)) n++;
  assert.ok(n > 1600 && n < 2400, `10% of 20,000 sampled: ${n}`);
});

test('a Telemetry percentage outside 0..100 is refused at its field path', () => {
  const refused = parseResource({ kind: 'Telemetry', name: 'bad', selector: { namespace: 'Not_A_Namespace' }, tracing: { samplingPercentage: 150 } }, 'documents[0]');
  assert.equal(refused.ok, false);
  const errors = refused.ok ? [] : refused.errors;
  assert.deepEqual(errors.map((e) => e.path).sort(), ['telemetries[bad].selector.namespace', 'telemetries[bad].tracing.samplingPercentage']);
  assert.match(errors.find((e) => e.path.endsWith('samplingPercentage'))!.message, /between 0 and 100.*got 150/);
  assert.equal(parseResource({ kind: 'Telemetry', name: 'ok', tracing: { samplingPercentage: 0 } }, 'documents[0]').ok, true);
});
